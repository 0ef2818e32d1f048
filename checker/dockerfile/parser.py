"""Parse Dockerfile text into the model of :mod:`checker.dockerfile.model`.

The parser follows the Dockerfile reference rather than any one engine's quirks:

* parser directives (``# syntax=``, ``# escape=``, ``# check=``) only at the very top;
* line continuations end with the escape character (backslash, or a backtick after
  ``# escape=```); comment lines and blank lines inside a continuation are dropped, and the
  blank ones are recorded (:attr:`Dockerfile.empty_continuation_lines`: BuildKit will refuse them);
* heredocs (``RUN <<EOF`` ... ``EOF``) are recorded with their bodies (they need BuildKit);
* ARGs declared before the first FROM are the only variables a FROM line can use; build
  arguments override their defaults (see :func:`checker.dockerfile.syntax.substitute`);
* a UTF-8 BOM and CRLF line ends are accepted.

Anything that cannot be a Dockerfile raises :class:`ParseError` with a 1-based line number
and a sentence a learner can act on.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
from collections.abc import Mapping
from types import MappingProxyType

from .model import ArgDef, Dockerfile, Heredoc, Instruction, ParseError, Stage
from .syntax import INSTRUCTIONS, heredoc_markers, parse_flags, substitute

#: The largest Dockerfile we parse, in bytes (1 MiB).
MAX_BYTES = 1024 * 1024

#: Instructions whose leading ``--name[=value]`` words are flags.
_FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
#: Instructions that may be written in exec (JSON array) form.
_JSON_CAPABLE = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
_HEREDOC_CAPABLE = frozenset({"RUN", "COPY", "ADD"})
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})

_DIRECTIVE_RE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_STAGE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def _decode(source: str | bytes) -> str:
    """The text of ``source``, BOM removed, line ends ``\\n``; ParseError when too large, binary or not UTF-8."""
    size = len(source.encode("utf-8", "surrogatepass")) if isinstance(source, str) else len(source)
    if size > MAX_BYTES:
        raise ParseError(f"The Dockerfile is larger than {MAX_BYTES // 1024} KiB; that is not a Dockerfile we grade.")
    if isinstance(source, str):
        text = source
    else:
        nul = source.find(b"\x00")
        if nul != -1:
            line = source.count(b"\n", 0, nul) + 1
            raise ParseError("The file contains NUL bytes: it is binary, not a Dockerfile.", line)
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = source.count(b"\n", 0, exc.start) + 1
            raise ParseError(
                "The file is not valid UTF-8 text; save it as UTF-8 (most editors have an 'encoding' setting).",
                line,
            ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ParseError("The file contains NUL bytes: it is binary, not a Dockerfile.", line)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_json(args: str) -> bool:
    """Does the author mean exec form? ``[ -f x ]`` is a shell test, ``["a"`` or ``[a,`` are not."""
    if not args.startswith("["):
        return False
    if len(args) == 1:
        return True
    after = args[1:].lstrip()
    if not args[1].isspace():
        return True
    return after[:1] in {'"', "'", "]", ""}


def _parse_exec(keyword: str, args: str, line: int) -> tuple[str, ...] | None:
    """The JSON array of an exec-form instruction, None for shell form; ParseError for a broken array."""
    stripped = args.strip()
    if keyword not in _JSON_CAPABLE or not _looks_like_json(stripped):
        if keyword == "SHELL":
            raise ParseError('SHELL needs the JSON form, e.g. SHELL ["/bin/bash", "-o", "pipefail", "-c"].', line)
        return None
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError:
        hint = " Use double quotes around each word." if "'" in stripped else ""
        raise ParseError(
            f'{keyword} starts like the exec (JSON) form but is not a valid JSON array.{hint} '
            f'Write it as {keyword} ["executable", "arg1", "arg2"].',
            line,
        ) from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ParseError(f"{keyword} in exec form must be a JSON array of strings.", line)
    if keyword in {"RUN", "SHELL"} and not value:
        raise ParseError(f"{keyword} in exec form needs at least the program to run.", line)
    return tuple(value)


def _strip_continuation(line: str, escape: str) -> tuple[str, bool]:
    """``(line without its trailing escape, True)`` when the line continues, else ``(line, False)``."""
    stripped = line.rstrip(" \t")
    if stripped.endswith(escape):
        return stripped[: -len(escape)], True
    return line, False


def parse(source: str | bytes, *, build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """Parse Dockerfile text (or UTF-8 bytes, at most :data:`MAX_BYTES`) into a :class:`Dockerfile`.

    ``build_args`` override the defaults of ARGs (as ``docker build --build-arg`` does).
    Raises :class:`ParseError` (with the 1-based line when there is one) for anything that is
    not a Dockerfile: empty, binary, not UTF-8, too large, no FROM, unknown instruction, bad
    exec form, bad stage name, unclosed heredoc...
    """
    text = _decode(source)
    build_args = MappingProxyType(dict(build_args or {}))
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    directives: dict[str, str] = {}
    directive_lines: dict[str, int] = {}
    row = 0
    while row < len(lines):
        match = _DIRECTIVE_RE.match(lines[row].strip())
        if not match or match.group(1).lower() not in _KNOWN_DIRECTIVES:
            break
        name = match.group(1).lower()
        if name in directives:
            raise ParseError(f"The parser directive '{name}' may only be given once.", row + 1)
        directives[name] = match.group(2)
        directive_lines[name] = row + 1
        row += 1
    escape = directives.get("escape", "\\")
    if escape not in {"\\", "`"}:
        raise ParseError("The escape directive only accepts a backslash or a backtick.", directive_lines["escape"])

    raw_instructions: list[tuple[str, str, int, int, tuple[Heredoc, ...]]] = []
    unclosed: list[int] = []
    empty_continuations: list[int] = []
    while row < len(lines):
        physical = lines[row]
        stripped = physical.strip()
        if not stripped or stripped.startswith("#"):
            row += 1
            continue
        start = row
        parts: list[str] = []
        current = physical
        while True:
            body, continued = _strip_continuation(current, escape)
            parts.append(body)
            if not continued:
                break
            row += 1
            while row < len(lines) and (not lines[row].strip() or lines[row].lstrip().startswith("#")):
                if not lines[row].strip():
                    empty_continuations.append(row + 1)
                row += 1
            if row >= len(lines):
                row -= 1
                break
            current = lines[row]
        logical = "".join(parts).strip()
        keyword, *tail = re.split(r"\s+", logical, maxsplit=1)
        rest = tail[0].strip() if tail else ""
        heredocs: tuple[Heredoc, ...] = ()
        upper = keyword.upper()
        if upper in _HEREDOC_CAPABLE:
            read, end_row = _read_heredocs(rest, lines, row)
            if read is None:
                unclosed.append(start + 1)
            else:
                heredocs, row = read, end_row
        raw_instructions.append((keyword, rest, start + 1, row + 1, tuple(heredocs)))
        row += 1

    if not raw_instructions:
        raise ParseError("The Dockerfile is empty: it needs at least a FROM line.")
    try:
        parsed = _build(raw_instructions, directives, directive_lines, build_args, escape, len(lines), text)
    except ParseError as error:
        opened = [line for line in unclosed if error.line is None or line < error.line]
        if opened:
            error.message += f" (line {opened[-1]} starts a heredoc with << that is never closed, so the lines after it are read as instructions)"
        raise
    return dataclasses.replace(parsed, empty_continuation_lines=tuple(empty_continuations))


def _read_heredocs(rest: str, lines: list[str], row: int) -> tuple[tuple[Heredoc, ...] | None, int]:
    """Read the bodies of the heredocs opened on ``lines[row]``; None when one never closes."""
    _, body_rest = parse_flags(rest)
    found: list[Heredoc] = []
    opened_at = row + 1
    for strip_tabs, delimiter in heredoc_markers(body_rest):
        body: list[str] = []
        while True:
            row += 1
            if row >= len(lines):
                return None, opened_at - 1
            candidate = lines[row].lstrip("\t") if strip_tabs else lines[row]
            if candidate == delimiter:
                break
            body.append(candidate)
        found.append(Heredoc(delimiter, "\n".join(body) + "\n", opened_at, strip_tabs))
    return tuple(found), row


def _suggest(keyword: str) -> str:
    """`` Did you mean FROM?`` for a near-miss keyword, else ""."""
    close = difflib.get_close_matches(keyword.upper(), sorted(INSTRUCTIONS), n=1, cutoff=0.6)
    return f" Did you mean {close[0]}?" if close else ""


def _build(
    raw_instructions: list[tuple[str, str, int, int, tuple[Heredoc, ...]]],
    directives: dict[str, str],
    directive_lines: dict[str, int],
    build_args: Mapping[str, str],
    escape: str,
    line_count: int,
    text: str,
) -> Dockerfile:
    """Check each ``(keyword, rest, line, end_line, heredocs)`` and group them into stages; raise ParseError."""
    instructions: list[Instruction] = []
    global_args: list[ArgDef] = []
    stage_index = -1
    for position, (keyword, rest, line, end_line, heredocs) in enumerate(raw_instructions):
        upper = keyword.upper()
        if upper not in INSTRUCTIONS:
            raise ParseError(f"'{keyword}' is not a Dockerfile instruction.{_suggest(keyword)}", line)
        flags, args = parse_flags(rest) if upper in _FLAGGED else ((), rest)
        exec_json = None if heredocs else _parse_exec(upper, args, line)
        if upper == "FROM":
            stage_index += 1
        elif stage_index < 0 and upper != "ARG":
            raise ParseError(
                f"{upper} comes before the first FROM; only ARG may appear there. Start the Dockerfile with FROM.",
                line,
            )
        instruction = Instruction(
            keyword=upper, raw=rest, args=args, line=line, end_line=end_line, flags=flags,
            exec_form=exec_json is not None, json=exec_json, heredocs=heredocs,
            stage=stage_index, index=position,
        )
        if upper in {"ENV", "ARG", "LABEL", "USER", "WORKDIR", "EXPOSE", "STOPSIGNAL"} and not args.strip():
            raise ParseError(f"{upper} needs an argument.", line)
        if upper in {"RUN", "CMD", "ENTRYPOINT"} and not args.strip() and not heredocs:
            raise ParseError(f"{upper} needs a command.", line)
        if stage_index < 0:
            for name, default in instruction.pairs():
                global_args.append(ArgDef(name, default, line))
        instructions.append(instruction)

    if stage_index < 0:
        first = instructions[0].line if instructions else None
        raise ParseError("The Dockerfile has no FROM line: every image starts FROM a base image.", first)

    global_values = {arg.name: build_args.get(arg.name, arg.default) for arg in global_args}
    stages: list[Stage] = []
    grouped: list[list[Instruction]] = [[] for _ in range(stage_index + 1)]
    for instruction in instructions:
        if instruction.stage >= 0:
            grouped[instruction.stage].append(instruction)
    for index, group in enumerate(grouped):
        head = group[0]
        words = head.args.split()
        if not words:
            raise ParseError("FROM needs a base image, e.g. FROM python:3.13-slim.", head.line)
        alias = None
        if len(words) == 3 and words[1].lower() == "as":
            alias = words[2]
            if not _STAGE_NAME_RE.match(alias):
                raise ParseError(
                    f"'{alias}' is not a valid stage name: use letters, digits, '-', '_' or '.', starting with a letter.",
                    head.line,
                )
            if any(s.alias and s.alias.lower() == alias.lower() for s in stages):
                raise ParseError(f"Two stages are named '{alias}'; stage names must be unique.", head.line)
        elif len(words) != 1:
            raise ParseError("FROM takes an image and, optionally, AS and a stage name: FROM image AS name.", head.line)
        base = words[0]
        resolved, missing = substitute(base, global_values)
        parent = None
        for earlier in stages:
            if earlier.alias and earlier.alias.lower() == resolved.lower():
                parent = earlier.index
        root = stages[parent].root_base if parent is not None else resolved
        platform = head.flag("platform")
        stages.append(
            Stage(
                index=index, line=head.line, base=base, base_resolved=resolved, alias=alias,
                from_instruction=head, instructions=tuple(group[1:]), is_final=index == stage_index,
                parent=parent, root_base=root, unresolved=missing, platform=platform,
            )
        )
    return Dockerfile(
        instructions=tuple(instructions), stages=tuple(stages), global_args=tuple(global_args),
        directives=MappingProxyType(directives), directive_lines=MappingProxyType(directive_lines),
        build_args=build_args, escape=escape, line_count=line_count, text=text,
    )

