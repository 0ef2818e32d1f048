"""LPI011: CMD and ENTRYPOINT in exec form."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from checker.dockerfile import parse_image_ref
from checker.dockerfile.model import Instruction
from checker.rules.base import Context, Flag, rule


_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})


@rule("LPI011", severity="warning", lesson="06_safer_images.ipynb#exec-form-cmd", family="runtime")
def exec_form_command(ctx: Context) -> Iterator[Flag]:
    """Start the app with an exec-form CMD or ENTRYPOINT.

    Why it matters:
        In shell form (CMD python app.py) your app runs as a child of /bin/sh, which does not
        pass on SIGTERM: docker stop waits ten seconds and then kills the app mid-request.
        With no CMD at all, the image inherits the base image's command (the python prompt).
        An array that is not valid JSON (CMD ['python', 'app.py'], with single quotes) is not
        exec form at all: Docker runs it as a shell command whose first word is '[python,'.
    How to fix:
        Write the command as a JSON array, with double quotes, in the final stage, e.g.
        CMD ["python", "-m", "app"] or CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"].
    """
    facts = ctx.facts
    yield from _not_json(ctx)
    cmd: Instruction | None = None
    entrypoint: Instruction | None = None
    for instruction in facts.shipping_instructions("CMD", "ENTRYPOINT"):
        if instruction.keyword == "CMD":
            cmd = instruction
        else:
            entrypoint = instruction
    if cmd is None and entrypoint is None:
        base = facts.lineage[0].base_resolved
        inherited = "the interactive python prompt, which exits at once without a terminal" if parse_image_ref(base).name == "python" else "whatever the base image runs"
        yield Flag(facts.final.line, f"The final stage sets no CMD or ENTRYPOINT, so the container runs {inherited}.")
        return
    for found in (entrypoint, cmd):
        if found is None:
            continue
        instruction = found
        if instruction.not_json:
            continue  # said by _not_json
        if not instruction.exec_form:
            if instruction.args.lstrip().startswith("exec "):
                continue  # the shell replaces itself with the app, which then receives signals
            yield Flag(instruction.line, f"{instruction.keyword} {instruction.args} is in shell form: the app runs under /bin/sh -c, which does not forward SIGTERM, so docker stop ends in a kill (BuildKit's JSONArgsRecommended).")
        elif instruction.json and len(instruction.json) >= 3 and posixpath.basename(instruction.json[0]) in _SHELLS and instruction.json[1] == "-c" and not instruction.json[2].lstrip().startswith("exec "):
            yield Flag(instruction.line, f"{instruction.keyword} wraps the app in {instruction.json[0]} -c, which keeps the shell as PID 1; start the command with 'exec' so the app receives signals.", severity="info")


def _not_json(ctx: Context) -> Iterator[Flag]:
    """Arrays Docker cannot read as JSON, in every stage: what Docker does with them instead."""
    facts = ctx.facts
    for instruction in ctx.dockerfile.instructions:
        if not instruction.not_json:
            continue
        keyword, first = instruction.keyword, instruction.words[0] if instruction.words else instruction.args
        written = f"{keyword} {instruction.args}"
        if keyword in {"CMD", "ENTRYPOINT"}:
            ships = instruction.stage >= 0 and facts.ships(instruction.stage)
            yield Flag(instruction.line, f"{written} is read as shell form because {instruction.not_json}: /bin/sh -c looks for a program named '{first}', so the container cannot start.",
                       severity="error" if ships else "info")
        elif keyword == "RUN":
            yield Flag(instruction.line, f"{written} is read as shell form because {instruction.not_json}: /bin/sh -c looks for a program named '{first}', so this step fails.", severity="error")
        else:
            yield Flag(instruction.line, f"{written} is read as words separated by spaces because {instruction.not_json}: Docker takes '{first}' as a path, quotes and brackets included.", severity="error")
