"""The build context: a .dockerignore that keeps junk out, and does not hide what COPY needs."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule
from checker.rules.layers import whole_context_copy


@dataclass(frozen=True)
class IgnorePattern:
    raw: str
    line: int
    negated: bool
    regex: re.Pattern[str]


def _compile(pattern: str) -> re.Pattern[str]:
    """Translate a .dockerignore pattern the way Docker's pattern matcher does."""
    out = ["^"]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1: i + 2] == "*":
                i += 1
                if pattern[i + 1: i + 2] == "/":
                    i += 1
                out.append(".*" if i + 1 >= len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1: end]
                if body.startswith("^"):
                    body = "^" + body[1:].replace("\\", "\\\\")
                out.append("[" + body + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return re.compile(re.escape(pattern) + "$")


class DockerIgnore:
    """The patterns of a .dockerignore, matched like ``docker build`` does.

    The last pattern that matches a path (or one of its parent directories) decides; ``!``
    re-includes; ``*`` stops at ``/`` and ``**`` crosses directories; a leading ``/`` is dropped.
    """

    def __init__(self, text: str) -> None:
        self.patterns: list[IgnorePattern] = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.startswith("#"):
                continue
            pattern = line.strip()
            if not pattern:
                continue
            negated = pattern.startswith("!")
            if negated:
                pattern = pattern[1:].strip()
            if not pattern:
                continue
            pattern = posixpath.normpath(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern.lstrip("/")
            self.patterns.append(IgnorePattern(line.strip(), number, negated, _compile(pattern)))

    def deciding_pattern(self, path: str) -> IgnorePattern | None:
        """The last pattern that matches ``path`` or a parent of it, or None."""
        path = posixpath.normpath(path.lstrip("/")) if path.strip("/") else "."
        parents = path.split("/")[:-1]
        decided = None
        for pattern in self.patterns:
            if pattern.regex.match(path) or any(pattern.regex.match("/".join(parents[: i + 1])) for i in range(len(parents))):
                decided = pattern
        return decided

    def excludes(self, path: str) -> bool:
        pattern = self.deciding_pattern(path)
        return pattern is not None and not pattern.negated


#: (what to keep out, paths that must be excluded, the pattern to suggest)
_REQUIRED = (
    ("the .git directory", (".git/HEAD",), ".git"),
    ("the .venv virtual environment", (".venv/pyvenv.cfg",), ".venv"),
    ("a venv virtual environment", ("venv/pyvenv.cfg",), "venv"),
    ("__pycache__ directories", ("__pycache__/app.cpython-313.pyc",), "**/__pycache__"),
    ("__pycache__ directories inside packages", ("app/__pycache__/main.cpython-313.pyc",), "**/__pycache__"),
    ("compiled *.pyc files", ("app/module.pyc",), "**/*.pyc"),
    ("the .pytest_cache directory", (".pytest_cache/v/cache/nodeids",), ".pytest_cache"),
)


@rule("LPI013", severity="warning", lesson="05_layer_cache.ipynb#the-dockerignore-file")
def dockerignore_keeps_junk_out(ctx: Context) -> Iterator[Flag]:
    """Keep .git, virtualenvs and caches out of the build context.

    Why it matters:
        docker build sends the whole directory to the engine. Without a .dockerignore, copying
        the project puts your .git history, a local virtualenv built for another OS and stale
        bytecode into the image, and any change to them busts the layer cache.
    How to fix:
        Add a .dockerignore next to the Dockerfile listing at least .git, .venv, venv,
        **/__pycache__, **/*.pyc and .pytest_cache. Note that a plain __pycache__ matches only at
        the top of the context.
    """
    if ctx.dockerignore is None:
        if ctx.context_known:
            copy = next((i for i in ctx.dockerfile.instructions if whole_context_copy(i)), None)
            if copy is not None:
                yield Flag(0, f"The build context has no .dockerignore, so .git, virtualenvs and caches are sent to the engine, "
                              f"and {copy.keyword} {copy.args} on line {copy.line} puts them in the image.")
            else:
                yield Flag(0, "The build context has no .dockerignore, so .git, virtualenvs and caches are sent to the engine "
                              "with every build (slower builds, and one COPY . away from the image).")
        return
    ignore = DockerIgnore(ctx.dockerignore)
    reported: set[str] = set()
    absent: list[tuple[str, str]] = []
    required = list(_REQUIRED) + [(f"the {venv} virtual environment", (f"{venv}/pyvenv.cfg",), venv) for venv in ctx.context_venvs]
    for what, paths, suggestion in required:
        missing = [path for path in paths if not ignore.excludes(path)]
        if not missing or suggestion in reported:
            continue
        reported.add(suggestion)
        deciding = ignore.deciding_pattern(missing[0])
        if deciding is not None and deciding.negated:
            message = f".dockerignore lets {what} back in with '{deciding.raw}' (line {deciding.line})."
        elif suggestion == "**/__pycache__" and ignore.excludes(_REQUIRED[3][1][0]):
            message = ".dockerignore keeps out __pycache__ only at the top of the context; the ones inside your packages still get copied."
        else:
            absent.append((what, suggestion))
            continue
        yield Flag(0, message, hint=f"Add the line {suggestion} to .dockerignore.")
    if absent:
        # One finding for the plain omissions: one list to read, one set of lines to add.
        whats = [what for what, _ in absent]
        listed = whats[0] if len(whats) == 1 else ", ".join(whats[:-1]) + " or " + whats[-1]
        lines = ", ".join(suggestion for _, suggestion in absent)
        yield Flag(0, f".dockerignore does not keep out {listed}.",
                   hint=f"Add {'the line' if len(absent) == 1 else 'these lines'} to .dockerignore: {lines}.")


@rule("LPI018", severity="error", lesson="05_layer_cache.ipynb#the-dockerignore-file")
def copy_sources_not_ignored(ctx: Context) -> Iterator[Flag]:
    """Don't ignore files that COPY needs.

    Why it matters:
        Files matched by .dockerignore never reach the engine: a COPY of one of them fails the
        build with "not found", even though the file is right there on your disk.
    How to fix:
        Remove the pattern that matches the file from .dockerignore, or add a ! line after it
        to let that file back in (for example !requirements.txt).
    """
    if ctx.dockerignore is None:
        return
    ignore = DockerIgnore(ctx.dockerignore)
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword not in {"COPY", "ADD"} or instruction.flag("from"):
            continue
        sources, _ = instruction.sources_and_dest()
        for source in sources:
            clean = source.strip()
            while clean.startswith("./"):
                clean = clean[2:]
            clean = clean.strip("/")
            if not clean or clean == "." or re.search(r"[*?\[]", clean) or "://" in source or "$" in source:
                continue
            pattern = ignore.deciding_pattern(clean)
            if pattern is not None and not pattern.negated:
                yield Flag(instruction.line, f"{instruction.keyword} needs {source}, but .dockerignore excludes it ('{pattern.raw}', line {pattern.line}), so the build fails with 'not found'.")
