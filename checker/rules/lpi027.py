"""LPI027: a variable in an exec-form RUN, CMD or ENTRYPOINT is passed as its literal name."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence

from checker.dockerfile.model import Dockerfile, Instruction
from checker.rules.base import Context, Flag, rule

#: Programs that expand variables in the script they get with ``-c``.
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"})
#: ``$NAME`` or ``${NAME...}`` (``${PORT:-8000}`` included), not ``\$NAME`` nor ``$$``, nor positional ``$1``.
_VARIABLE_RE = re.compile(r"(?<![\\$])\$(\{[A-Za-z_][A-Za-z0-9_]*[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)")
#: Docker's own list: the instructions whose arguments the builder substitutes variables in
#: (docs.docker.com, Dockerfile reference, "Environment replacement"); RUN, CMD and ENTRYPOINT are not in it.
REPLACED_IN = "ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR"


@rule("LPI027", severity="warning", lesson="06_safer_images.ipynb#exec-form-cmd", family="runtime")
def literal_variable_in_exec_form(ctx: Context) -> Iterator[Flag]:
    """Exec form does not expand variables.

    Why it matters:
        A JSON-array RUN, CMD or ENTRYPOINT starts its program with no shell, and Docker replaces
        variables only in ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME and WORKDIR
        (the Dockerfile reference, "Environment replacement"): CMD ["uvicorn", "main:app",
        "--port", "$PORT"] hands uvicorn the five characters $PORT, and it stops at once.
    How to fix:
        Let a shell expand it and still run the app as PID 1: CMD ["sh", "-c", "exec uvicorn
        main:app --host 0.0.0.0 --port ${PORT:-8000}"], or an entrypoint script that ends with
        exec "$@"; or write the value itself in the array (--port 8000).
    """
    df = ctx.dockerfile
    for stage in df.stages:
        for instruction in stage.instructions:
            if instruction.keyword not in {"RUN", "CMD", "ENTRYPOINT"} or instruction.json is None:
                continue
            argv = instruction.json
            if runs_a_shell(argv):
                continue
            if instruction.keyword == "CMD" and _entrypoint_runs_a_shell(df, stage.index, instruction):
                continue  # ENTRYPOINT ["sh", "-c"]: the CMD's words are the shell's script
            for word in argv:
                found = _VARIABLE_RE.search(word)
                if found is None:
                    continue
                name = found.group(1).strip("{}").split(":")[0].split("-")[0]
                yield Flag(instruction.line,
                           f'{instruction.keyword} in exec form passes "{word}" as it is written: no shell runs to '
                           f"replace ${name}, and Docker replaces variables only in {REPLACED_IN}.")
                break


def runs_a_shell(argv: Sequence[str]) -> bool:
    """True when the array starts a shell on a script (``["sh", "-c", "..."]``, ``["/bin/bash", "-euo",
    "pipefail", "-c", "..."]``, ``["tini", "--", "sh", "-c", "..."]``): that shell expands the variables."""
    for index, word in enumerate(argv):
        if posixpath.basename(word) not in SHELLS:
            continue
        options = list(argv[index + 1:])
        while options and options[0][:1] in {"-", "+"}:
            option = options.pop(0)
            if option == "--":
                break
            if not option.startswith("--") and "c" in option[1:]:
                return True
            if option[1:].endswith("o") and not option.startswith("--") and options:  # -o pipefail
                options.pop(0)
    return False


def _entrypoint_runs_a_shell(df: Dockerfile, stage_index: int, cmd: Instruction) -> bool:
    """True when the ENTRYPOINT in force for ``cmd`` (this stage's last before it, else its parent stages')
    is a shell whose ``-c`` takes the CMD as its script."""
    index: int | None = stage_index
    while index is not None:
        stage = df.stages[index]
        entrypoints = [i for i in stage.instructions if i.keyword == "ENTRYPOINT" and
                       (index != stage_index or i.line < cmd.line)]
        if entrypoints:
            argv = entrypoints[-1].json or ()
            return bool(argv) and runs_a_shell(argv) and argv[-1].startswith("-")
        index = stage.parent
    return False
