"""The runtime probe: what the image's own interpreter says about itself, and what its extensions load.

:func:`runtime_interpreter` finds the interpreter the image's command runs (from the filesystem
scan, without starting anything); :func:`native_libraries` resolves every native extension's
shared libraries on the host, from the ELF files of the scan (:mod:`checker.probes.elf`), so it
needs no shell, ``ldd`` or coreutils in the image; :func:`probe_runtime` runs a small script with
the image's own interpreter and its own ENV, USER and WORKDIR, in a container without network or
capabilities: the interpreter's version and ABI, and ``python -c "import <module>"`` for the
app's modules (:func:`app_modules`). The interpreter is the only program started in the image.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field

from checker import engine
from checker import settings as course_settings
from checker.probes.command import CommandFacts, resolve_command
from checker.probes.elf import expand
from checker.probes.filesystem import DEFAULT_PATH, FilesystemFacts


_PYTHON_RE = re.compile(r"^python(\d+(\.\d+)?)?$")


def runtime_interpreter(info: engine.ImageInfo, fs: FilesystemFacts,
                        command: CommandFacts | None = None) -> tuple[str | None, str]:
    """The interpreter the image's command runs, and how we found it: ``(path or None, how)``.

    Follows the command's chain (:func:`checker.probes.command.resolve_command`: PATH, ``#!``,
    links, the venv's home). When the chain is broken or ends in no Python (a shell script, a
    binary), falls back to ``python`` then ``python3`` on the image's PATH, so the version and
    the imports can still be asked, and says so in ``how``: a fallback never proves the command works.
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
# Runs with the image's own interpreter and nothing else: no shell, no ldd, no coreutils. It uses
# only modules every CPython starts with (os, sys, time are built in); subprocess and sysconfig
# are used when the image kept them, so a final stage trimmed to what the app imports still answers.
import os, sys, time

ARGS = __ARGS__

def tail(data, limit=1500):
    return data.decode("utf-8", "replace")[-limit:]

def run(argv, timeout):
    # (exit code or None, stderr bytes); stdout is discarded. fork + exec: works without subprocess.
    try:
        read_end, write_end = os.pipe()
        pid = os.fork()
    except OSError as exc:
        return None, str(exc).encode()
    if pid == 0:
        try:
            os.dup2(write_end, 2)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    os.close(write_end)
    os.set_blocking(read_end, False)
    chunks, deadline, code = [], time.monotonic() + timeout, None
    while True:
        try:
            data = os.read(read_end, 65536)
            if data:
                chunks.append(data)
                continue
        except BlockingIOError:
            pass
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            os.close(read_end)
            return None, b"the import did not finish in time"
        time.sleep(0.02)
    try:
        while True:
            data = os.read(read_end, 65536)
            if not data:
                break
            chunks.append(data)
    except BlockingIOError:
        pass
    os.close(read_end)
    return code, b"".join(chunks)

def soabi():
    try:
        import sysconfig
        return sysconfig.get_config_var("SOABI") or "", sysconfig.get_paths().get("include") or ""
    except Exception:  # sysconfig or its _sysconfigdata removed from a trimmed standard library
        multiarch = getattr(sys.implementation, "_multiarch", "")
        tag = sys.implementation.cache_tag or ""
        return (tag + "-" + multiarch if multiarch else tag), ""

def main():
    abi, include = soabi()
    info = {
        "executable": sys.executable,
        "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
        "soabi": abi,
        "include": include,
        "path": [p for p in sys.path if p],
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "cwd": os.getcwd(),
        "uid": os.getuid(),
    }
    imports = {}
    for module in ARGS["modules"]:
        code, err = run([sys.executable, "-c", "import " + module], ARGS["import_timeout"])
        imports[module] = {"ok": code == 0, "output": tail(err)}
    info["imports"] = imports
    sys.stdout.write("LPI-PROBE " + repr(info) + "\n")

main()
'''


#: How :func:`native_libraries` resolves, as the report says it.
LIBRARIES_BY = ("DT_NEEDED, RUNPATH and RPATH read from the ELF files, looked up on the host in the image's own "
                "files as ld.so would: nothing ran in the image for it")


@dataclass
class RuntimeFacts:
    """What the image's own interpreter says about itself, and what its extensions load."""

    interpreter: str
    found_by: str
    version: str = ""
    soabi: str = ""
    include: str = ""
    sys_path: list[str] = field(default_factory=list)
    libraries_by: str = ""
    """How :attr:`libraries` were resolved (:data:`LIBRARIES_BY`); empty when they were not."""
    libraries: dict[str, list[str]] = field(default_factory=dict)
    """Extension -> shared libraries that do not resolve (empty list: all resolve)."""
    library_errors: dict[str, str] = field(default_factory=dict)
    """Extension -> why its libraries could not be judged (built for another machine than the interpreter)."""
    imports: dict[str, tuple[bool, str]] = field(default_factory=dict)
    """Module -> (imported?, the end of its stderr)."""
    uid: int | None = None
    """The uid the probe ran as: the image's own USER."""
    error: str | None = None
    """Set when the interpreter could not be asked (none found, it crashed, deadline); the libraries may still be set."""
    seconds: float = 0.0

    @property
    def minor(self) -> str:
        """``3.13`` for version ``3.13.1``."""
        return ".".join(self.version.split(".")[:2])


def native_libraries(fs: FilesystemFacts, extensions: list[str], interpreter: str | None, *,
                     library_path: str = "", workdir: str = "/") -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each extension's shared libraries that the dynamic loader would not find: ``(missing, errors)``.

    Pure: resolved with :class:`checker.probes.elf.Resolver` over the scan's ELF files, as if
    ``interpreter`` (the image's Python, whose own libraries count as loaded) loaded (``dlopen``) the
    extension; ``library_path`` is the image's ``LD_LIBRARY_PATH``. ``missing`` maps every
    extension to the names that do not resolve (``[]`` when all do; an extension that is not an
    ELF file loads nothing and gets ``[]``); ``errors`` maps an extension built for another
    machine or ELF class than the interpreter to why.
    """
    resolver = fs.resolver(library_path, workdir)
    program = fs.regular_file(interpreter) if interpreter else None
    loaded = resolver.program_closure(program) if program else None
    program_dyn = fs.dynamic.get(program) if program else None
    loader_rpaths: tuple[str, ...] = ()
    if program and program_dyn is not None and not program_dyn.runpath:
        loader_rpaths = tuple(expand(entry, posixpath.dirname(program), program_dyn.machine) for entry in program_dyn.rpath)
    missing: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for path in extensions:
        real = fs.regular_file(path)
        dyn = fs.dynamic.get(real) if real else None
        if dyn is None:
            missing[path] = []
            continue
        if program_dyn is not None and not program_dyn.compatible(dyn):
            errors[path] = (f"{path} is built for {dyn.machine} ({dyn.elf_class}-bit), but {interpreter} is "
                            f"{program_dyn.machine} ({program_dyn.elf_class}-bit), so it cannot load it")
            missing[path] = []
            continue
        missing[path] = resolver.closure(path, loaded=loaded, loader_rpaths=loader_rpaths).missing
    return missing, errors


def probe_runtime(
    image: str,
    interpreter: str | None,
    found_by: str,
    *,
    extensions: list[str],
    modules: tuple[str, ...],
    filesystem: FilesystemFacts | None = None,
    environment: dict[str, str] | None = None,
    workdir: str = "/",
    labels: dict[str, str] | None = None,
    timeout_s: float = 120,
    settings: course_settings.Settings | None = None,
) -> RuntimeFacts:
    """Resolve the extensions' libraries on the host, then run the probe script with ``interpreter`` in ``image``.

    ``extensions`` are the native extension paths (from the filesystem scan ``filesystem``; with
    no scan, the libraries are not resolved and :attr:`RuntimeFacts.libraries_by` stays empty),
    ``environment`` the image's ENV (its ``LD_LIBRARY_PATH`` is honoured), ``workdir`` its
    WORKDIR, ``modules`` the modules to import; ``timeout_s`` (seconds) bounds the run. The
    container has no network and no capabilities, and only the image's interpreter runs in it.
    Never raises for what the image does: a missing interpreter, a crash or the deadline sets
    :attr:`RuntimeFacts.error`, and so does an engine error while running it; only
    :class:`checker.engine.EngineUnavailable` (the engine is gone) propagates.
    """
    facts = RuntimeFacts(interpreter=interpreter or "", found_by=found_by)
    if filesystem is not None:
        facts.libraries, facts.library_errors = native_libraries(
            filesystem, extensions, interpreter, library_path=(environment or {}).get("LD_LIBRARY_PATH", ""),
            workdir=workdir or "/")
        facts.libraries_by = LIBRARIES_BY
    if interpreter is None:
        facts.error = "The image has no Python interpreter on its PATH, so its imports and version cannot be checked."
        return facts
    args = {"modules": list(modules), "import_timeout": max(10, timeout_s / 2)}
    try:
        result = engine.run(
            image,
            [interpreter, "/.lpi-probe/probe.py"],
            files={".lpi-probe/probe.py": PROBE_SCRIPT.replace("__ARGS__", repr(args)).encode()},
            labels=labels,
            timeout_s=timeout_s,
            settings=settings,
        )
    except engine.EngineUnavailable:
        raise
    except engine.EngineError as exc:  # the libraries resolved above stay judged
        facts.error = str(exc)
        return facts
    facts.seconds = result.seconds
    line = next((l for l in result.stdout.splitlines() if l.startswith("LPI-PROBE ")), None)
    if result.timed_out:
        facts.error = f"The probe did not finish within {timeout_s:.0f} s."
        return facts
    if line is None:
        output = (result.stderr or result.stdout).strip()[-800:]
        facts.error = f"{interpreter} did not run (exit {result.exit_code}): {output or 'no output'}"
        return facts
    try:
        data = ast.literal_eval(line[len("LPI-PROBE "):])
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        facts.error = f"{interpreter} answered something unreadable: {line[:200]}"
        return facts
    facts.version = str(data.get("version", ""))
    facts.soabi = str(data.get("soabi", ""))
    facts.include = str(data.get("include", ""))
    facts.sys_path = [str(p) for p in data.get("path", [])]
    facts.uid = data.get("uid")
    for module, outcome in (data.get("imports") or {}).items():
        facts.imports[module] = (bool(outcome.get("ok")), str(outcome.get("output") or ""))
    return facts
