"""The .dockerignore matcher the context rules (LPI013, LPI018) use.

The rules themselves live in ``lpi013.py`` and ``lpi018.py``; this module holds only the
matcher, which is to be replaced by the one shared ``.dockerignore`` implementation.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass


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
