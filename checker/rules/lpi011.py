"""How the container starts: exec-form CMD/ENTRYPOINT, and not as root."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from checker.dockerfile import parse_image_ref, substitute
from checker.rules.base import Context, Flag, rule

_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})


@rule("LPI011", severity="warning", lesson="06_going_further.ipynb#exec-form-cmd")
def exec_form_command(ctx: Context) -> Iterator[Flag]:
    """Start the app with an exec-form CMD or ENTRYPOINT.

    Why it matters:
        In shell form (CMD python app.py) your app runs as a child of /bin/sh, which does not
        pass on SIGTERM: docker stop waits ten seconds and then kills the app mid-request.
        With no CMD at all, the image inherits the base image's command (the python prompt).
    How to fix:
        Write the command as a JSON array in the final stage, e.g. CMD ["python", "-m", "app"]
        or CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"].
    """
    facts = ctx.facts
    cmd = entrypoint = None
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
    for instruction in (entrypoint, cmd):
        if instruction is None:
            continue
        if not instruction.exec_form:
            if instruction.args.lstrip().startswith("exec "):
                continue  # the shell replaces itself with the app, which then receives signals
            yield Flag(instruction.line, f"{instruction.keyword} {instruction.args} is in shell form: the app runs under /bin/sh -c, which does not forward SIGTERM, so docker stop ends in a kill.")
        elif instruction.json and len(instruction.json) >= 3 and posixpath.basename(instruction.json[0]) in _SHELLS and instruction.json[1] == "-c" and not instruction.json[2].lstrip().startswith("exec "):
            yield Flag(instruction.line, f"{instruction.keyword} wraps the app in {instruction.json[0]} -c, which keeps the shell as PID 1; start the command with 'exec' so the app receives signals.", severity="info")


#: Images whose own Dockerfile already ends with a non-root USER.
_NON_ROOT_IMAGES = ("mambaorg/micromamba", "bitnami/")


def _non_root_by_default(ref: str) -> bool:
    parsed = parse_image_ref(ref)
    tag = (parsed.tag or "").lower()
    if "nonroot" in tag or parsed.name.endswith("nonroot"):
        return True
    if (parsed.registry or "") == "cgr.dev" and not tag.endswith("-dev"):
        return True  # Chainguard images run as nonroot, except their -dev variants
    return parsed.repository.startswith(_NON_ROOT_IMAGES)


@rule("LPI012", severity="error", lesson="06_going_further.ipynb#run-as-a-non-root-user")
def non_root_user(ctx: Context) -> Iterator[Flag]:
    """Run as a non-root user.

    Why it matters:
        A process running as root inside the container is root on any file or volume it can
        reach, and one step away from the host if the container runtime has a flaw. Your app
        needs no privileges to serve requests.
    How to fix:
        In the final stage create a user (RUN useradd --create-home app, or adduser -D app on
        Alpine) and switch to it with USER app (or a numeric id like USER 10001) before CMD.
    """
    df, facts = ctx.dockerfile, ctx.facts
    last = None
    for instruction in facts.shipping_instructions("USER"):
        last = instruction
    if last is None:
        if _non_root_by_default(facts.lineage[0].base_resolved):
            return
        yield Flag(facts.final.line, "The final stage never sets USER, so the app runs as root.")
        return
    value, missing = substitute(last.args.split()[0] if last.args.split() else "", df.env_at(last))
    if missing or not value:
        return
    user = value.split(":", 1)[0]
    if user in {"root", "0"}:
        yield Flag(last.line, f"USER {last.args} is the last USER of the final stage, so the app runs as root.")
