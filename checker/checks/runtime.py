"""Checks on what the image's own interpreter reports: native libraries resolve, the app imports, one Python."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from checker.checks.base import Evidence, Outcome, dynamic_check, listing, not_run, unmeasured, short_path
from checker.probes import access_problem, unreadable, venv_problems
from checker.probes.command import PERMISSION_FIX


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
    """What to install for a missing shared library: ``the runtime package libpq5`` for ``libpq.so.5``."""
    package = DEBIAN_PACKAGES.get(soname)
    if package:
        return f"the runtime package {package}"
    stem = soname.split(".so", 1)[0]
    return f"the runtime package that ships {soname} (on Debian usually named {stem}<version>, never {stem}-dev)"


@dynamic_check("native_libs", lesson="02_multi_stage.ipynb#runtime-libraries-only", needs=("filesystem", "runtime"))
def native_libs(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """Every native extension finds its shared libraries.

    Why it matters:
        A compiled extension such as psycopg2's links against system libraries (libpq). The
        build stage had them; if the runtime stage lacks them, the import fails when the app
        starts, not when the image builds.
    How to fix:
        In the runtime stage install the runtime half of each -dev package you built against:
        libpq5 for libpq-dev, with --no-install-recommends, and clean the apt lists. A final
        stage without a package manager (FROM scratch, distroless) gets the library files
        instead: COPY them from a stage that installs the package, into a folder the loader searches.
    """
    if evidence.filesystem is None:
        return unmeasured(evidence)
    runtime = evidence.runtime
    if not evidence.filesystem.extensions:
        return Outcome(True, "No native extensions in site-packages or a venv.")
    denied = _denied_extensions(evidence)
    if denied:
        reasons: dict[str, list[str]] = {}
        for path, why in sorted(denied.items()):
            reasons.setdefault(why.split(" to reach ", 1)[0], []).append(short_path(path))
        denied_text = "; ".join(f"{why} ({listing(paths, 2)})" for why, paths in list(reasons.items())[:2])
        return Outcome(False, f"{len(denied)} of {len(evidence.filesystem.extensions)} native extensions exist but the "
                              f"image's user cannot read them: {denied_text}. This is a permission problem, not a missing "
                              f"library. Fix: {PERMISSION_FIX}.",
                       {"denied": denied, "checked": len(evidence.filesystem.extensions)})
    if runtime is None or not runtime.libraries_by:
        return not_run("the extensions' shared libraries were not resolved (the filesystem scan was not given to the "
                       "runtime probe)", machine=True)
    missing = {path: libs for path, libs in runtime.libraries.items() if libs}
    unreadable = dict(runtime.library_errors)
    count = len(runtime.libraries)
    if missing:
        sonames = sorted({lib for libs in missing.values() for lib in libs})
        lines = [f"{short_path(path)} needs {', '.join(libs)}" for path, libs in sorted(missing.items())]
        if _has_package_manager(evidence.filesystem):
            hints = "; ".join(f"{soname}: install {package_hint(soname)}" for soname in sonames)
        else:
            packages = sorted({DEBIAN_PACKAGES[soname] for soname in sonames if soname in DEBIAN_PACKAGES})
            source = f"a stage that installs {', '.join(packages)}" if packages else "a stage that has them"
            hints = (f"the image has no package manager: COPY {', '.join(sonames)} (and the libraries they need) from "
                     f"{source}, into a folder the loader searches")
        return Outcome(False, f"{len(missing)} of {count} native extensions cannot load: {listing(lines, 3)}, "
                              f"which the image does not have ({hints}).",
                       {"missing": {p: l for p, l in missing.items()}, "checked": count})
    if unreadable:
        lines = [f"{short_path(path)}: {error.splitlines()[-1] if error else 'error'}" for path, error in unreadable.items()]
        return Outcome(False, f"{len(unreadable)} extension(s) cannot load in this interpreter: {listing(lines, 2)}.",
                       {"errors": unreadable, "checked": count})
    return Outcome(True, f"All {count} native extensions resolve their shared libraries ({runtime.libraries_by}).",
                   {"checked": count})


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
    runtime, command = evidence.runtime, evidence.command
    if runtime is None:
        return not_run("there is no image")
    if command is not None and command.problem:
        return Outcome(False, f"The command ({' '.join(command.argv[:2])} ...) cannot start as {command.user}, so the app "
                              f"cannot be imported the way it runs: {command.problem}.",
                       {"chain": command.chain, "problem": command.problem, "fallback": runtime.interpreter})
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
        denied = _denied_paths(evidence, runtime.sys_path)
        if denied:
            extra = (f" The files exist but the image's user cannot read them: {listing(list(denied.values()), 2)}."
                     f" Fix: {PERMISSION_FIX}.")
        return Outcome(False, f"`import {module}` fails with {where}: {reason}.{extra}",
                       {"failed": {m: o[-800:] for m, o in failed.items()}, "interpreter": runtime.interpreter,
                        "uid": runtime.uid})
    modules = ", ".join(runtime.imports) or "nothing"
    return Outcome(True, f"`import {modules}` works with {where}.", {"interpreter": runtime.interpreter, "uid": runtime.uid})


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
        return unmeasured(evidence)
    broken = [f"the venv {venv} cannot start its Python: {why} (create the venv at the path it will run from, on the "
              f"same base image as the runtime stage)" for venv, why in venv_problems(fs).items()]
    if runtime is None or runtime.error or not runtime.version:
        if broken:
            text = "; ".join(broken)
            return Outcome(False, text[0].upper() + text[1:] + ".", {"venvs": venv_problems(fs)})
        return Outcome(False, f"Could not ask the image's interpreter its version: {runtime.error if runtime else 'no probe'}")
    major, minor = runtime.version.split(".")[:2]
    problems: list[str] = list(broken)
    on_path = tuple(p.rstrip("/") + "/" for p in runtime.sys_path if p.startswith("/"))
    venv_prefixes = tuple(v.rstrip("/") + "/" for v in fs.venvs)
    wrong_abi = []
    for path in fs.extensions:
        match = re.search(r"\.cpython-(\d)(\d+)[a-z]*-[^/]*\.so$", path)
        if not match or not (path.startswith(on_path) or path.startswith(venv_prefixes)):
            continue
        if (match.group(1), match.group(2)) != (major, minor):
            wrong_abi.append(f"{short_path(path)} (cpython-{match.group(1)}{match.group(2)})")
    if wrong_abi:
        problems.append(f"extensions built for another Python: {listing(wrong_abi, 2)}")
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


_PACKAGE_MANAGERS = ("/usr/bin/apt-get", "/usr/bin/dpkg", "/sbin/apk", "/usr/bin/dnf", "/usr/bin/microdnf", "/usr/bin/yum")


def _has_package_manager(fs) -> bool:
    """True when the image can install a package itself (apt-get, dpkg, apk, dnf...)."""
    return any(fs.is_file(path) for path in _PACKAGE_MANAGERS)


def _denied_extensions(evidence: Evidence) -> dict[str, str]:
    """Extension -> why the image's user cannot read it (only extensions that exist and are denied)."""
    fs, command = evidence.filesystem, evidence.command
    if fs is None or command is None:
        return {}
    found = {path: access_problem(fs, path, command.user, "r") for path in fs.extensions}
    return {path: why for path, why in found.items() if why}


def _denied_paths(evidence: Evidence, sys_path: list[str]) -> dict[str, str]:
    """Up to three paths the app needs (its WORKDIR, site-packages, venvs) that the user cannot read."""
    fs, command = evidence.filesystem, evidence.command
    if fs is None or command is None:
        return {}
    workdir = evidence.image.workdir if evidence.image is not None else ""
    roots = [workdir or "", *fs.venvs, *fs.site_dirs, *(p for p in sys_path if p.startswith("/"))]
    return unreadable(fs, command.user, [r for r in roots if r and r != "/"])
