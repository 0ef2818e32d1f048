"""The parsed model of a Dockerfile: instructions, stages, global ARGs, heredocs, and ParseError.

Immutable dataclasses built by :func:`checker.dockerfile.parser.parse`. Lines are 1-based and
refer to the original text.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from .packages import PackageInstall, package_installs
from .shell import Command, split_commands, split_words
from .syntax import key_value_pairs, substitute, without_heredoc_markers

#: Programs that read a heredoc body as a shell script.
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})


class ParseError(Exception):
    """The text is not a Dockerfile we can read. ``line`` is 1-based, or None for the whole file."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message

    def to_dict(self) -> dict[str, object]:
        """``{"line": int | None, "message": str}``, as the JSON report writes it."""
        return {"line": self.line, "message": self.message}


@dataclass(frozen=True)
class Heredoc:
    """A here-document attached to a RUN, COPY or ADD (BuildKit syntax)."""

    delimiter: str
    """The word after ``<<`` (quotes removed): ``EOF``."""
    body: str
    """The lines between the marker and the terminator, each ending with a newline."""
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
    """First line of the instruction."""
    end_line: int
    """Last line, continuations and heredoc terminators included."""
    flags: tuple[tuple[str, str], ...] = ()
    """``(name, value)`` pairs in order, name without dashes, lower-cased; a bare flag has value ``"true"``."""
    exec_form: bool = False
    """True when the arguments are a JSON array (``CMD ["python", "app.py"]``)."""
    json: tuple[str, ...] | None = None
    """The parsed JSON array in exec form, else None."""
    heredocs: tuple[Heredoc, ...] = ()
    """The here-documents the instruction opens, in order."""
    not_json: str | None = None
    """When the arguments start like the exec form (``CMD ['python', 'app.py']``) but are not a
    JSON array: why not. Docker then reads them as shell form (RUN, CMD, ENTRYPOINT) or as
    whitespace-separated words (COPY, ADD, VOLUME), as :attr:`json` None says."""
    stage: int = -1
    """Index of the stage this instruction belongs to; -1 for global ARGs before the first FROM."""
    index: int = 0
    """Position among all instructions of the file."""

    @property
    def form(self) -> str:
        """``"exec"`` for the JSON-array form, else ``"shell"``."""
        return "exec" if self.exec_form else "shell"

    def flag(self, name: str) -> str | None:
        """The value of the last ``--name`` flag, or None."""
        values = self.flag_values(name)
        return values[-1] if values else None

    def flag_values(self, name: str) -> tuple[str, ...]:
        """Every ``--name`` flag's value, in order (``--mount`` may be given several times)."""
        return tuple(value for key, value in self.flags if key == name)

    @cached_property
    def words(self) -> tuple[str, ...]:
        """The arguments as words: the JSON array in exec form, else a tolerant shell split."""
        if self.json is not None:
            return self.json
        return tuple(split_words(self.args))

    @cached_property
    def heredoc_program(self) -> str:
        """For a RUN with a heredoc: the program its body is fed to (``bash`` for ``RUN <<EOT bash``,
        ``python3`` for ``RUN <<EOT python3``), by file name; ``""`` when the body is the shell's own
        script (``RUN <<EOT``) or the instruction has no heredoc."""
        if self.keyword != "RUN" or not self.heredocs or self.json is not None:
            return ""
        head = without_heredoc_markers(self.args).split()
        return posixpath.basename(head[0]) if head else ""

    @cached_property
    def shell_script(self) -> str:
        """For RUN: the shell text that runs (heredoc bodies fed to a shell included)."""
        if self.json is not None:
            return " ".join(shlex.quote(word) for word in self.json)
        script = self.args
        if self.heredocs:
            head = without_heredoc_markers(script).strip()
            bodies = "\n".join(doc.body for doc in self.heredocs)
            if not head or self.heredoc_program in SHELLS:
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
            words = split_words(without_heredoc_markers(self.args) if self.heredocs else self.args)
        if not words:
            return (), None
        return tuple(words[:-1]), words[-1]

    def pairs(self) -> tuple[tuple[str, str | None], ...]:
        """For ENV, ARG and LABEL: ``(name, value)`` pairs; value None for ``ARG NAME``."""
        return key_value_pairs(self.keyword, self.args)


@dataclass(frozen=True)
class ArgDef:
    """An ARG declared before the first FROM (usable in FROM lines)."""

    name: str
    """The variable's name, as written."""
    default: str | None
    """The value after ``=``, unsubstituted; None for ``ARG NAME``."""
    line: int
    """Line of the ARG instruction."""


@dataclass(frozen=True)
class Stage:
    """One FROM and the instructions up to the next FROM."""

    index: int
    """Position among the stages, from 0."""
    line: int
    """Line of its FROM."""
    base: str
    """The image reference as written, e.g. ``python:${PYTHON_VERSION}-slim``."""
    base_resolved: str
    """The reference after ARG substitution, e.g. ``python:3.13-slim``."""
    alias: str | None
    """The name given with ``AS``, as written; None when unnamed."""
    from_instruction: Instruction
    """The FROM instruction itself."""
    instructions: tuple[Instruction, ...]
    """The stage's instructions after its FROM."""
    is_final: bool
    """True for the last stage, the one ``docker build`` outputs without ``--target``."""
    parent: int | None
    """Index of the earlier stage this one is built FROM, or None for an external image."""
    root_base: str
    """The external image at the root of the FROM chain (``scratch`` included), resolved."""
    unresolved: tuple[str, ...] = ()
    """Variables in the FROM reference that had no value (no default and no build arg)."""
    platform: str | None = None
    """The ``--platform`` flag of the FROM, as written, or None."""

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
    """Every instruction in file order, global ARGs included."""
    stages: tuple[Stage, ...]
    """At least one: a file without FROM does not parse."""
    global_args: tuple[ArgDef, ...]
    """The ARGs before the first FROM."""
    directives: Mapping[str, str]
    """Parser directives by lower-cased name (``syntax``, ``escape``, ``check``)."""
    directive_lines: Mapping[str, int]
    """The line of each parser directive, by the same names."""
    build_args: Mapping[str, str]
    """The build arguments the file was parsed with (they override ARG defaults)."""
    escape: str = "\\"
    """The escape character: a backslash, or a backtick after ``# escape=```."""
    line_count: int = 0
    """Number of lines of the text."""
    text: str = field(default="", repr=False)
    """The decoded text (BOM removed, line ends normalised to ``\\n``)."""
    empty_continuation_lines: tuple[int, ...] = ()
    """Blank lines (1-based) the parser dropped inside a ``\\`` continuation (BuildKit's NoEmptyContinuation)."""

    @property
    def final_stage(self) -> Stage:
        """The last stage: what ``docker build`` outputs."""
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
