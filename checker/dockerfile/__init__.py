"""Parse Dockerfile text into a small immutable model: directives, instructions, stages.

The parser follows the Dockerfile reference rather than any one engine's quirks:

* parser directives (``# syntax=``, ``# escape=``, ``# check=``) only at the very top;
* line continuations end with the escape character (backslash, or a backtick after
  ``# escape=```); comment lines and blank lines inside a continuation are dropped;
* heredocs (``RUN <<EOF`` ... ``EOF``) are recorded with their bodies (they need BuildKit);
* ARGs declared before the first FROM are the only variables a FROM line can use; build
  arguments override their defaults; ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
  ``${VAR:+alt}``, ``${VAR-default}`` and ``${VAR+alt}`` are substituted;
* a UTF-8 BOM and CRLF line ends are accepted.

Anything that cannot be a Dockerfile raises :class:`ParseError` with a 1-based line number
and a sentence a learner can act on. The module also carries the small shell helpers the rules
need: :func:`split_commands` and :func:`package_installs`.
"""

from __future__ import annotations

import difflib
import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from collections.abc import Iterable, Iterator, Mapping

MAX_BYTES = 1024 * 1024

INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)
#: Instructions whose leading ``--name[=value]`` words are flags.
_FLAGGED = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
#: Instructions that may be written in exec (JSON array) form.
_JSON_CAPABLE = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
_HEREDOC_CAPABLE = frozenset({"RUN", "COPY", "ADD"})
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})

_DIRECTIVE_RE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_HEREDOC_RE = re.compile(r"(?:^|(?<=\s))<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_QUOTED_HEREDOC_RE = re.compile(r"<<(-?)\s*([\"'])([A-Za-z_][A-Za-z0-9_]*)\2")
_QUOTED_RE = re.compile(r"'[^']*'|\"(?:\\.|[^\"\\])*\"")
_FLAG_RE = re.compile(r"--([A-Za-z][A-Za-z0-9_-]*)(?:=(\"[^\"]*\"|'[^']*'|\S*))?(?:\s+|$)")
_STAGE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


class ParseError(Exception):
    """The text is not a Dockerfile we can read. ``line`` is 1-based, or None for the whole file."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "message": self.message}


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heredoc:
    """A here-document attached to a RUN, COPY or ADD (BuildKit syntax)."""

    delimiter: str
    body: str
    line: int
    """Line of the instruction that opened it."""
    strip_tabs: bool = False
    """True for ``<<-EOF``: leading tabs are removed from the body and the terminator."""


@dataclass(frozen=True)
class Instruction:
    """One instruction, continuations joined. Lines are 1-based and refer to the original text."""

    keyword: str
    """Upper-cased: ``RUN``, ``COPY``..."""
    raw: str
    """Everything after the keyword, flags included, continuations joined."""
    args: str
    """``raw`` without the leading ``--flags``."""
    line: int
    end_line: int
    flags: tuple[tuple[str, str], ...] = ()
    """``(name, value)`` pairs in order, name without dashes, lower-cased; a bare flag has value ``"true"``."""
    exec_form: bool = False
    """True when the arguments are a JSON array (``CMD ["python", "app.py"]``)."""
    json: tuple[str, ...] | None = None
    """The parsed JSON array in exec form, else None."""
    heredocs: tuple[Heredoc, ...] = ()
    stage: int = -1
    """Index of the stage this instruction belongs to; -1 for global ARGs before the first FROM."""
    index: int = 0
    """Position among all instructions of the file."""

    @property
    def form(self) -> str:
        return "exec" if self.exec_form else "shell"

    def flag(self, name: str) -> str | None:
        """The value of the last ``--name`` flag, or None."""
        values = self.flag_values(name)
        return values[-1] if values else None

    def flag_values(self, name: str) -> tuple[str, ...]:
        return tuple(value for key, value in self.flags if key == name)

    @cached_property
    def words(self) -> tuple[str, ...]:
        """The arguments as words: the JSON array in exec form, else a tolerant shell split."""
        if self.json is not None:
            return self.json
        return tuple(_split_words(self.args))

    @cached_property
    def shell_script(self) -> str:
        """For RUN: the shell text that runs (heredoc bodies fed to a shell included)."""
        if self.json is not None:
            return " ".join(shlex.quote(word) for word in self.json)
        script = self.args
        if self.heredocs:
            head = _HEREDOC_RE.sub(" ", _QUOTED_HEREDOC_RE.sub(r"<<\1\3", script)).strip()
            program = posixpath.basename(head.split()[0]) if head.split() else ""
            bodies = "\n".join(doc.body for doc in self.heredocs)
            if not head or program in {"sh", "bash", "dash", "ash", "zsh"}:
                return bodies
            return head + "\n" + bodies
        return script

    @cached_property
    def commands(self) -> tuple[Command, ...]:
        """For RUN: the simple commands of the script, split on ``&&``, ``;``, ``||``, ``|``."""
        if self.keyword != "RUN":
            return ()
        return split_commands(self.shell_script)

    @cached_property
    def installs(self) -> tuple[PackageInstall, ...]:
        """For RUN: the package-manager installs it runs (apt, apk, yum/dnf, pip, uv, poetry...)."""
        return package_installs(self.commands)

    def sources_and_dest(self) -> tuple[tuple[str, ...], str | None]:
        """For COPY/ADD: the source paths and the destination (heredoc sources left out)."""
        if self.json is not None:
            words = list(self.json)
        else:
            words = _split_words(_HEREDOC_RE.sub(" ", _QUOTED_HEREDOC_RE.sub(r"<<\1\3", self.args)) if self.heredocs else self.args)
        if not words:
            return (), None
        return tuple(words[:-1]), words[-1]

    def pairs(self) -> tuple[tuple[str, str | None], ...]:
        """For ENV, ARG and LABEL: ``(name, value)`` pairs; value None for ``ARG NAME``."""
        return _pairs(self.keyword, self.args)


@dataclass(frozen=True)
class ArgDef:
    """An ARG declared before the first FROM (usable in FROM lines)."""

    name: str
    default: str | None
    line: int


@dataclass(frozen=True)
class Stage:
    """One FROM and the instructions up to the next FROM."""

    index: int
    line: int
    base: str
    """The image reference as written, e.g. ``python:${PYTHON_VERSION}-slim``."""
    base_resolved: str
    """The reference after ARG substitution, e.g. ``python:3.13-slim``."""
    alias: str | None
    """The name given with ``AS``, as written; None when unnamed."""
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]
    """The stage's instructions after its FROM."""
    is_final: bool
    parent: int | None
    """Index of the earlier stage this one is built FROM, or None for an external image."""
    root_base: str
    """The external image at the root of the FROM chain (``scratch`` included), resolved."""
    unresolved: tuple[str, ...] = ()
    """Variables in the FROM reference that had no value (no default and no build arg)."""
    platform: str | None = None

    @property
    def name(self) -> str:
        """The alias, or the index as Docker accepts it in ``COPY --from=0``."""
        return self.alias or str(self.index)

    def matches(self, ref: str) -> bool:
        """True when ``ref`` (a ``--from`` or FROM value) names this stage."""
        return (self.alias is not None and ref.lower() == self.alias.lower()) or ref == str(self.index)


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile. Build it with :func:`parse`."""

    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    global_args: tuple[ArgDef, ...]
    directives: Mapping[str, str]
    """Parser directives by lower-cased name (``syntax``, ``escape``, ``check``)."""
    directive_lines: Mapping[str, int]
    build_args: Mapping[str, str]
    escape: str = "\\"
    line_count: int = 0
    text: str = field(default="", repr=False)
    """The decoded text (BOM removed, line ends normalised to ``\\n``)."""

    @property
    def final_stage(self) -> Stage:
        return self.stages[-1]

    def lineage(self, stage: Stage) -> tuple[Stage, ...]:
        """The stage and the stages it is built FROM, root first: their layers all ship."""
        chain = [stage]
        while chain[-1].parent is not None:
            chain.append(self.stages[chain[-1].parent])
        return tuple(reversed(chain))

    @property
    def final_lineage(self) -> tuple[Stage, ...]:
        """The stages whose instructions end up in the final image."""
        return self.lineage(self.final_stage)

    def ships(self, stage: Stage) -> bool:
        """True when this stage's own layers are part of the final image."""
        return any(member.index == stage.index for member in self.final_lineage)

    def stage_for(self, ref: str, before: int | None = None) -> Stage | None:
        """The stage a ``--from``/FROM value names, among stages before index ``before``."""
        limit = len(self.stages) if before is None else before
        for stage in self.stages[:limit]:
            if stage.matches(ref):
                return stage
        return None

    def global_values(self) -> dict[str, str | None]:
        """Global ARG values: defaults overridden by build arguments; None when unset."""
        values: dict[str, str | None] = {}
        for arg in self.global_args:
            values[arg.name] = self.build_args.get(arg.name, arg.default)
        return values

    def env_at(self, instruction: Instruction) -> dict[str, str]:
        """Variables a RUN sees: ENV inherited along the FROM chain, plus this stage's ARGs.

        ARGs end with their stage; ENV carries into stages built FROM it and wins over an ARG
        of the same name.
        """
        stage = self.stages[instruction.stage]
        global_values = self.global_values()
        env: dict[str, str] = {}
        args: dict[str, str] = {}
        for member in self.lineage(stage):
            args = {}
            for instr in member.instructions:
                if member.index == stage.index and instr.index >= instruction.index:
                    return {**args, **env}
                scope = {**args, **env}
                if instr.keyword == "ENV":
                    for name, value in instr.pairs():
                        env[name] = substitute(value or "", scope)[0]
                        scope[name] = env[name]
                elif instr.keyword == "ARG":
                    for name, default in instr.pairs():
                        if name in self.build_args:
                            args[name] = self.build_args[name]
                        elif default is not None:
                            args[name] = substitute(default, scope)[0]
                        elif global_values.get(name) is not None:
                            args[name] = global_values[name]  # type: ignore[assignment]
        return {**args, **env}


# --------------------------------------------------------------------------------------------
# Variable substitution
# --------------------------------------------------------------------------------------------


def substitute(text: str, values: Mapping[str, str | None]) -> tuple[str, tuple[str, ...]]:
    """Replace ``$VAR``-style references; returns the text and the names that had no value."""
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


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _decode(source: str | bytes) -> str:
    if isinstance(source, str):
        if len(source.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise ParseError(f"The Dockerfile is larger than {MAX_BYTES // 1024} KiB; that is not a Dockerfile we grade.")
        text = source
    else:
        if len(source) > MAX_BYTES:
            raise ParseError(f"The Dockerfile is larger than {MAX_BYTES // 1024} KiB; that is not a Dockerfile we grade.")
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


def _split_words(text: str) -> list[str]:
    """Split like a POSIX shell would for simple words; tolerant of unbalanced quotes."""
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def _pairs(keyword: str, args: str) -> tuple[tuple[str, str | None], ...]:
    if keyword not in {"ENV", "ARG", "LABEL"}:
        return ()
    words = _split_words(args)
    if keyword == "ENV" and words and "=" not in words[0]:
        # Legacy form: ENV NAME value with spaces
        parts = args.strip().split(None, 1)
        value = parts[1] if len(parts) > 1 else ""
        return ((parts[0], " ".join(_split_words(value)) if value else ""),)
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        name, sep, value = word.partition("=")
        pairs.append((name, value if sep else None))
    return tuple(pairs)


def _parse_flags(args: str) -> tuple[tuple[tuple[str, str], ...], str]:
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
    stripped = line.rstrip(" \t")
    if stripped.endswith(escape):
        return stripped[: -len(escape)], True
    return line, False


def parse(source: str | bytes, *, build_args: Mapping[str, str] | None = None) -> Dockerfile:
    """Parse Dockerfile text (or bytes) into a :class:`Dockerfile`; raise :class:`ParseError`."""
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
        return _build(raw_instructions, directives, directive_lines, build_args, escape, len(lines), text)
    except ParseError as error:
        opened = [line for line in unclosed if error.line is None or line < error.line]
        if opened:
            error.message += f" (line {opened[-1]} starts a heredoc with << that is never closed, so the lines after it are read as instructions)"
        raise


def heredoc_markers(args: str) -> list[tuple[bool, str]]:
    """``(strip_tabs, delimiter)`` for each ``<<EOF`` in an instruction, ignoring quoted text."""
    unquoted_delimiters = _QUOTED_HEREDOC_RE.sub(r"<<\1\3", args)
    plain = _QUOTED_RE.sub(" ", unquoted_delimiters)
    return [(match.group(1) == "-", match.group(3)) for match in _HEREDOC_RE.finditer(plain)]


def _read_heredocs(rest: str, lines: list[str], row: int) -> tuple[tuple[Heredoc, ...] | None, int]:
    """Read the bodies of the heredocs opened on ``lines[row]``; None when one never closes."""
    _, body_rest = _parse_flags(rest)
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
    instructions: list[Instruction] = []
    global_args: list[ArgDef] = []
    stage_index = -1
    for position, (keyword, rest, line, end_line, heredocs) in enumerate(raw_instructions):
        upper = keyword.upper()
        if upper not in INSTRUCTIONS:
            raise ParseError(f"'{keyword}' is not a Dockerfile instruction.{_suggest(keyword)}", line)
        flags, args = _parse_flags(rest) if upper in _FLAGGED else ((), rest)
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


# --------------------------------------------------------------------------------------------
# Image references
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRef:
    """``[registry/]repository[:tag][@digest]`` split into parts."""

    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last path component, lower-cased: ``python`` for ``docker.io/library/python:3.13``."""
        return self.repository.rsplit("/", 1)[-1].lower()


def parse_image_ref(ref: str) -> ImageRef:
    rest, _, digest = ref.partition("@")
    registry = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    repository, tag = rest, None
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        repository, tag = rest[:colon], rest[colon + 1:]
    return ImageRef(registry, repository, tag or None, digest or None)


# --------------------------------------------------------------------------------------------
# Shell helpers
# --------------------------------------------------------------------------------------------

_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&", "{", "}"})
_REDIRECTS = frozenset({">", ">>", "<", "<<", ">&", "<&", "&>", "&>>", ">|", "<<<", "<>"})
_PREFIX_WORDS = frozenset({"then", "do", "else", "elif", "if", "while", "until", "!", "time", "exec", "command", "nohup", "builtin"})
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Command:
    """A simple shell command: its words after ``VAR=value``, ``sudo``, ``env`` prefixes."""

    words: tuple[str, ...]
    assignments: tuple[str, ...] = ()
    """``VAR=value`` words written before the program (``DEBIAN_FRONTEND=noninteractive apt-get``)."""

    @property
    def program(self) -> str:
        return posixpath.basename(self.words[0]) if self.words else ""

    @property
    def text(self) -> str:
        return " ".join(self.words)


def _strip_prefixes(words: list[str]) -> tuple[list[str], list[str]]:
    assignments: list[str] = []
    while words:
        head = words[0]
        if head in _PREFIX_WORDS:
            words = words[1:]
        elif _ASSIGNMENT_RE.match(head):
            assignments.append(head)
            words = words[1:]
        elif head in {"sudo", "env", "nice", "doas"}:
            words = words[1:]
            while words and words[0].startswith("-"):
                takes_value = head == "sudo" and words[0] in {"-u", "-g", "-C", "-h", "-p", "-r", "-t", "-U"}
                words = words[2:] if takes_value else words[1:]
        else:
            break
    return words, assignments


def split_commands(script: str) -> tuple[Command, ...]:
    """Split shell text into simple commands on ``&&``, ``||``, ``;``, ``|``, ``&`` and newlines.

    A small tokenizer, not a shell: quotes are honoured, redirections are dropped, comments are
    dropped, and unbalanced quotes fall back to a plain whitespace split instead of failing.
    """
    joined = " ; ".join(script.split("\n"))
    try:
        lexer = shlex.shlex(joined, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:
        tokens = re.findall(r"&&|\|\||[;|&()<>]|[^\s;|&()<>]+", joined)
    commands: list[Command] = []
    current: list[str] = []
    skip_next = False
    in_comment = False

    def flush() -> None:
        words, assignments = _strip_prefixes(current)
        if words or assignments:
            commands.append(Command(tuple(words), tuple(assignments)))
        current.clear()

    for token in tokens:
        if token in _SEPARATORS:
            in_comment = False
            skip_next = False
            flush()
            continue
        if in_comment:
            continue
        if skip_next:
            skip_next = False
            continue
        if token in _REDIRECTS:
            if current and current[-1].isdigit():
                current.pop()
            skip_next = True
            continue
        if token.startswith("#"):
            in_comment = True
            continue
        current.append(token)
    flush()
    return tuple(commands)


# --------------------------------------------------------------------------------------------
# Package-manager installs
# --------------------------------------------------------------------------------------------

_APT_VALUE_OPTIONS = frozenset({"-o", "-c", "-t", "--option", "--config-file", "--target-release", "--default-release"})
_APK_VALUE_OPTIONS = frozenset({"-t", "--virtual", "-X", "--repository", "-p", "--root", "--keys-dir", "--arch", "--cache-dir"})
_YUM_VALUE_OPTIONS = frozenset({"-x", "--exclude", "--installroot", "--releasever", "-c", "--config", "--setopt", "--enablerepo", "--disablerepo"})
_PIP_VALUE_OPTIONS = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target", "--prefix",
        "--root", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--src", "--platform",
        "--python-version", "--implementation", "--abi", "--cache-dir", "--progress-bar", "--log",
        "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host", "--cert",
        "--client-cert", "--global-option", "-C", "--config-settings", "--no-binary", "--only-binary",
        "--upgrade-strategy", "--report", "--root-user-action", "--python", "--keyring-provider",
        "--group", "-p", "--extra", "--only-group", "--with", "--without", "--only", "-E", "--extras",
        "--directory", "--project", "--package", "--index", "--default-index", "--link-mode", "--compile-bytecode-dir", "--categories", "--pypi-mirror",
    }
)
_PIP_PROGRAM_RE = re.compile(r"^pip(\d+(\.\d+)?)?$")
_PYTHON_PROGRAM_RE = re.compile(r"^python(\d+(\.\d+)?)?$")
_VERSION_SPLIT_RE = re.compile(r"[=<>!~\[;@ ]")


@dataclass(frozen=True)
class PackageInstall:
    """One package-manager install found in a RUN."""

    manager: str
    """``apt``, ``apk``, ``yum``, ``dnf``, ``pip``, ``uv``, ``poetry``, ``pipenv`` or ``pdm``."""
    subcommand: str
    """``install``, ``add``, ``sync``..."""
    packages: tuple[str, ...]
    """Package arguments as written (``libpq5``, ``fastapi==0.115``, ``.``)."""
    options: tuple[tuple[str, str | None], ...]
    """``(option, value)`` pairs; value None for switches like ``--no-cache-dir``."""
    command: Command
    program: str = ""
    """The program as written: ``pip``, ``/opt/venv/bin/pip``, ``python3`` (for ``-m pip``)."""

    @property
    def system(self) -> bool:
        """True for OS package managers (apt, apk, yum, dnf)."""
        return self.manager in {"apt", "apk", "yum", "dnf"}

    @property
    def python(self) -> bool:
        return not self.system

    @property
    def names(self) -> tuple[str, ...]:
        """Package names without versions or extras (``libpq5=15.*`` -> ``libpq5``)."""
        names = []
        for package in self.packages:
            name = _VERSION_SPLIT_RE.split(package, 1)[0].strip()
            if name:
                names.append(name.lower() if self.python else name)
        return tuple(names)

    def has(self, *names: str) -> bool:
        return any(option in names for option, _ in self.options)

    def value(self, *names: str) -> str | None:
        for option, value in self.options:
            if option in names:
                return value
        return None

    def values(self, *names: str) -> tuple[str, ...]:
        return tuple(value for option, value in self.options if option in names and value is not None)

    @property
    def requirement_files(self) -> tuple[str, ...]:
        return self.values("-r", "--requirement")


def _split_options(words: Iterable[str], value_options: frozenset[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    options: list[tuple[str, str | None]] = []
    positional: list[str] = []
    iterator = iter(words)
    for word in iterator:
        if word.startswith("--") and "=" in word:
            name, _, value = word.partition("=")
            options.append((name, value))
        elif word in value_options:
            options.append((word, next(iterator, None)))
        elif word.startswith("-") and len(word) > 1:
            # short options with attached values (-rrequirements.txt) or bundled switches (-qy)
            if not word.startswith("--") and word[:2] in value_options and len(word) > 2:
                options.append((word[:2], word[2:]))
            elif not word.startswith("--") and len(word) > 2:
                options.extend((f"-{letter}", None) for letter in word[1:])
            else:
                options.append((word, None))
        else:
            positional.append(word)
    return options, positional


def _install_from(command: Command) -> PackageInstall | None:
    words = list(command.words)
    if not words:
        return None
    program = posixpath.basename(words[0])
    if program in {"apt-get", "apt", "aptitude"}:
        options, positional = _split_options(words[1:], _APT_VALUE_OPTIONS)
        if positional and positional[0] == "install":
            return PackageInstall("apt", "install", tuple(positional[1:]), tuple(options), command, words[0])
        return None
    if program == "apk":
        options, positional = _split_options(words[1:], _APK_VALUE_OPTIONS)
        if positional and positional[0] == "add":
            return PackageInstall("apk", "add", tuple(positional[1:]), tuple(options), command, words[0])
        return None
    if program in {"yum", "dnf", "microdnf", "tdnf"}:
        options, positional = _split_options(words[1:], _YUM_VALUE_OPTIONS)
        if positional and positional[0] == "install":
            manager = "yum" if program == "yum" else "dnf"
            return PackageInstall(manager, "install", tuple(positional[1:]), tuple(options), command, words[0])
        return None
    rest: list[str] | None = None
    manager = ""
    if _PIP_PROGRAM_RE.match(program):
        rest, manager = words[1:], "pip"
    elif _PYTHON_PROGRAM_RE.match(program):
        tail = words[1:]
        while tail and tail[0].startswith("-") and tail[0] != "-m":
            tail = tail[1:]
        if len(tail) >= 2 and tail[0] == "-m" and tail[1] == "pip":
            rest, manager = tail[2:], "pip"
        elif len(tail) >= 2 and tail[0] == "-m" and tail[1] in {"uv", "poetry", "pipenv"}:
            words = [tail[1], *tail[2:]]
            program = tail[1]
    if rest is None and program == "uv":
        tail = words[1:]
        if tail[:1] == ["pip"]:
            rest, manager = tail[1:], "uv"
        elif tail[:1] == ["sync"]:
            options, positional = _split_options(tail[1:], _PIP_VALUE_OPTIONS)
            return PackageInstall("uv", "sync", tuple(positional), tuple(options), command, words[0])
        else:
            return None
    if rest is None and program in {"poetry", "pipenv", "pdm"}:
        options, positional = _split_options(words[1:], _PIP_VALUE_OPTIONS)
        if positional and positional[0] in {"install", "sync"}:
            return PackageInstall(program, positional[0], tuple(positional[1:]), tuple(options), command, words[0])
        return None
    if rest is None:
        return None
    options, positional = _split_options(rest, _PIP_VALUE_OPTIONS)
    if not positional or positional[0] not in {"install", "sync"}:
        return None
    editables = [value for option, value in options if option in {"-e", "--editable"} and value]
    return PackageInstall(manager, positional[0], tuple(positional[1:] + editables), tuple(options), command, words[0])


def package_installs(commands: Iterable[Command]) -> tuple[PackageInstall, ...]:
    """The package-manager installs among shell commands (see :func:`split_commands`)."""
    found = []
    for command in commands:
        install = _install_from(command)
        if install is not None:
            found.append(install)
    return tuple(found)


def iter_runs(stages: Iterable[Stage]) -> Iterator[Instruction]:
    for stage in stages:
        for instruction in stage.instructions:
            if instruction.keyword == "RUN":
                yield instruction


__all__ = [
    "ArgDef", "Command", "Dockerfile", "Heredoc", "ImageRef", "Instruction", "MAX_BYTES",
    "PackageInstall", "ParseError", "Stage", "iter_runs", "package_installs", "parse",
    "parse_image_ref", "split_commands", "substitute",
]
