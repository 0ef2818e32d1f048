"""The dynamic checks: what the built image proves, judged against a rubric's thresholds.

Each check is one small function registered with :func:`dynamic_check`. Its docstring carries the
title and the fixed sections ``Why it matters:`` and ``How to fix:`` (as the course rules do), so
learner-facing text and the docs come from the code. The function is pure: it reads the
:class:`Evidence` the grader gathered (build result, filesystem scan, runtime probe, health
probe, cache probe, reference sizes) and the check's parameters from the rubric, and returns an
:class:`Outcome`. Nothing here talks to the engine, so every verdict is testable with fakes.

The checks judge principles, not our fixtures' shapes: any stage names, any install prefix
(``/opt/venv``, ``/install``, ``/root/.local``, a ``--target`` folder), any workdir, pip, uv or
poetry.
"""

from __future__ import annotations

import inspect
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import engine
from .probes import FilesystemFacts, HealthFacts, RuntimeFacts

_SECTION_RE = re.compile(r"^(Why it matters|How to fix):\s*$", re.MULTILINE)


@dataclass
class CacheFacts:
    """What the rebuild after a source-only change showed."""

    changed_file: str | None
    """The context file whose content changed (a comment appended)."""
    install_steps: list[tuple[str, bool]] = field(default_factory=list)
    """Dependency-install steps in build order: (instruction, taken from cache?)."""
    seconds: float = 0.0
    stopped_early: bool = False
    """True when the rebuild was cut as soon as an install step missed the cache."""
    error: str | None = None


@dataclass
class SizeReference:
    """A comparison image built on the same engine (reference solution or naive baseline)."""

    name: str
    size_bytes: int | None
    dockerfile: str
    error: str | None = None


@dataclass
class Evidence:
    """Everything the grader learned about one submission; a check reads what it needs."""

    build: engine.BuildResult | None = None
    image: engine.ImageInfo | None = None
    filesystem: FilesystemFacts | None = None
    filesystem_error: str | None = None
    base_wasted_bytes: int | None = None
    base_ref: str | None = None
    runtime: RuntimeFacts | None = None
    health: HealthFacts | None = None
    cache: CacheFacts | None = None
    reference: SizeReference | None = None
    baseline: SizeReference | None = None

    @property
    def wasted_bytes(self) -> int | None:
        """Bytes the layers ship that the final filesystem does not show (base image's own excluded)."""
        if self.image is None or self.filesystem is None:
            return None
        total = max(0, self.image.size_bytes - self.filesystem.total_bytes)
        return max(0, total - (self.base_wasted_bytes or 0))


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DynamicCheck:
    id: str
    title: str
    rationale: str
    fix: str
    lesson: str
    needs: tuple[str, ...]
    """Evidence the check reads: ``build``, ``filesystem``, ``runtime``, ``health``, ``cache``, ``sizes``."""
    defaults: Mapping[str, Any]
    judge: Callable[[Evidence, Mapping[str, Any]], Outcome] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "why": self.rationale, "fix": self.fix, "lesson": self.lesson,
                "needs": list(self.needs), "defaults": dict(self.defaults)}


REGISTRY: dict[str, DynamicCheck] = {}


def _sections(doc: str, where: str) -> tuple[str, str, str]:
    text = inspect.cleandoc(doc or "")
    title, _, body = text.partition("\n")
    parts = _SECTION_RE.split(body)
    sections = {parts[i]: " ".join(parts[i + 1].split()) for i in range(1, len(parts) - 1, 2)}
    why, fix = sections.get("Why it matters", ""), sections.get("How to fix", "")
    if not title.strip() or not why or not fix:
        raise ValueError(f"{where}: the docstring needs a title line, 'Why it matters:' and 'How to fix:'")
    return title.strip().rstrip("."), why, fix


def dynamic_check(check_id: str, *, lesson: str, needs: tuple[str, ...], **defaults: Any):
    """Register a dynamic check; title, rationale and fix come from the function's docstring."""

    def register(function: Callable[[Evidence, Mapping[str, Any]], Outcome]):
        if check_id in REGISTRY:
            raise ValueError(f"dynamic check {check_id} is registered twice")
        title, why, fix = _sections(function.__doc__ or "", check_id)
        REGISTRY[check_id] = DynamicCheck(check_id, title, why, fix, f"notebooks/{lesson}", needs, defaults, function)
        return function

    return register


#: Modules that register more dynamic checks (exercise-specific ones); imported on first use.
EXTENSION_MODULES = ("checker.exercise_checks",)
_extensions_loaded = False


def load_extensions() -> None:
    """Import the modules of :data:`EXTENSION_MODULES` once, so their checks are registered."""
    global _extensions_loaded
    if _extensions_loaded:
        return
    _extensions_loaded = True
    import importlib

    for name in EXTENSION_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def all_checks() -> tuple[DynamicCheck, ...]:
    """Every registered dynamic check, the extensions' included."""
    load_extensions()
    return tuple(REGISTRY.values())


def get(check_id: str) -> DynamicCheck | None:
    load_extensions()
    return REGISTRY.get(check_id)


# ----------------------------------------------------------------------------------------------
# helpers


def human_bytes(value: float | int | None) -> str:
    """Bytes in the units ``docker images`` prints (powers of 1000)."""
    if value is None:
        return "n/a"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            if unit == "B":
                return f"{size:.0f} B"
            return f"{size:.0f} {unit}" if abs(size) >= 100 else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def _listing(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


#: Shared libraries learners most often miss, and the Debian package that ships each.
DEBIAN_PACKAGES = {
    "libpq.so.5": "libpq5",
    "libssl.so.3": "libssl3t64",
    "libcrypto.so.3": "libssl3t64",
    "libffi.so.8": "libffi8",
    "libxml2.so.2": "libxml2",
    "libxslt.so.1": "libxslt1.1",
    "libjpeg.so.62": "libjpeg62-turbo",
    "libpng16.so.16": "libpng16-16t64",
    "libz.so.1": "zlib1g",
    "libyaml-0.so.2": "libyaml-0-2",
    "libmariadb.so.3": "libmariadb3",
    "libgomp.so.1": "libgomp1",
    "libstdc++.so.6": "libstdc++6",
    "libgfortran.so.5": "libgfortran5",
    "libopenblas.so.0": "libopenblas0",
    "libsqlite3.so.0": "libsqlite3-0",
}


def package_hint(soname: str) -> str:
    package = DEBIAN_PACKAGES.get(soname)
    if package:
        return f"the runtime package {package}"
    stem = soname.split(".so", 1)[0]
    return f"the runtime package that ships {soname} (on Debian usually named {stem}<version>, never {stem}-dev)"


def _short_path(path: str) -> str:
    match = re.search(r"/(?:site|dist)-packages/(.*)$", path)
    return match.group(1) if match else path


def _not_run(what: str) -> Outcome:
    return Outcome(False, f"Not checked: {what}.")


# ----------------------------------------------------------------------------------------------
# the checks


@dynamic_check("builds", lesson="02_multi_stage.ipynb#the-multi-stage-pattern", needs=("build",))
def builds(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The image builds.

    Why it matters:
        Nothing else can be judged, and nothing can ship, until `docker build` succeeds on a
        clean engine with only the build context you submit.
    How to fix:
        Read the failing step and the last lines of its output below; run the same build locally
        with `docker build`, fix that step, and build again.
    """
    build = evidence.build
    if build is None:
        return _not_run("the build did not start")
    if build.ok:
        cached = sum(1 for step in build.steps if step.cached)
        return Outcome(True, f"Built in {build.seconds:.1f} s ({len(build.steps)} steps, {cached} from cache).",
                       {"seconds": round(build.seconds, 3)})
    if build.timed_out:
        return Outcome(False, f"{build.error} Last step: {build.failed_step or 'none'}.")
    where = f" at `{build.failed_step}`" if build.failed_step else ""
    return Outcome(False, f"The build failed{where}: {(build.error or '').strip()}")


@dynamic_check("image_size", lesson="01_single_stage_problem.ipynb#what-makes-an-image-heavy", needs=("sizes",),
               max_ratio_to_reference=1.25, max_ratio_to_baseline=0.5, max_bytes=None)
def image_size(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The image is lean.

    Why it matters:
        Every byte is pulled on each deploy and scanned for vulnerabilities; compilers, headers
        and caches in the final image cost time and widen the attack surface. Sizes are compared
        with images built on the same engine, because absolute sizes differ between engines.
    How to fix:
        Build in one stage and copy only the installed packages into a slim runtime stage;
        install runtime libraries only; keep caches and the source tree's clutter out.
    """
    if evidence.image is None:
        return _not_run("there is no image")
    size = evidence.image.size_bytes
    parts = [f"{human_bytes(size)} (uncompressed, the engine's image size: the sum of its layers)"]
    failures = []
    details: dict[str, Any] = {"size_bytes": size}
    for ref, limit_key, label in ((evidence.reference, "max_ratio_to_reference", "the reference solution"),
                                  (evidence.baseline, "max_ratio_to_baseline", "the single-stage baseline")):
        limit = params.get(limit_key)
        if ref is None or limit is None:
            continue
        if not ref.size_bytes:
            parts.append(f"{label} could not be measured ({ref.error or 'no image'})")
            continue
        ratio = size / ref.size_bytes
        details[f"ratio_to_{ref.name}"] = round(ratio, 3)
        details[f"{ref.name}_size_bytes"] = ref.size_bytes
        text = f"{ratio:.2f}x {label} ({human_bytes(ref.size_bytes)}; limit {float(limit):.2f}x)"
        parts.append(text)
        if ratio > float(limit):
            failures.append(text)
    max_bytes = params.get("max_bytes")
    if max_bytes:
        if size > int(max_bytes):
            failures.append(f"over the {human_bytes(int(max_bytes))} limit")
        parts.append(f"limit {human_bytes(int(max_bytes))}")
    message = "; ".join(parts) + "."
    if failures:
        return Outcome(False, "Too large: " + message, details)
    return Outcome(True, message, details)


@dynamic_check("wasted_bytes", lesson="05_layer_cache.ipynb#clean-up-in-the-same-layer", needs=("filesystem",),
               max_bytes=5_000_000)
def wasted_bytes(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No bytes hidden under later layers.

    Why it matters:
        Layers only add: a file deleted or overwritten by a later instruction is hidden, but its
        bytes still ship in the earlier layer. `rm` in its own RUN makes the image no smaller.
    How to fix:
        Delete temporary files (apt lists, caches, build trees) in the same RUN that created
        them, or build them in a stage you do not ship.
    """
    if evidence.image is None or evidence.filesystem is None:
        return _not_run(evidence.filesystem_error or "there is no image")
    total = evidence.image.size_bytes - evidence.filesystem.total_bytes
    wasted = evidence.wasted_bytes or 0
    limit = int(params.get("max_bytes") or 0)
    base = evidence.base_wasted_bytes or 0
    measure = (f"the layers add up to {human_bytes(evidence.image.size_bytes)}, the final filesystem holds "
               f"{human_bytes(evidence.filesystem.total_bytes)}")
    if base:
        measure += f"; {human_bytes(base)} of the difference is the base image's own"
    details = {"wasted_bytes": wasted, "layers_bytes": evidence.image.size_bytes,
               "filesystem_bytes": evidence.filesystem.total_bytes, "base_wasted_bytes": base}
    if wasted > limit:
        return Outcome(False, f"{human_bytes(wasted)} ship without being visible ({measure}; limit {human_bytes(limit)}).", details)
    return Outcome(True, f"{human_bytes(max(0, wasted))} hidden by later layers ({measure}).", details)


@dynamic_check("no_compilers", lesson="02_multi_stage.ipynb#the-multi-stage-pattern", needs=("filesystem",))
def no_compilers(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No compiler in the final image.

    Why it matters:
        A compiler is only needed to build native extensions. In the running image it is dead
        weight and a gift to an attacker who gets in.
    How to fix:
        Install gcc (and the -dev packages) in a build stage only, and start the final stage
        from a slim image that never had them.
    """
    if evidence.filesystem is None:
        return _not_run(evidence.filesystem_error or "there is no image")
    found = evidence.filesystem.compilers
    if found:
        return Outcome(False, f"The image ships a compiler: {_listing(found)}.", {"compilers": found})
    return Outcome(True, "No gcc, cc, g++, clang or compiler backend in the image.")


@dynamic_check("no_headers", lesson="02_multi_stage.ipynb#runtime-libraries-only", needs=("filesystem", "runtime"),
               max_files=5)
def no_headers(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No C headers in the final image.

    Why it matters:
        Header files (`/usr/include`, `libpq-fe.h`, a Python.h from a -dev package) are only
        read by a compiler. They come with -dev packages and pull in more of them.
    How to fix:
        Install the -dev packages in the build stage only; in the runtime stage install the
        runtime library (libpq5, not libpq-dev).
    """
    if evidence.filesystem is None:
        return _not_run(evidence.filesystem_error or "there is no image")
    own_dirs = interpreter_include_dirs(evidence)
    headers = [(path, size) for path, size in evidence.filesystem.headers
               if not path.startswith(tuple(d + "/" for d in own_dirs)) and not re.search(r"/(?:site|dist)-packages/", path)]
    limit = int(params.get("max_files") or 0)
    details = {"headers": len(headers), "bytes": sum(size for _, size in headers)}
    note = f" (the interpreter's own {', '.join(sorted(own_dirs))} not counted)" if own_dirs else ""
    if len(headers) > limit:
        folders = sorted({posixpath.dirname(path) for path, _ in headers})
        return Outcome(False, f"{len(headers)} C headers ({human_bytes(details['bytes'])}) in {_listing(folders)}{note}; "
                              f"at most {limit} allowed.", details)
    return Outcome(True, f"{len(headers)} C headers{note}.", details)


_INTERPRETER_RE = re.compile(r"^(.*)/bin/python(\d+\.\d+)$")


def interpreter_include_dirs(evidence: Evidence) -> set[str]:
    """Include folders that belong to an interpreter in the image (``/usr/local/include/python3.13``).

    The official Python images ship their interpreter's headers; they are part of the base, not
    something the learner added. Known from the runtime probe, else from ``<prefix>/bin/pythonX.Y``.
    """
    found: set[str] = set()
    if evidence.runtime is not None and evidence.runtime.include:
        found.add(evidence.runtime.include.rstrip("/"))
    fs = evidence.filesystem
    if fs is not None:
        for path, kind in fs.kinds.items():
            match = _INTERPRETER_RE.match(path) if kind in {"f", "l"} else None
            if match and fs.is_file(path):
                found.add(f"{match.group(1)}/include/python{match.group(2)}")
    return found


@dynamic_check("no_pip_cache", lesson="05_layer_cache.ipynb#no-pip-cache-in-the-image", needs=("filesystem",),
               max_bytes=1_000_000)
def no_pip_cache(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No package-manager cache in the final image.

    Why it matters:
        pip (and uv, poetry) keep every downloaded wheel in a cache folder such as
        /root/.cache/pip. In an image that cache is never used again but ships every time.
    How to fix:
        Use `pip install --no-cache-dir` (or PIP_NO_CACHE_DIR=1, uv's --no-cache), or install in
        a build stage and copy only the installed packages.
    """
    if evidence.filesystem is None:
        return _not_run(evidence.filesystem_error or "there is no image")
    caches = {path: size for path, size in evidence.filesystem.caches.items() if size}
    total = sum(caches.values())
    limit = int(params.get("max_bytes") or 0)
    if total > limit:
        listed = [f"{path} ({human_bytes(size)})" for path, size in sorted(caches.items(), key=lambda kv: -kv[1])]
        return Outcome(False, f"Package caches ship in the image: {_listing(listed)}.", {"caches": caches})
    return Outcome(True, "No pip, uv or poetry cache in the image." if not caches
                   else f"Only {human_bytes(total)} of package cache (limit {human_bytes(limit)}).", {"caches": caches})


@dynamic_check("native_libs", lesson="02_multi_stage.ipynb#runtime-libraries-only", needs=("filesystem", "runtime"))
def native_libs(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """Every native extension finds its shared libraries.

    Why it matters:
        A compiled extension such as psycopg2's links against system libraries (libpq). The
        build stage had them; if the runtime stage lacks them, the import fails when the app
        starts, not when the image builds.
    How to fix:
        In the runtime stage install the runtime half of each -dev package you built against:
        libpq5 for libpq-dev, with --no-install-recommends, and clean the apt lists.
    """
    if evidence.filesystem is None:
        return _not_run(evidence.filesystem_error or "there is no image")
    runtime = evidence.runtime
    if not evidence.filesystem.extensions:
        return Outcome(True, "No native extensions in site-packages or a venv.")
    if runtime is None or runtime.error:
        return Outcome(False, f"Could not run ldd in the image: {runtime.error if runtime else 'no probe'}")
    missing = {path: libs for path, libs in runtime.libraries.items() if libs}
    unreadable = dict(runtime.library_errors)
    count = len(runtime.libraries)
    if missing:
        sonames = sorted({lib for libs in missing.values() for lib in libs})
        lines = [f"{_short_path(path)} needs {', '.join(libs)}" for path, libs in sorted(missing.items())]
        hints = "; ".join(f"{soname}: install {package_hint(soname)}" for soname in sonames)
        return Outcome(False, f"{len(missing)} of {count} native extensions cannot load: {_listing(lines, 3)}, "
                              f"which the image does not have ({hints}).",
                       {"missing": {p: l for p, l in missing.items()}, "checked": count})
    if unreadable:
        lines = [f"{_short_path(path)}: {error.splitlines()[-1] if error else 'error'}" for path, error in unreadable.items()]
        return Outcome(False, f"ldd could not check {len(unreadable)} extension(s): {_listing(lines, 2)}.",
                       {"errors": unreadable, "checked": count})
    return Outcome(True, f"All {count} native extensions resolve their shared libraries ({runtime.ldd}).", {"checked": count})


@dynamic_check("app_imports", lesson="02_multi_stage.ipynb#runtime-libraries-only", needs=("runtime",), modules=None)
def app_imports(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The app's modules import in the image.

    Why it matters:
        `python -c "import main"` in the image's WORKDIR, with its own ENV, PATH and USER, is
        the cheapest proof that the dependencies you copied are complete and loadable by the
        interpreter that runs the app.
    How to fix:
        Copy the whole installed environment (venv or prefix) from the build stage, set PATH
        (or PYTHONPATH) so the runtime interpreter finds it, install the runtime libraries, and
        copy the app's source into the WORKDIR.
    """
    runtime = evidence.runtime
    if runtime is None:
        return _not_run("there is no image")
    if runtime.error:
        return Outcome(False, runtime.error)
    failed = {module: output for module, (ok, output) in runtime.imports.items() if not ok}
    where = f"{runtime.interpreter} ({runtime.found_by})"
    if failed:
        module, output = next(iter(failed.items()))
        last = [line for line in output.strip().splitlines() if line.strip()]
        reason = last[-1].strip() if last else "no error message"
        libs = re.findall(r"([\w.+-]+\.so[\w.]*): cannot open shared object file", output)
        extra = f" Install {package_hint(libs[0])} in the runtime stage." if libs else ""
        return Outcome(False, f"`import {module}` fails with {where}: {reason}.{extra}",
                       {"failed": {m: o[-800:] for m, o in failed.items()}, "interpreter": runtime.interpreter})
    modules = ", ".join(runtime.imports) or "nothing"
    return Outcome(True, f"`import {modules}` works with {where}.", {"interpreter": runtime.interpreter})


_PYVENV_VERSION_RE = re.compile(r"^\s*(?:version|version_info)\s*=\s*(\d+)\.(\d+)", re.MULTILINE)


@dynamic_check("same_python", lesson="03_virtualenvs.ipynb#one-directory-one-copy", needs=("filesystem", "runtime"))
def same_python(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The build stage and the runtime use the same Python.

    Why it matters:
        Compiled extensions are built for one interpreter version (their file names say so:
        cpython-313), and a venv records the Python it was made with. Copied into an image with
        another Python, they are silently skipped or fail to load.
    How to fix:
        Start both stages from the same Python image, best through one ARG (FROM
        python:${PYTHON_VERSION}-slim in both).
    """
    fs, runtime = evidence.filesystem, evidence.runtime
    if fs is None:
        return _not_run(evidence.filesystem_error or "there is no image")
    if runtime is None or runtime.error or not runtime.version:
        return Outcome(False, f"Could not ask the image's interpreter its version: {runtime.error if runtime else 'no probe'}")
    major, minor = runtime.version.split(".")[:2]
    problems: list[str] = []
    on_path = tuple(p.rstrip("/") + "/" for p in runtime.sys_path if p.startswith("/"))
    venv_prefixes = tuple(v.rstrip("/") + "/" for v in fs.venvs)
    wrong_abi = []
    for path in fs.extensions:
        match = re.search(r"\.cpython-(\d)(\d+)[a-z]*-[^/]*\.so$", path)
        if not match or not (path.startswith(on_path) or path.startswith(venv_prefixes)):
            continue
        if (match.group(1), match.group(2)) != (major, minor):
            wrong_abi.append(f"{_short_path(path)} (cpython-{match.group(1)}{match.group(2)})")
    if wrong_abi:
        problems.append(f"extensions built for another Python: {_listing(wrong_abi, 2)}")
    for venv, cfg in sorted(fs.venvs.items()):
        found = _PYVENV_VERSION_RE.search(cfg)
        if found and (found.group(1), found.group(2)) != (major, minor):
            problems.append(f"the venv {venv} was made with Python {found.group(1)}.{found.group(2)}")
    for directory, files in sorted(fs.site_dirs.items()):
        found = _PYVER_DIR_RE.search(directory)
        if not found or directory.startswith("/usr/lib/") or not files:
            continue
        if (found.group(1), found.group(2)) != (major, minor):
            problems.append(f"{directory} holds {files} files for Python {found.group(1)}.{found.group(2)}")
    details = {"runtime_python": runtime.version, "soabi": runtime.soabi}
    if problems:
        return Outcome(False, f"The image runs Python {runtime.version}, but " + "; ".join(problems) + ".", details)
    return Outcome(True, f"Extensions and venvs match the runtime's Python {runtime.version} ({runtime.soabi}).", details)


_PYVER_DIR_RE = re.compile(r"/python(\d+)\.(\d+)/site-packages$")


@dynamic_check("health", lesson="06_going_further.ipynb#exec-form-cmd", needs=("health",),
               path="/health", port=8000, deadline_s=30)
def health(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The container starts and answers GET /health.

    Why it matters:
        An image that builds but does not serve is not done. The container is started exactly
        as a platform would start it (its own CMD, USER and ENV) and must answer within a
        deadline.
    How to fix:
        Use an exec-form CMD that starts the server on 0.0.0.0 and the course's port (8000):
        CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]. Run the image locally
        and read its output for the error.
    """
    facts = evidence.health
    if facts is None:
        return _not_run("there is no image")
    if facts.ok:
        return Outcome(True, f"GET {facts.path} answered 200 after {facts.seconds:.1f} s (port {facts.port}, "
                             f"reached via {facts.reached_via}).", {"seconds": round(facts.seconds, 3)})
    logs = [line.strip() for line in facts.logs.strip().splitlines() if line.strip() and "<" not in line[:3]]
    tail = " | ".join(logs[-2:])
    return Outcome(False, f"{facts.error}" + (f" Last output: {tail}" if tail else ""),
                   {"status": facts.status, "exit_code": facts.exit_code, "logs": facts.logs[-2000:]})


@dynamic_check("cache_reuse", lesson="05_layer_cache.ipynb#dependencies-before-source", needs=("cache",), source_file=None)
def cache_reuse(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """Changing the source reuses the dependency layer.

    Why it matters:
        The cache reuses a layer only while everything before it is unchanged. If the source is
        copied before dependencies are installed, every code edit reinstalls (and recompiles)
        them: minutes per build instead of seconds.
    How to fix:
        Copy only the dependency manifest (requirements.txt, pyproject.toml and lock file) and
        install from it; copy the rest of the source afterwards (COPY . . last).
    """
    facts = evidence.cache
    if facts is None:
        return _not_run("there is no image")
    if facts.error:
        return Outcome(False, facts.error)
    if not facts.install_steps:
        return Outcome(False, "No dependency-install step (pip, uv, poetry, pipenv or pdm install) was found in the build.")
    missed = [instruction for instruction, cached in facts.install_steps if not cached]
    changed = f"appending a comment to {facts.changed_file}"
    if missed:
        return Outcome(False, f"After {changed}, `{_clip(missed[0])}` ran again instead of coming from the cache.",
                       {"changed_file": facts.changed_file, "rebuilt": missed})
    return Outcome(True, f"After {changed}, all {len(facts.install_steps)} install step(s) came from the cache "
                         f"(rebuild {facts.seconds:.1f} s).", {"changed_file": facts.changed_file})


def _clip(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def markdown_table(link_prefix: str = "../") -> str:
    """The dynamic checks as a Markdown table (docs/checker.md embeds it; a test keeps them in sync).

    Lesson links are repo-relative (``notebooks/...``); ``link_prefix`` makes them relative to the
    page that embeds the table, ``docs/`` by default.
    """
    rows = ["| Check | Title | Why it matters | How to fix | Parameters (defaults) |", "| --- | --- | --- | --- | --- |"]
    for check in all_checks():
        params = ", ".join(f"`{name}={value!r}`" for name, value in check.defaults.items()) or "none"
        rows.append(f"| [`{check.id}`]({link_prefix}{check.lesson}) | {check.title} | {check.rationale} | {check.fix} | {params} |")
    return "\n".join(rows) + "\n"
