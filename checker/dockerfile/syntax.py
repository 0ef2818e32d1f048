"""The words of a Dockerfile line: instruction names, flags, key=value pairs, heredoc markers, variables.

Pure text in, text out; nothing here raises. The grammar that builds instructions and stages
from these pieces is in :mod:`checker.dockerfile.parser`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .shell import split_words

#: Every instruction keyword of the Dockerfile reference.
INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)

_HEREDOC_RE = re.compile(r"(?:^|(?<=\s))<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_QUOTED_HEREDOC_RE = re.compile(r"<<(-?)\s*([\"'])([A-Za-z_][A-Za-z0-9_]*)\2")
_QUOTED_RE = re.compile(r"'[^']*'|\"(?:\\.|[^\"\\])*\"")
_FLAG_RE = re.compile(r"--([A-Za-z][A-Za-z0-9_-]*)(?:=(\"[^\"]*\"|'[^']*'|\S*))?(?:\s+|$)")
_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def key_value_pairs(keyword: str, args: str) -> tuple[tuple[str, str | None], ...]:
    """For ENV, ARG and LABEL: the ``(name, value)`` pairs of ``args``; value None for ``ARG NAME``.

    Other keywords give ``()``. ``ENV NAME value with spaces`` (the legacy form) gives one pair.
    """
    if keyword not in {"ENV", "ARG", "LABEL"}:
        return ()
    words = split_words(args)
    if keyword == "ENV" and words and "=" not in words[0]:
        # Legacy form: ENV NAME value with spaces
        parts = args.strip().split(None, 1)
        value = parts[1] if len(parts) > 1 else ""
        return ((parts[0], " ".join(split_words(value)) if value else ""),)
    found: list[tuple[str, str | None]] = []
    for word in words:
        name, sep, value = word.partition("=")
        found.append((name, value if sep else None))
    return tuple(found)


def parse_flags(args: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """Split leading ``--name[=value]`` words off ``args``: ``(flags, rest)``.

    ``flags`` are ``(name, value)`` pairs in order, name lower-cased without dashes, value
    unquoted; a bare ``--flag`` has value ``"true"``. ``rest`` is ``args`` after the flags.
    """
    flags: list[tuple[str, str]] = []
    rest = args
    while rest.startswith("--"):
        match = _FLAG_RE.match(rest)
        if not match:
            break
        value = match.group(2)
        if value is None:
            value = "true"
        elif len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        flags.append((match.group(1).lower(), value))
        rest = rest[match.end():]
    return tuple(flags), rest


def heredoc_markers(args: str) -> list[tuple[bool, str]]:
    """``(strip_tabs, delimiter)`` for each ``<<EOF`` in an instruction, ignoring quoted text."""
    unquoted_delimiters = _QUOTED_HEREDOC_RE.sub(r"<<\1\3", args)
    plain = _QUOTED_RE.sub(" ", unquoted_delimiters)
    return [(match.group(1) == "-", match.group(3)) for match in _HEREDOC_RE.finditer(plain)]


def without_heredoc_markers(args: str) -> str:
    """``args`` with every ``<<EOF``/``<<-'EOF'`` marker replaced by a space (the bodies live elsewhere)."""
    return _HEREDOC_RE.sub(" ", _QUOTED_HEREDOC_RE.sub(r"<<\1\3", args))


def substitute(text: str, values: Mapping[str, str | None]) -> tuple[str, tuple[str, ...]]:
    """Replace ``$VAR``-style references in ``text`` with ``values`` (None means unset).

    Handles ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:+alt}``,
    ``${VAR+alt}`` and ``${VAR:?msg}``/``${VAR?msg}``; ``\\$`` stays a literal ``$``.
    Returns ``(text, missing)``: the substituted text and, in first-seen order without
    repeats, the names that had no value (an unset name becomes ""). Never raises.
    """
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        op, word = match.group(2), match.group(3) or ""
        value = values.get(name)
        if op is None:
            if value is None:
                missing.append(name)
                return ""
            return value
        word_value, word_missing = substitute(word, values)
        if op == ":-":
            if value:
                return value
            missing.extend(word_missing)
            return word_value
        if op == "-":
            if value is not None:
                return value
            missing.extend(word_missing)
            return word_value
        if op == ":+":
            return word_value if value else ""
        if op == "+":
            return word_value if value is not None else ""
        # ${VAR:?message} / ${VAR?message}: an unset value is an error at build time.
        if value is None or (op == ":?" and not value):
            missing.append(name)
            return ""
        return value

    # A backslash before $ keeps it literal.
    parts = re.split(r"(\\\$)", text)
    out = [("$" if part == "\\$" else _VAR_RE.sub(replace, part)) for part in parts]
    return "".join(out), tuple(dict.fromkeys(missing))