"""The command's chain, resolved as the kernel resolves it, against the image's own filesystem.

To start ``CMD ["uvicorn", ...]`` the engine looks ``uvicorn`` up on the image's PATH, the kernel
reads its ``#!`` line and starts the interpreter it names, that interpreter is often a link into
a venv (``/opt/venv/bin/python -> /usr/local/bin/python3``), and a venv's Python finds its
standard library through ``home`` in ``pyvenv.cfg``. Every link of that chain must exist, and the
image's own user (``Config.User``) must be allowed to enter every folder on the way and to read
or run the file at its end.

:func:`resolve_command` follows that chain in the filesystem scan (nothing is started) and names
the first link that is missing or that the user may not use; :func:`image_user` resolves USER
to ids through the image's ``/etc/passwd`` and ``/etc/group``; :func:`access_problem` says why a
user cannot read or run one path; :func:`venv_problems` checks every venv's interpreter and home.
All pure: plain facts in, plain facts out.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

from checker import engine
from checker.probes.filesystem import DEFAULT_PATH, FilesystemFacts

_LAUNCHERS = {"tini", "dumb-init", "gosu", "su-exec", "catatonit", "exec"}
_SHELLS = {"sh", "bash", "dash", "ash"}
_SHELL_SYNTAX_RE = re.compile(r"[;&|`$()<>\n]")
_SHELL_BUILTINS = {"cd", "export", "set", ".", "source", "if", "for", "while", "case", "trap", "ulimit", "umask", "eval"}
_PYTHON_RE = re.compile(r"^python(\d+(\.\d+)?)?$")
_HOME_RE = re.compile(r"^\s*home\s*=\s*(.+?)\s*$", re.MULTILINE)
_MAX_LINKS = 40

#: The fix for an interpreter that the copy left behind.
RELOCATION_FIX = ("create the venv at the path it will run from (python -m venv /opt/venv in the build stage, "
                  "then COPY --from=build /opt/venv /opt/venv), and build it on the same base image as the runtime stage")


#: The fix for files the image's user may not read or run.
PERMISSION_FIX = ("make what the app needs readable by the image's user: install it outside a private home (a venv "
                  "under /opt rather than pip install --user under /root), or COPY --chown=<user> it")


@dataclass(frozen=True)
class ImageUser:
    """The user the image's processes run as (``Config.User`` resolved in the image's own files)."""

    spec: str
    """USER as written (``app``, ``10001``, ``app:app``); empty means root."""
    uid: int | None
    """None when the name is in no ``/etc/passwd`` of the image (the container would not start)."""
    gids: tuple[int, ...] = (0,)
    """Primary group first, then supplementary groups from ``/etc/group``."""
    name: str = ""
    """The login name in the image's ``/etc/passwd`` (empty when the uid has none)."""

    def __str__(self) -> str:
        if self.uid is None:
            return f"user {self.spec}"
        name = self.name or self.spec.split(":", 1)[0] or "root"
        return f"user {name}" + ("" if name == str(self.uid) else f" (uid {self.uid})")


def _table(text: str) -> list[list[str]]:
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#") and line.count(":") >= 2]


def image_user(user: str | None, fs: FilesystemFacts) -> ImageUser:
    """Resolve USER (``name``, ``uid``, ``name:group``) to ids as the engine does: through the
    image's ``/etc/passwd`` and ``/etc/group``; a uid absent from passwd runs with group 0."""
    spec = (user or "").strip()
    name, _, group = spec.partition(":")
    passwd = _table(fs.accounts.get("/etc/passwd", ""))
    groups = _table(fs.accounts.get("/etc/group", ""))
    uid: int | None
    gid = 0
    login = name or "root"
    entry = next((row for row in passwd if (row[2] == login if login.isdigit() else row[0] == login)), None)
    if login.isdigit():
        uid = int(login)
    elif entry is not None and entry[2].isdigit():
        uid = int(entry[2])
    else:
        uid = None
    if entry is not None and len(entry) > 3 and entry[3].isdigit():
        gid = int(entry[3])
        login = entry[0]
    if group:
        row = next((row for row in groups if row[0] == group or row[2] == group), None)
        gid = int(group) if group.isdigit() else int(row[2]) if row and row[2].isdigit() else gid
    extra = [int(row[2]) for row in groups if len(row) > 3 and row[2].isdigit() and login in row[3].split(",")]
    return ImageUser(spec, uid, tuple(dict.fromkeys([gid, *extra])), entry[0] if entry else "")


def _names(fs: FilesystemFacts, uid: int, gid: int) -> str:
    user = next((row[0] for row in _table(fs.accounts.get("/etc/passwd", "")) if row[2] == str(uid)), str(uid))
    group = next((row[0] for row in _table(fs.accounts.get("/etc/group", "")) if row[2] == str(gid)), str(gid))
    return f"{user}:{group}"


def mode_text(mode: int, directory: bool) -> str:
    """``drwx------ (0700)`` for a folder of mode 0o700."""
    letters = "".join(ch if mode & (1 << (8 - i)) else "-" for i, ch in enumerate("rwxrwxrwx"))
    return f"{'d' if directory else '-'}{letters} ({mode & 0o777:04o})"


def _allowed(mode: int, owner: int, group: int, user: ImageUser, want: int) -> bool:
    """``want`` is 4 (read), 1 (execute/enter) or 5 (both)."""
    if user.uid == 0:
        return not (want & 1) or bool(mode & 0o111)  # root reads anything; runs what has an x bit
    bits = (mode >> 6) if user.uid == owner else (mode >> 3) if group in user.gids else mode
    return (bits & want) == want


def access_problem(fs: FilesystemFacts, path: str, user: ImageUser, want: str = "r") -> str | None:
    """Why ``user`` cannot use ``path`` (``want``: ``r`` read, ``x`` run, ``d`` list a folder),
    or None when it can (or when the scan has no modes, or the user is unknown).

    Every folder on the way (links followed) must let the user enter it (x); the file itself must
    be readable (r), or readable and executable for a script run by the kernel (x). The answer
    names the path, its mode, its owner and the user: ``/root is drwx------ (0700) root:root, so
    user app (uid 10001) cannot enter it``.
    """
    if user.uid is None or not fs.modes:
        return None
    resolved = fs.resolve(path) or posixpath.normpath(path)
    parts = resolved.strip("/").split("/")
    current = "/"
    for part in parts[:-1]:
        current = posixpath.join(current, part)
        mode, owner, group = fs.modes.get(current, (0o755, 0, 0))
        if not _allowed(mode, owner, group, user, 1):
            return (f"{current} is {mode_text(mode, True)} {_names(fs, owner, group)}, so {user} cannot enter it"
                    + ("" if current == resolved else f" to reach {path}"))
    if resolved not in fs.modes:
        return None
    mode, owner, group = fs.modes[resolved]
    directory = fs.kinds.get(resolved) == "d"
    need, verb = {"r": (4, "read it"), "x": (5 if not directory else 1, "run it"), "d": (5, "list it")}[want]
    if directory and want == "r":
        need, verb = 1, "enter it"
    if not _allowed(mode, owner, group, user, need):
        return f"{resolved} is {mode_text(mode, directory)} {_names(fs, owner, group)}, so {user} cannot {verb}"
    return None


def follow_links(fs: FilesystemFacts, path: str) -> tuple[list[str], str | None]:
    """The links ``path`` goes through (``["/opt/venv/bin/python -> /usr/local/bin/python3"]``),
    and the first path that does not exist (None when the chain ends at an existing file)."""
    hops: list[str] = []
    current = posixpath.normpath(path)
    for _ in range(_MAX_LINKS):
        parent = fs.resolve(posixpath.dirname(current))
        if parent is None:
            return hops, current
        here = posixpath.join(parent, posixpath.basename(current))
        kind = fs.kinds.get(here)
        if kind is None:
            return hops, here
        if kind != "l":
            return hops, None
        target = fs.links[here]
        target = posixpath.normpath(target if target.startswith("/") else posixpath.join(parent, target))
        hops.append(f"{here} -> {fs.links[here]}")
        current = target
    return hops, current


def venv_of(fs: FilesystemFacts, interpreter: str) -> str | None:
    """The venv folder an interpreter path belongs to (``/opt/venv`` for ``/opt/venv/bin/python``)."""
    root = posixpath.dirname(posixpath.dirname(posixpath.normpath(interpreter)))
    return root if root in fs.venvs else None


def venv_home_problem(fs: FilesystemFacts, venv: str) -> str | None:
    """Why the venv's ``home`` (the Python it was made from) is missing, or None when it is there."""
    found = _HOME_RE.search(fs.venvs.get(venv, ""))
    if not found:
        return None
    home = found.group(1).rstrip("/") or "/"
    version = re.search(r"^\s*version(?:_info)?\s*=\s*(\d+\.\d+)", fs.venvs.get(venv, ""), re.MULTILINE)
    candidates = ("python3", "python", *([f"python{version.group(1)}"] if version else []))
    names = [n for n in candidates if fs.is_file(posixpath.join(home, n))]
    if names:
        return None
    return (f"{venv}/pyvenv.cfg says the venv was made from the Python in {home} (home = {home}), "
            f"which this image does not have")


def venv_problems(fs: FilesystemFacts) -> dict[str, str]:
    """Venv folder -> why its interpreter cannot start: ``bin/python`` is a link to a missing file,
    or ``pyvenv.cfg``'s home has no Python. Venvs without a problem are left out."""
    problems: dict[str, str] = {}
    for venv in sorted(fs.venvs):
        python = f"{venv}/bin/python"
        if python in fs.kinds or fs.kinds.get(f"{venv}/bin") is not None:
            hops, missing = follow_links(fs, python)
            if missing is not None and hops:
                problems[venv] = f"{' , '.join(hops)}, and {missing} does not exist in the image"
                continue
        home = venv_home_problem(fs, venv)
        if home:
            problems[venv] = home
            continue
        dangling = _dangling_shebangs(fs, venv)
        if dangling:
            names = ", ".join(posixpath.basename(p) for p in dangling[:3]) + (f" and {len(dangling) - 3} more" if len(dangling) > 3 else "")
            interpreter = (fs.shebang(dangling[0]) or ["?"])[0]
            problems[venv] = (f"its scripts ({names}) start with #!{interpreter}, which does not exist in the image: "
                              f"the venv was made at another path and copied here")
    return problems


def _dangling_shebangs(fs: FilesystemFacts, venv: str) -> list[str]:
    """The venv's ``bin/`` scripts whose ``#!`` names an absolute interpreter the image lacks (the
    scan keeps first bytes only for folders on PATH, so a venv off PATH is not judged here)."""
    prefix = f"{venv}/bin/"
    found = []
    for path in sorted(fs.heads):
        if not path.startswith(prefix) or "/" in path[len(prefix):]:
            continue
        words = fs.shebang(path)
        if words and words[0].startswith("/") and follow_links(fs, words[0])[1] is not None:
            found.append(path)
    return found


@dataclass
class CommandFacts:
    """The command's chain as resolved in the image, and the first link that breaks it."""

    argv: tuple[str, ...] = ()
    """ENTRYPOINT followed by CMD."""
    user: ImageUser = field(default_factory=lambda: ImageUser("", 0))
    chain: list[str] = field(default_factory=list)
    """What was followed, in order: ``uvicorn -> /opt/venv/bin/uvicorn (on PATH)``, ``#!...``, links."""
    interpreter: str | None = None
    """The Python the command runs (as the command names it), when the chain reaches one."""
    problem: str | None = None
    """The first missing or forbidden link, with its fix; None when the chain holds."""
    denied: bool = False
    """True when :attr:`problem` is a permission (the file exists, the user may not use it)."""

    def describe(self) -> str:
        """The chain as one line: ``uvicorn -> /opt/venv/bin/uvicorn (on PATH); #!/opt/venv/bin/python``."""
        return "; ".join(self.chain)


def _program_words(argv: list[str]) -> list[str]:
    """The words from the program on: launchers, ``env`` and ``sh -c`` unwrapped."""
    words = list(argv)
    for _ in range(8):
        if not words:
            return words
        name = posixpath.basename(words[0])
        if name in _LAUNCHERS:
            words = words[1:]
            while words and (words[0].startswith("-")):
                words = words[2:] if words[0] in ("-s", "-g", "-u") else words[1:]
            continue
        if name == "env":
            words = words[1:]
            while words and (words[0].startswith("-") or "=" in words[0]):
                words = words[1:]
            continue
        if name in _SHELLS and len(words) > 2 and words[1] == "-c":
            if _SHELL_SYNTAX_RE.search(words[2]):
                return []  # a script, not one command: the shell decides what runs
            try:
                words = shlex.split(words[2], comments=True)
            except ValueError:
                return []
            if words and words[0] in _SHELL_BUILTINS:
                return []
            while words and "=" in words[0] and not words[0].startswith("="):
                words = words[1:]
            continue
        return words
    return words


def _lookup(fs: FilesystemFacts, program: str, path_var: str, workdir: str, user: ImageUser
            ) -> tuple[str | None, str | None, bool]:
    """(the path found, the problem, denied?) for a program name as ``execvp`` looks it up."""
    found = fs.which(program, path_var, workdir)
    if found:
        problem = access_problem(fs, found, user, "x")
        return found, (f"{found} exists, but {problem}" if problem else None), bool(problem)
    candidates = ([program if program.startswith("/") else posixpath.join(workdir or "/", program)] if "/" in program
                  else [posixpath.join(d, program) for d in path_var.split(":") if d])
    for candidate in candidates:
        hops, missing = follow_links(fs, candidate)
        if hops and missing:
            return None, f"{' , '.join(hops)}, and {missing} does not exist in the image", False
        problem = access_problem(fs, candidate, user, "x")
        if problem and fs.kinds.get(posixpath.normpath(candidate)):
            return None, f"{candidate} exists, but {problem}", True
    where = "" if "/" in program else f" on PATH ({path_var})"
    return None, f"{program} does not exist{where}", False


def resolve_command(info: engine.ImageInfo, fs: FilesystemFacts) -> CommandFacts:
    """Follow ENTRYPOINT + CMD as the kernel would, in the scanned filesystem, as the image's user.

    program -> PATH lookup -> ``#!`` interpreter (``env`` looked up on PATH) -> its links -> for a
    venv's Python, ``pyvenv.cfg``'s home. Stops at the first link that is missing or that the
    user may not enter, read or run, and says which, with the fix. A program without a ``#!``
    line that we could read (a binary, a script outside PATH) ends the chain without a verdict.
    """
    env = info.env_dict()
    path_var = env.get("PATH", DEFAULT_PATH)
    workdir = info.workdir or "/"
    argv = list(info.entrypoint or ()) + list(info.cmd or ())
    facts = CommandFacts(argv=tuple(argv), user=image_user(info.user, fs))
    words = _program_words(argv)
    if not words:
        return facts
    program = words[0]
    found, problem, denied = _lookup(fs, program, path_var, workdir, facts.user)
    if problem:
        fix = PERMISSION_FIX if denied else "install it in the runtime stage or put its folder on PATH"
        facts.problem, facts.denied = f"{problem}. Fix: {fix}", denied
        return facts
    assert found is not None
    facts.chain.append(f"{program} -> {found}" + ("" if "/" in program else " (on PATH)"))
    interpreter = found if _PYTHON_RE.match(posixpath.basename(program)) else None
    shebang = None if interpreter else fs.shebang(found)
    if shebang:
        facts.chain.append(f"#!{' '.join(shebang)}")
        named = shebang[0]
        if posixpath.basename(named) == "env" and len(shebang) > 1:
            name = next((w for w in shebang[1:] if not w.startswith("-")), shebang[-1])
            target, problem, denied = _lookup(fs, name, path_var, workdir, facts.user)
            if problem:
                fix = PERMISSION_FIX if denied else f"install {name} in the runtime stage, or {RELOCATION_FIX}"
                facts.problem, facts.denied = f"{found} starts with #!{' '.join(shebang)}, but {problem}. Fix: {fix}", denied
                return facts
            named = target or name
        hops, missing = follow_links(fs, named)
        if missing is not None:
            via = f" ({' , '.join(hops)})" if hops else ""
            facts.problem = (f"{found} starts with #!{' '.join(shebang)}, but {missing} does not exist in the image{via}: "
                             f"the script was made somewhere else and copied here. Fix: {RELOCATION_FIX}")
            return facts
        problem = access_problem(fs, named, facts.user, "x")
        if problem:
            facts.problem, facts.denied = (f"{found} starts with #!{' '.join(shebang)}, and {named} exists, but {problem}. "
                                           f"Fix: {PERMISSION_FIX}"), True
            return facts
        if _PYTHON_RE.match(posixpath.basename(named)):
            interpreter = named
    if interpreter is None:
        return facts
    facts.interpreter = interpreter
    hops, missing = follow_links(fs, interpreter)
    facts.chain.extend(hops)
    if missing is not None:
        facts.problem = (f"{' , '.join(hops)}, and {missing} does not exist in the image. Fix: {RELOCATION_FIX}")
        return facts
    problem = access_problem(fs, interpreter, facts.user, "x")
    if problem:
        facts.problem, facts.denied = f"{interpreter} exists, but {problem}. Fix: {PERMISSION_FIX}", True
        return facts
    venv = venv_of(fs, interpreter)
    home = venv_home_problem(fs, venv) if venv else None
    if home:
        facts.problem = f"{interpreter} is the venv {venv}'s Python, but {home}. Fix: {RELOCATION_FIX}"
    return facts


def unreadable(fs: FilesystemFacts, user: ImageUser, roots: list[str], limit: int = 3) -> dict[str, str]:
    """Up to ``limit`` paths under ``roots`` (folders: the app, site-packages, venvs) that exist but
    ``user`` cannot read or enter, each with the reason; a blocked folder stands for all below it."""
    problems: dict[str, str] = {}
    for root in dict.fromkeys(posixpath.normpath(r) for r in roots if r and posixpath.normpath(r) != "/"):
        if len(problems) >= limit or fs.kinds.get(root) != "d":
            continue
        blocked = access_problem(fs, root, user, "d")
        if blocked:
            problems[root] = blocked
            continue
        prefix = root.rstrip("/") + "/"
        for path, kind in fs.kinds.items():
            if kind not in ("f", "d") or not path.startswith(prefix):
                continue
            problem = access_problem(fs, path, user, "r" if kind == "f" else "d")
            if problem and not any(path.startswith(p.rstrip("/") + "/") for p in problems):
                problems[path] = problem
                if len(problems) >= limit:
                    break
    return problems
