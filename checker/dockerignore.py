"""THE ``.dockerignore`` of a build context: reading it, and deciding what it keeps out, as Docker does.

Used by staging (what is sent to the engine), by the rules LPI013/LPI018 (what they judge) and by
the lessons (what lesson 5 shows), so the three always agree.

Docker's rules, taken from its sources rather than guessed:

- Reading: ``moby/patternmatcher`` ``ignorefile/ignorefile.go`` (``ReadAll``, called by
  ``docker/cli`` ``cli/command/image/build/dockerignore.go`` and by BuildKit): a UTF-8 BOM is
  dropped; a line whose first character is ``#`` is a comment (``  # x`` is a pattern); each line
  is trimmed of whitespace, blank lines are skipped; after a leading ``!`` the rest is trimmed
  again; the pattern is cleaned like Go's ``filepath.Clean`` (``./a`` -> ``a``, ``a/`` -> ``a``,
  ``a//b`` -> ``a/b``, ``a/../b`` -> ``b``) and one leading ``/`` is removed.
- Matching: ``moby/patternmatcher`` ``patternmatcher.go`` (``New``, ``Pattern.compile``,
  ``MatchesUsingParentResults``): a pattern must be valid for Go's ``filepath.Match`` (an
  unclosed ``[``, an empty class, a trailing ``\\`` or a lone ``!`` make ``docker build`` fail);
  ``*`` and ``?`` never cross ``/``; ``**`` spans any number of directories, zero included; a
  pattern starting with ``**`` and otherwise literal matches as a suffix (so ``**.pyc`` matches
  ``a/b/c.pyc``); ``[abc]``, ``[a-z]`` and ``[^x]`` are classes, and ``!`` inside a class is an
  ordinary member (``[!a]b`` matches ``!b`` and ``ab``, not ``cb``); ``\\`` escapes the next
  character; a pattern matching a parent directory matches everything below it; ``!`` lines
  re-include, and the last matching line decides.
- Walking: ``moby/go-archive`` (formerly ``moby/moby`` ``pkg/archive``) ``TarWithOptions``, which
  the CLI uses to make the context: an excluded directory is not even looked into unless a ``!``
  pattern starts with that directory's path, so ``docs`` then ``!docs/keep.md`` sends
  ``docs/keep.md``, but ``docs`` then ``!**/keep.md`` does not.
- Docs: https://docs.docker.com/build/concepts/context/#dockerignore-files

Reader policy (ours, since a submission is untrusted): the file is read once, at most
:data:`MAX_BYTES` (1 MiB); a bigger file, a directory or special file named ``.dockerignore``, or
a symbolic link that leaves the context is refused with :class:`DockerIgnoreError`, never
truncated or silently skipped. A symbolic link that stays inside the context is followed, as the
``docker`` CLI follows it. Bytes that are not UTF-8 are replaced (U+FFFD).
"""

from __future__ import annotations

import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = ["MAX_BYTES", "Decision", "DockerIgnore", "DockerIgnoreError", "Pattern", "clean"]

#: The largest ``.dockerignore`` we read, in bytes (1 MiB); larger files are refused.
MAX_BYTES = 1024 * 1024

#: Go's ``strings.TrimSpace`` set (``unicode.IsSpace``); Python's ``str.strip()`` also trims \x1c-\x1f.
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

_EXACT, _PREFIX, _SUFFIX, _REGEX = "exact", "prefix", "suffix", "regex"
_POSIX_IN_CLASS = re.compile(r"\[[^\]]*\[:\^?(alnum|alpha|ascii|blank|cntrl|digit|graph|lower|print|punct|space|upper|word|xdigit):\]")


class DockerIgnoreError(ValueError):
    """A ``.dockerignore`` that ``docker build`` would fail on, or that the reader refuses.

    ``line`` is the 1-based line of the offending pattern, or None when the whole file is refused.
    ``text`` is the file's text when :meth:`DockerIgnore.read` read it and a pattern is at fault.
    """

    def __init__(self, message: str, line: int | None = None, text: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.text = text


def clean(path: str) -> str:
    """Go's ``filepath.Clean`` for ``/``-separated paths: ``"./a//b/../c/"`` -> ``"a/c"``, ``""`` -> ``"."``."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def _check_syntax(pattern: str) -> bool:
    """Whether Go's ``filepath.Match`` accepts ``pattern`` (Unix rules: ``\\`` escapes)."""
    i, n = 0, len(pattern)

    def esc(j: int) -> int | None:  # Go's getEsc: one class member; the index after it, or None
        if j >= n or pattern[j] in "-]":
            return None
        if pattern[j] == "\\":
            j += 1
            if j >= n:
                return None
        j += 1
        return None if j >= n else j

    while i < n:
        char = pattern[i]
        if char == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            ranges = 0
            while True:
                if i < n and pattern[i] == "]" and ranges:
                    i += 1
                    break
                j = esc(i)
                if j is None:
                    return False
                if pattern[j] == "-":
                    j = esc(j + 1)
                    if j is None:
                        return False
                i, ranges = j, ranges + 1
        elif char == "\\":
            if i + 1 >= n:
                return False
            i += 2
        else:
            i += 1
    return True


def _escape(pattern: str, i: int) -> tuple[str, int]:
    """Python regex text for Go's regexp reading ``\\`` + ``pattern[i]``; the index after it.

    Docker hands ``\\c`` to Go's regexp unchanged, so ``\\d`` is a digit there, not a ``d``.
    Escapes Go rejects are syntax errors; the few Go accepts but Python cannot reproduce
    (``\\p``, ``\\P``, ``\\Q``, ``\\C``) are refused rather than matched differently.
    """
    char = pattern[i]
    if char.isascii() and not char.isalnum():
        return re.escape(char), i + 1
    if char in "dDwWsSbBA":
        return "\\" + char, i + 1  # with re.ASCII as in Go (Python's \s also takes \v)
    if char == "z":
        return r"\Z", i + 1
    if char in "afnrtv":
        return re.escape({"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}[char]), i + 1
    if char == "x":
        digits = pattern[i + 1 : i + 3]
        if len(digits) == 2 and all(c in "0123456789abcdefABCDEF" for c in digits):
            return re.escape(chr(int(digits, 16))), i + 3
    elif char in "01234567":
        digits = char
        j = i + 1
        while j < len(pattern) and len(digits) < 3 and pattern[j] in "01234567":
            digits += pattern[j]
            j += 1
        if char == "0" or len(digits) > 1:  # a lone \1..\7 is a back-reference: Go has none
            return re.escape(chr(int(digits, 8))), j
    elif char in "pPQC":
        raise _Unsupported(f"\\{char}")
    raise re.error(f"invalid escape \\{char}")


class _Unsupported(Exception):
    pass


def _compile(pattern: str) -> tuple[str, re.Pattern[str] | None]:
    """``Pattern.compile`` of moby/patternmatcher: the match type and, for ``regex``, the regex."""
    out = ["^"]
    kind = _EXACT
    i, n, step = 0, len(pattern), 0
    while i < n:
        char = pattern[i]
        i += 1
        if char == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1  # treat **/ as **
                if i >= n:  # a trailing ** takes everything
                    if kind == _EXACT:
                        kind = _PREFIX
                    else:
                        out.append(".*")
                        kind = _REGEX
                else:  # any number of directories, zero included
                    out.append("(.*/)?")
                    kind = _REGEX
                if step == 0:
                    kind = _SUFFIX
            else:
                out.append("[^/]*")
                kind = _REGEX
        elif char == "?":
            out.append("[^/]")
            kind = _REGEX
        elif char in ".+()|{}$":
            out.append("\\" + char)
        elif char == "\\":
            if i < n:
                text, i = _escape(pattern, i)
                out.append(text)
                kind = _REGEX
            else:
                out.append("\\\\")
        elif char in "[]":
            out.append(char)
            kind = _REGEX
        else:
            out.append(char)
        step += 1
    if kind != _REGEX:
        return kind, None
    source = "".join(out) + r"\Z"
    if _POSIX_IN_CLASS.search(source):
        raise _Unsupported("[[:class:]]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": same meaning as Go's
        return kind, re.compile(source, re.ASCII)


@dataclass(frozen=True)
class Pattern:
    """One pattern line of a ``.dockerignore``."""

    text: str
    """The cleaned pattern without its ``!`` (``./app/`` is ``app``): what Docker matches with."""
    negated: bool
    """True for a ``!`` line, which lets matching paths back in."""
    line: int
    """1-based line number in the file."""
    raw: str
    """The line as written, trimmed (``!`` included): what a message quotes."""
    kind: str = field(default=_EXACT, repr=False)
    """How Docker matches it: ``exact``, ``prefix`` (``dir/**``), ``suffix`` (``**/name``, ``**.pyc``) or ``regex``."""
    regex: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    """The compiled pattern when ``kind`` is ``regex``."""

    def matches(self, path: str) -> bool:
        """Whether this pattern matches ``path`` itself (clean, relative, ``/``-separated); parents are not tried."""
        if self.kind == _EXACT:
            return path == self.text
        if self.kind == _PREFIX:
            return path.startswith(self.text[:-2])
        if self.kind == _SUFFIX:
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
        assert self.regex is not None
        return self.regex.match(path) is not None


@dataclass(frozen=True)
class Decision:
    """Why a path is (or is not) left out of the context."""

    excluded: bool
    """True when ``docker build`` does not send the path."""
    pattern: Pattern | None
    """The last pattern that matched the path or a parent of it (it decided), or None."""
    pruned_at: str | None = None
    """The excluded parent directory the CLI never looks into, when that is why the path is left out."""


class DockerIgnore:
    """The patterns of one ``.dockerignore`` and Docker's rules for applying them.

    Build one with :meth:`parse` (text) or :meth:`read` (a context folder). Paths given to the
    methods are relative to the context, ``/``-separated; they are cleaned first, and the context
    root itself (``""``, ``"."``) is never excluded.
    """

    def __init__(self, patterns: tuple[Pattern, ...] = (), text: str | None = None) -> None:
        self.patterns: tuple[Pattern, ...] = tuple(patterns)
        """The patterns in file order (comments and blank lines dropped)."""
        self.text = text
        """The file's text; None when the context has no ``.dockerignore``."""
        self.has_reincludes = any(p.negated for p in self.patterns)
        """True when some pattern is a ``!`` line (Docker's ``Exclusions()``)."""
        self._chain = lru_cache(maxsize=4096)(self._chain_uncached)

    def __repr__(self) -> str:
        return f"DockerIgnore({[p.raw for p in self.patterns]!r})" if self.exists else "DockerIgnore(absent)"

    @property
    def exists(self) -> bool:
        """True when the context has a ``.dockerignore`` (even an empty one)."""
        return self.text is not None

    @classmethod
    def parse(cls, text: str | None) -> DockerIgnore:
        """The patterns of ``text`` (a ``.dockerignore``'s content); None means there is no file.

        Raises DockerIgnoreError (with ``line``) for a pattern ``docker build`` fails on: a lone
        ``!``, an invalid class or escape, a trailing ``\\``, a line over 64 KiB (Go's scanner limit).
        """
        if text is None:
            return cls()
        patterns: list[Pattern] = []
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for number, line in enumerate(lines, 1):
            if line.endswith("\r"):
                line = line[:-1]
            if number == 1:
                line = line.removeprefix("\ufeff")
            if len(line.encode("utf-8", "surrogatepass")) >= 64 * 1024:
                raise DockerIgnoreError(f".dockerignore line {number} is longer than 64 KiB: docker build cannot read it.", number)
            if line.startswith("#"):
                continue
            raw = line.strip(_GO_SPACE)
            if not raw:
                continue
            # ignorefile.ReadAll: trim after "!", clean, drop one leading "/"...
            body = raw[1:].strip(_GO_SPACE) if raw.startswith("!") else raw
            if body:
                body = clean(body)
                if len(body) > 1 and body.startswith("/"):
                    body = body[1:]
            # ...then patternmatcher.New: trim and clean once more ("!/" becomes "!")
            body = clean(("!" + body if raw.startswith("!") else body).strip(_GO_SPACE))
            negated = body.startswith("!")
            if negated:
                body = body[1:]
                if not body:
                    raise DockerIgnoreError(f".dockerignore line {number}: '!' alone is not a pattern (docker build fails).", number)
            patterns.append(_pattern(body, negated, number, raw))
        return cls(tuple(patterns), text)

    @classmethod
    def read(cls, context_dir: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> DockerIgnore:
        """THE reader: ``context_dir/.dockerignore`` parsed; an absent file gives an empty, non-existing one.

        Raises DockerIgnoreError when the file is over ``max_bytes`` bytes, is not a regular file,
        is a symbolic link leaving the context, cannot be read, or has a pattern Docker rejects.
        """
        root = Path(context_dir)
        path = root / ".dockerignore"
        try:
            info = path.lstat()
        except (FileNotFoundError, NotADirectoryError):
            return cls()
        except OSError as exc:
            raise DockerIgnoreError(f".dockerignore cannot be read: {exc.strerror}.") from exc
        if stat.S_ISLNK(info.st_mode):
            target = Path(os.path.realpath(path))
            if not target.is_relative_to(root.resolve()):
                raise DockerIgnoreError(f".dockerignore is a symbolic link to {os.readlink(path)}, outside the build context.")
            if not target.exists():
                return cls()  # a dangling link: the CLI finds no file either
            info = target.stat()
            path = target
        if not stat.S_ISREG(info.st_mode):
            raise DockerIgnoreError(".dockerignore is not a regular file.")
        if info.st_size > max_bytes:
            raise DockerIgnoreError(f".dockerignore is {info.st_size} bytes; one over {max_bytes} bytes is not read.")
        try:
            with open(path, "rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise DockerIgnoreError(f".dockerignore cannot be read: {exc.strerror}.") from exc
        if len(data) > max_bytes:
            raise DockerIgnoreError(f".dockerignore is over {max_bytes} bytes; it is not read.")
        text = data.decode("utf-8", "replace")
        try:
            return cls.parse(text)
        except DockerIgnoreError as error:
            error.text = text
            raise

    def with_reincluded(self, *paths: str) -> DockerIgnore:
        """A copy that also sends ``paths``: the CLI's ``TrimBuildFilesFromExcludes``.

        The CLI always sends the Dockerfile and ``.dockerignore`` (the engine needs them) by
        appending ``!path`` for each one the patterns exclude; the appended ``!`` lines also let
        the walk into an excluded folder holding the Dockerfile.
        """
        extra = [_pattern(clean(p), True, 0, "!" + p) for p in paths if self.excludes(p)]
        if not extra:
            return self
        return DockerIgnore(self.patterns + tuple(extra), self.text)

    def decide(self, relpath: str) -> Decision:
        """Whether ``relpath`` is sent, and which pattern (or excluded parent folder) decided."""
        path = clean(relpath.lstrip("/"))
        if path == "." or path == ".." or path.startswith("../"):
            return Decision(False, None)
        return self._chain(path)[0]

    def excludes(self, relpath: str) -> bool:
        """True when ``docker build`` leaves ``relpath`` out of the context (under a pruned folder included)."""
        return self.decide(relpath).excluded

    def deciding_pattern(self, relpath: str) -> Pattern | None:
        """The last pattern that matched ``relpath`` or a parent of it, or None when none did."""
        return self.decide(relpath).pattern

    def descends_into(self, dirpath: str) -> bool:
        """Whether a walk of the context looks inside the folder ``dirpath``.

        Docker's walk skips an excluded folder whole unless some ``!`` pattern starts with the
        folder's path (``!docs/keep.md`` for ``docs``); only then can something below come back.
        """
        decision = self.decide(dirpath)
        if not decision.excluded:
            return True
        if decision.pruned_at is not None or not self.has_reincludes:
            return False
        prefix = clean(dirpath.lstrip("/")) + "/"
        return any(p.negated and (p.text + "/").startswith(prefix) for p in self.patterns)

    def _chain_uncached(self, path: str) -> tuple[Decision, tuple[bool, ...]]:
        """``MatchesUsingParentResults`` along the walk from the top folder down to ``path``."""
        parent, _, name = path.rpartition("/")
        parent_matched: tuple[bool, ...] | None = None
        if parent:
            parent_decision, parent_matched = self._chain(parent)
            if parent_decision.pruned_at is not None:
                return parent_decision, parent_matched
            if parent_decision.excluded and not self.descends_into(parent):
                return Decision(True, parent_decision.pattern, parent), parent_matched
        excluded = False
        deciding: Pattern | None = None
        matched: list[bool] = []
        for index, pattern in enumerate(self.patterns):
            match = bool(parent_matched and parent_matched[index])
            if not match:
                if pattern.negated != excluded:
                    matched.append(False)
                    continue
                match = pattern.matches(path)
            matched.append(match)
            if match:
                excluded = not pattern.negated
                deciding = pattern
        return Decision(excluded, deciding), tuple(matched)


def _pattern(text: str, negated: bool, line: int, raw: str) -> Pattern:
    """A checked, compiled pattern; DockerIgnoreError when Docker would reject it."""
    where = f".dockerignore line {line}" if line else ".dockerignore"
    if not _check_syntax(text):
        raise DockerIgnoreError(f"{where}: '{raw}' is not a valid pattern (docker build fails: syntax error in pattern).", line or None)
    try:
        kind, regex = _compile(text)
    except re.error as exc:
        raise DockerIgnoreError(f"{where}: '{raw}' is not a valid pattern (docker build fails: {exc}).", line or None) from exc
    except _Unsupported as exc:
        raise DockerIgnoreError(f"{where}: '{raw}' uses {exc}, which the checker cannot match exactly as Docker does; "
                                "write the characters themselves.", line or None) from exc
    return Pattern(text, negated, line, raw, kind, regex)
