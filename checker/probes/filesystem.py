"""What we learn from a built image: its filesystem, its interpreter, whether it serves.

Three probes, each with a deadline and each cleaned up:

* :func:`scan_filesystem` reads ``docker export`` of a created (never started) container as a tar
  stream: the final filesystem's byte count (counted as the engine counts a layer: regular files
  and link targets, hard links once), compilers, C headers, package-manager caches, native
  extensions, virtual environments, and the first bytes of the programs on ``PATH`` (to follow
  shebangs). It needs nothing inside the image, so it works for any image and any user.
* :func:`probe_runtime` runs a small script with the image's own interpreter, ENV, USER and
  WORKDIR, in a container without network or capabilities: ``ldd`` on every native extension,
  the interpreter's version and ABI, and ``python -c "import <module>"`` for the app's modules.
* :func:`probe_health` starts the image with its own command and asks ``GET /health`` until it
  answers 200, the container exits, or the deadline passes.

The facts are plain dataclasses; judging them against a rubric happens in :mod:`checker.checks`.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import tarfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import engine
from . import settings as course_settings

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_COMPILER_NAME_RE = re.compile(
    r"^(?:gcc|cc|c\+\+|g\+\+|clang|clang\+\+|tcc|c89|c99|c89-gcc|c99-gcc|gfortran|rustc"
    r"|(?:gcc|g\+\+|clang|clang\+\+|gfortran)-\d+(?:\.\d+)*"
    r"|[a-z0-9_]+-(?:linux|pc|unknown)[a-z0-9_-]*-(?:gcc|g\+\+|c\+\+|gfortran)(?:-\d+(?:\.\d+)*)?)$"
)
_COMPILER_PROPER = {"cc1", "cc1plus", "cc1obj", "f951"}
_BIN_DIRS = ("/usr/bin/", "/usr/local/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/sbin/")
_CACHE_RE = re.compile(r"^(.*?/\.cache/(?:pip|uv|pypoetry|pipenv|pdm|pip-tools))(?:/|$)")
_SO_RE = re.compile(r"\.so(?:\.\d+)*$")
_ABI_RE = re.compile(r"\.cpython-(\d)(\d+)[a-z]*-[^/]*\.so$")
_SITE_DIR_RE = re.compile(r"^(.*/(?:site|dist)-packages)(?:/|$)")


# ----------------------------------------------------------------------------------------------
# filesystem


@dataclass
class FilesystemFacts:
    """What the final filesystem holds (from ``docker export``)."""

    total_bytes: int = 0
    """Bytes of the final filesystem, counted as the engine counts a layer."""
    entries: int = 0
    compilers: list[str] = field(default_factory=list)
    """Compiler programs that resolve to a real file (``/usr/bin/gcc``, ``.../cc1``...)."""
    headers: list[tuple[str, int]] = field(default_factory=list)
    """C headers under /usr/include and /usr/local/include, and any ``Python.h``: (path, bytes)."""
    caches: dict[str, int] = field(default_factory=dict)
    """Package-manager cache folders (``/root/.cache/pip``...) and the bytes they hold."""
    extensions: list[str] = field(default_factory=list)
    """Native extensions and bundled libraries in site-packages, dist-packages and venvs."""
    venvs: dict[str, str] = field(default_factory=dict)
    """Virtual environments: folder -> text of its ``pyvenv.cfg``."""
    site_dirs: dict[str, int] = field(default_factory=dict)
    """site-packages and dist-packages folders and how many files each holds."""
    kinds: dict[str, str] = field(default_factory=dict, repr=False)
    """Every path: ``f`` file, ``d`` folder, ``l`` link, ``o`` other."""
    links: dict[str, str] = field(default_factory=dict, repr=False)
    heads: dict[str, bytes] = field(default_factory=dict, repr=False)
    """First bytes of the files in the folders on PATH (for shebangs)."""
    seconds: float = 0.0

    def resolve(self, path: str, depth: int = 0) -> str | None:
        """Follow links inside the image; the final path when it exists, else None."""
        if depth > 40:
            return None
        path = posixpath.normpath(path)
        parts = path.strip("/").split("/")
        current = "/"
        for index, part in enumerate(parts):
            candidate = posixpath.join(current, part)
            kind = self.kinds.get(candidate)
            if kind == "l":
                target = self.links[candidate]
                target = target if target.startswith("/") else posixpath.join(current, target)
                rest = "/".join(parts[index + 1 :])
                resolved = self.resolve(posixpath.join(target, rest) if rest else target, depth + 1)
                return resolved
            if kind is None:
                return None
            current = candidate
        return current

    def is_file(self, path: str) -> bool:
        resolved = self.resolve(path)
        return resolved is not None and self.kinds.get(resolved) == "f"

    def which(self, program: str, path_var: str, workdir: str = "/") -> str | None:
        """The path a program name resolves to on PATH (links not followed in the answer)."""
        if "/" in program:
            full = program if program.startswith("/") else posixpath.join(workdir or "/", program)
            return posixpath.normpath(full) if self.is_file(full) else None
        for directory in path_var.split(":"):
            if not directory:
                continue
            candidate = posixpath.join(directory, program)
            if self.is_file(candidate):
                return candidate
        return None

    def shebang(self, path: str) -> list[str] | None:
        resolved = self.resolve(path)
        head = self.heads.get(resolved or "", b"") or self.heads.get(path, b"")
        if not head.startswith(b"#!"):
            return None
        line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        return line.split() or None

    def summary(self) -> dict:
        return {
            "total_bytes": self.total_bytes, "entries": self.entries, "compilers": self.compilers,
            "headers": len(self.headers), "caches": self.caches, "extensions": len(self.extensions),
            "venvs": sorted(self.venvs), "site_dirs": self.site_dirs,
        }


_MAIN_COMPILERS = ("gcc", "cc", "g++", "c++", "clang", "clang++")


def _compiler_rank(path: str) -> tuple[int, str]:
    """The names a learner knows first (gcc, cc, g++...), then versioned and backend programs."""
    name = posixpath.basename(path)
    return (_MAIN_COMPILERS.index(name) if name in _MAIN_COMPILERS else len(_MAIN_COMPILERS), path)


def _norm(name: str) -> str:
    name = name.lstrip("./")
    return "/" + name.rstrip("/") if name else "/"


def scan_filesystem(
    image: str,
    *,
    path_var: str = DEFAULT_PATH,
    labels: dict[str, str] | None = None,
    deadline_s: float = 300,
) -> FilesystemFacts:
    """Read the image's final filesystem once and collect the facts the checks need."""
    facts = FilesystemFacts()
    started = time.monotonic()
    path_dirs = {posixpath.normpath(d) for d in path_var.split(":") if d.startswith("/")}
    compiler_candidates: list[str] = []
    so_files: list[str] = []
    with engine.exported_filesystem(image, labels=labels) as stream:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if time.monotonic() - started > deadline_s:
                    raise engine.EngineError(f"Reading the image's filesystem took over {deadline_s:.0f} s.")
                path = _norm(member.name)
                facts.entries += 1
                if member.isdir():
                    facts.kinds[path] = "d"
                    continue
                if member.issym():
                    facts.kinds[path] = "l"
                    facts.links[path] = member.linkname
                    facts.total_bytes += len(member.linkname)
                elif member.islnk():
                    facts.kinds[path] = "f"
                elif member.isreg():
                    facts.kinds[path] = "f"
                    facts.total_bytes += member.size
                else:
                    facts.kinds[path] = "o"
                    continue
                name = posixpath.basename(path)
                directory = posixpath.dirname(path)
                if (_COMPILER_NAME_RE.match(name) and path.startswith(_BIN_DIRS)) or (
                    name in _COMPILER_PROPER and ("/gcc/" in path or "/gcc-cross/" in path)
                ):
                    compiler_candidates.append(path)
                if member.isreg():
                    if name.endswith(".h") and (path.startswith(("/usr/include/", "/usr/local/include/")) or name == "Python.h"):
                        facts.headers.append((path, member.size))
                    cache = _CACHE_RE.match(path)
                    if cache:
                        facts.caches[cache.group(1)] = facts.caches.get(cache.group(1), 0) + member.size
                    site = _SITE_DIR_RE.match(path)
                    if site:
                        facts.site_dirs[site.group(1)] = facts.site_dirs.get(site.group(1), 0) + 1
                    if _SO_RE.search(name):
                        so_files.append(path)
                    if name == "pyvenv.cfg" and member.size < 64 * 1024:
                        handle = tar.extractfile(member)
                        facts.venvs[directory] = handle.read().decode("utf-8", "replace") if handle else ""
                    elif directory in path_dirs and member.size > 0:
                        handle = tar.extractfile(member)
                        if handle is not None:
                            facts.heads[path] = handle.read(256)
    facts.compilers = sorted((path for path in compiler_candidates if facts.is_file(path)), key=_compiler_rank)
    venv_prefixes = tuple(directory.rstrip("/") + "/" for directory in facts.venvs)
    facts.extensions = sorted(
        path for path in so_files if _SITE_DIR_RE.match(path) or (venv_prefixes and path.startswith(venv_prefixes))
    )
    facts.seconds = time.monotonic() - started
    return facts


# ----------------------------------------------------------------------------------------------
# base images: how much of the waste is theirs (computed once per image id, kept on disk)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lean-python-images"


@dataclass(frozen=True)
class BaseFacts:
    image_id: str
    size_bytes: int
    filesystem_bytes: int

    @property
    def wasted_bytes(self) -> int:
        return max(0, self.size_bytes - self.filesystem_bytes)


def base_facts(ref: str, *, labels: dict[str, str] | None = None) -> BaseFacts | None:
    """Size and filesystem bytes of a base image (None for ``scratch`` or a missing image)."""
    if not ref or ref == "scratch" or not engine.image_exists(ref):
        return None
    info = engine.image_info(ref)
    cache_file = _cache_dir() / "base-facts.json"
    try:
        known = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        known = {}
    entry = known.get(info.id)
    if isinstance(entry, dict) and "filesystem_bytes" in entry:
        return BaseFacts(info.id, info.size_bytes, int(entry["filesystem_bytes"]))
    facts = scan_filesystem(info.id, labels=labels)
    known[info.id] = {"ref": ref, "filesystem_bytes": facts.total_bytes, "size_bytes": info.size_bytes}
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=1, sort_keys=True))
        tmp.replace(cache_file)
    except OSError:
        pass
    return BaseFacts(info.id, info.size_bytes, facts.total_bytes)


# ----------------------------------------------------------------------------------------------
# which interpreter runs the app


_LAUNCHERS = {"sh", "bash", "dash", "tini", "dumb-init", "env", "exec", "gosu", "su-exec", "catatonit"}
_PYTHON_RE = re.compile(r"^python(\d+(\.\d+)?)?$")


def runtime_interpreter(info: engine.ImageInfo, fs: FilesystemFacts) -> tuple[str | None, str]:
    """The interpreter the image's command runs, and how we found it.

    Follows the command (``python ...``, or a program whose shebang names an interpreter, such as a
    venv's ``uvicorn``); falls back to ``python`` then ``python3`` on the image's PATH.
    """
    env = info.env_dict()
    path_var = env.get("PATH", DEFAULT_PATH)
    workdir = info.workdir or "/"
    argv = list(info.entrypoint or ()) + list(info.cmd or ())
    for word in argv[:4]:
        if word.startswith("-"):
            continue
        program = posixpath.basename(word)
        found = fs.which(word, path_var, workdir)
        if _PYTHON_RE.match(program):
            if found:
                return found, f"the command runs {word}"
            break
        if program in _LAUNCHERS:
            continue
        if found:
            shebang = fs.shebang(found)
            if shebang:
                interpreter = shebang[0]
                if posixpath.basename(interpreter) == "env" and len(shebang) > 1:
                    interpreter = fs.which(shebang[-1], path_var, workdir) or shebang[-1]
                if _PYTHON_RE.match(posixpath.basename(interpreter)) and fs.is_file(interpreter):
                    return interpreter, f"{word} starts with #!{' '.join(shebang)}"
        break
    for name in ("python", "python3"):
        found = fs.which(name, path_var, workdir)
        if found:
            return found, f"{name} on the image's PATH"
    return None, "no python on the image's PATH"


_MODULE_ATTR_RE = re.compile(r"^([A-Za-z_][\w.]*):[A-Za-z_][\w.()]*$")


def app_modules(info: engine.ImageInfo, fallback: tuple[str, ...] = ("main",)) -> tuple[str, ...]:
    """The modules the command imports: ``main`` for ``uvicorn main:app``, X for ``python -m X``."""
    argv = list(info.entrypoint or ()) + list(info.cmd or ())
    for index, word in enumerate(argv):
        match = _MODULE_ATTR_RE.match(word)
        if match and not word.startswith(("/", "-")):
            return (match.group(1),)
        if word == "-m" and index + 1 < len(argv) and _PYTHON_RE.match(posixpath.basename(argv[index - 1] if index else "")):
            module = argv[index + 1]
            if module not in {"uvicorn", "gunicorn", "hypercorn", "flask", "fastapi"}:
                return (module,)
    return fallback


# ----------------------------------------------------------------------------------------------
# runtime probe

PROBE_SCRIPT = r'''
import glob, json, os, re, subprocess, sys, sysconfig

def tail(data, limit=1500):
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text[-limit:]

def run(argv, timeout):
    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        p.kill()
        return None, b"", b"timed out"
    except OSError as exc:
        return None, b"", str(exc).encode()

MISSING_RE = re.compile(r"^\s*(\S+) => not found", re.M)
DLOPEN_RE = re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file")

def check_library(path, tool):
    if tool:
        code, out, err = run(tool + [path], 30)
        text = tail(out + err, 4000)
        if "not a dynamic executable" in text or "not regular file" in text:
            return {"missing": [], "error": None}
        missing = sorted(set(MISSING_RE.findall(text)))
        if missing or code == 0:
            return {"missing": missing, "error": None}
        return {"missing": [], "error": text.strip()[-500:] or "ldd failed"}
    code, out, err = run([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])", path], 30)
    if code == 0:
        return {"missing": [], "error": None}
    text = tail(err)
    missing = sorted(set(DLOPEN_RE.findall(text)))
    return {"missing": missing, "error": None if missing else text.strip()[-500:]}

def main():
    with open("/.lpi-probe/args.json") as handle:
        args = json.load(handle)
    info = {
        "executable": sys.executable,
        "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
        "soabi": sysconfig.get_config_var("SOABI") or "",
        "include": sysconfig.get_paths().get("include") or "",
        "path": [p for p in sys.path if p],
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "cwd": os.getcwd(),
        "uid": os.getuid(),
    }
    tool = None
    for candidate in ("/usr/bin/ldd", "/bin/ldd", "/usr/local/bin/ldd"):
        if os.access(candidate, os.X_OK):
            tool = [candidate]
            break
    if tool is None:
        loaders = sorted(glob.glob("/lib64/ld-linux*.so*") + glob.glob("/lib/ld-linux*.so*") + glob.glob("/lib/ld-musl*.so*"))
        if loaders:
            tool = [loaders[0], "--list"]
    info["ldd"] = " ".join(tool) if tool else "ctypes"
    libraries = {}
    for path in args["extensions"]:
        libraries[path] = check_library(path, tool)
    info["libraries"] = libraries
    imports = {}
    for module in args["modules"]:
        code, out, err = run([sys.executable, "-c", "import " + module], args.get("import_timeout", 60))
        imports[module] = {"ok": code == 0, "output": tail(err if code is not None else b"the import did not finish in time")}
    info["imports"] = imports
    sys.stdout.write("LPI-PROBE " + json.dumps(info) + "\n")

main()
'''


@dataclass
class RuntimeFacts:
    """What the image's own interpreter says about itself and its extensions."""

    interpreter: str
    found_by: str
    version: str = ""
    soabi: str = ""
    include: str = ""
    sys_path: list[str] = field(default_factory=list)
    ldd: str = ""
    libraries: dict[str, list[str]] = field(default_factory=dict)
    """Extension -> shared libraries that do not resolve (empty list: all resolve)."""
    library_errors: dict[str, str] = field(default_factory=dict)
    imports: dict[str, tuple[bool, str]] = field(default_factory=dict)
    """Module -> (imported?, the end of its stderr)."""
    error: str | None = None
    """Set when the probe itself could not run (no interpreter, it crashed, deadline)."""
    seconds: float = 0.0

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def probe_runtime(
    image: str,
    interpreter: str | None,
    found_by: str,
    *,
    extensions: list[str],
    modules: tuple[str, ...],
    labels: dict[str, str] | None = None,
    timeout_s: float = 120,
    settings: course_settings.Settings | None = None,
) -> RuntimeFacts:
    facts = RuntimeFacts(interpreter=interpreter or "", found_by=found_by)
    if interpreter is None:
        facts.error = "The image has no Python interpreter on its PATH, so its extensions and imports cannot be checked."
        return facts
    args = {"extensions": extensions, "modules": list(modules), "import_timeout": max(10, timeout_s / 2)}
    result = engine.run(
        image,
        [interpreter, "/.lpi-probe/probe.py"],
        files={".lpi-probe/probe.py": PROBE_SCRIPT.encode(), ".lpi-probe/args.json": json.dumps(args).encode()},
        labels=labels,
        timeout_s=timeout_s,
        settings=settings,
    )
    facts.seconds = result.seconds
    line = next((l for l in result.stdout.splitlines() if l.startswith("LPI-PROBE ")), None)
    if result.timed_out:
        facts.error = f"The probe did not finish within {timeout_s:.0f} s."
        return facts
    if line is None:
        output = (result.stderr or result.stdout).strip()[-800:]
        facts.error = f"{interpreter} did not run (exit {result.exit_code}): {output or 'no output'}"
        return facts
    data = json.loads(line[len("LPI-PROBE "):])
    facts.version = data.get("version", "")
    facts.soabi = data.get("soabi", "")
    facts.include = data.get("include", "")
    facts.sys_path = list(data.get("path", []))
    facts.ldd = data.get("ldd", "")
    for path, outcome in (data.get("libraries") or {}).items():
        facts.libraries[path] = list(outcome.get("missing") or [])
        if outcome.get("error"):
            facts.library_errors[path] = outcome["error"]
    for module, outcome in (data.get("imports") or {}).items():
        facts.imports[module] = (bool(outcome.get("ok")), str(outcome.get("output") or ""))
    return facts


# ----------------------------------------------------------------------------------------------
# health


@dataclass
class HealthFacts:
    ok: bool
    status: int | None = None
    seconds: float = 0.0
    """From the container's start to the first 200 (or to giving up)."""
    port: int = 8000
    path: str = "/health"
    reached_via: str = ""
    error: str | None = None
    logs: str = ""
    """The end of the container's output (capped)."""
    exit_code: int | None = None
    oom_killed: bool = False


def container_port(info: engine.ImageInfo, preferred: int) -> int:
    """The port to probe: ``preferred`` when exposed or nothing is exposed, else the first EXPOSE."""
    exposed = [int(p.split("/")[0]) for p in info.exposed_ports if p.endswith("/tcp") and p.split("/")[0].isdigit()]
    if not exposed or preferred in exposed:
        return preferred
    return exposed[0]


def probe_health(
    image: str,
    *,
    port: int,
    path: str = "/health",
    deadline_s: float = 30,
    labels: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
    settings: course_settings.Settings | None = None,
) -> HealthFacts:
    """Start the image as it is and wait for ``GET path`` to answer 200.

    ``cancel`` (set by the grader on Ctrl-C) ends the wait early; the container is removed
    whatever happens.
    """
    facts = HealthFacts(ok=False, port=port, path=path)
    started = time.monotonic()
    cancel = cancel or threading.Event()
    try:
        with engine.service(image, port=port, labels=labels, settings=settings) as service:
            last = ""
            while True:
                if cancel.is_set():
                    facts.error = "The health probe was interrupted."
                    break
                status, body, how = service.get(path, timeout_s=2)
                if status is not None:
                    facts.status, facts.reached_via = status, how
                    if status == 200:
                        facts.ok = True
                        break
                    last = f"GET {path} answered {status}: {body[:200]}"
                else:
                    last = body
                state, exit_code, oom = service.status()
                if state in {"exited", "dead", "removed"}:
                    facts.exit_code, facts.oom_killed = exit_code, oom
                    facts.error = f"The container stopped (exit code {exit_code}{', killed for using too much memory' if oom else ''}) before answering GET {path}."
                    break
                if time.monotonic() - started > deadline_s:
                    facts.error = f"No 200 from GET {path} on port {port} within {deadline_s:.0f} s ({last})."
                    loopback = [ip for ip, bound in (service.listening() or []) if bound == port
                                and (ip.startswith("127.") or ip == "::1")]
                    if loopback:
                        facts.error += (f" The server listens on {loopback[0]}:{port} inside the container, which only the"
                                        f" container itself can reach: bind it to 0.0.0.0 (for example --host 0.0.0.0).")
                    break
                cancel.wait(0.25)
            facts.seconds = time.monotonic() - started
            facts.logs = service.logs(limit=8 * 1024)
    except engine.EngineUnavailable:
        raise
    except engine.EngineError as exc:
        facts.error = str(exc)
        facts.seconds = time.monotonic() - started
    return facts


def as_dict(value) -> dict:
    return asdict(value)
