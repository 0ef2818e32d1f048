"""The runtime probe: what the image's own interpreter says about itself and its extensions.

:func:`runtime_interpreter` finds the interpreter the image's command runs (from the filesystem
scan, without starting anything); :func:`probe_runtime` runs a small script with that
interpreter and the image's own ENV, USER and WORKDIR, in a container without network or
capabilities: ``ldd`` on every native extension, the interpreter's version and ABI, and
``python -c "import <module>"`` for the app's modules (:func:`app_modules`).
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field

from checker import engine
from checker import settings as course_settings
from checker.probes.command import CommandFacts, resolve_command
from checker.probes.filesystem import DEFAULT_PATH, FilesystemFacts


_PYTHON_RE = re.compile(r"^python(\d+(\.\d+)?)?$")


def runtime_interpreter(info: engine.ImageInfo, fs: FilesystemFacts,
                        command: CommandFacts | None = None) -> tuple[str | None, str]:
    """The interpreter the image's command runs, and how we found it: ``(path or None, how)``.

    Follows the command's chain (:func:`checker.probes.command.resolve_command`: PATH, ``#!``,
    links, the venv's home). When the chain is broken or ends in no Python (a shell script, a
    binary), falls back to ``python`` then ``python3`` on the image's PATH, so ``ldd`` and the
    version can still be asked, and says so in ``how``: a fallback never proves the command works.
    """
    command = command or resolve_command(info, fs)
    if command.interpreter and command.problem is None:
        return command.interpreter, f"the command runs it: {command.describe()}"
    path_var = info.env_dict().get("PATH", DEFAULT_PATH)
    why = "the command's own interpreter cannot start" if command.problem else "the command names no Python"
    for name in ("python", "python3"):
        found = fs.which(name, path_var, info.workdir or "/")
        if found:
            return found, f"{name} on the image's PATH ({why})"
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
    uid: int | None = None
    """The uid the probe ran as: the image's own USER."""
    error: str | None = None
    """Set when the probe itself could not run (no interpreter, it crashed, deadline)."""
    seconds: float = 0.0

    @property
    def minor(self) -> str:
        """``3.13`` for version ``3.13.1``."""
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
    """Run the probe script with ``interpreter`` inside ``image`` (no network, no capabilities).

    ``extensions`` are the native extension paths to ``ldd`` (from the filesystem scan),
    ``modules`` the modules to import; ``timeout_s`` (seconds) bounds the whole run. Never
    raises for what the image does: a missing interpreter, a crash or the deadline sets
    :attr:`RuntimeFacts.error`. Engine errors propagate (:class:`checker.engine.EngineError`).
    """
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
    facts.uid = data.get("uid")
    for path, outcome in (data.get("libraries") or {}).items():
        facts.libraries[path] = list(outcome.get("missing") or [])
        if outcome.get("error"):
            facts.library_errors[path] = outcome["error"]
    for module, outcome in (data.get("imports") or {}).items():
        facts.imports[module] = (bool(outcome.get("ok")), str(outcome.get("output") or ""))
    return facts
