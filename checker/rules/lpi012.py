"""LPI012: the container runs as a non-root user."""

from __future__ import annotations

from collections.abc import Iterator

from checker.dockerfile import parse_image_ref, substitute
from checker.rules.base import Context, Flag, rule


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


@rule("LPI012", severity="error", lesson="06_safer_images.ipynb#run-as-a-non-root-user", family="runtime")
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
