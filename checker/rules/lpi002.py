"""LPI002: no compiler or build tool in the stage that ships."""

from __future__ import annotations

from collections.abc import Iterator

from checker.dockerfile import parse_image_ref
from checker.rules.base import Context, Flag, rule
from checker.rules.facts import is_build_tool, toolchain_base
from checker.rules.installed import Installed, kept_installs, later_removal_note


def _slim_suggestion(ref: str) -> str:
    parsed = parse_image_ref(ref)
    tag = parsed.tag if parsed.tag and parsed.tag != "latest" else None
    if parsed.name == "python" and tag:
        version, _, distro = tag.partition("-")
        return f"python:{version}-slim" + (f"-{distro}" if distro else "")
    return "a -slim variant (python:3.13-slim, for example)"


@rule("LPI002", severity="error", lesson="01_single_stage_problem.ipynb#what-makes-an-image-heavy", family="packages")
def no_build_tools_in_final_stage(ctx: Context) -> Iterator[Flag]:
    """No compilers or headers in the final image.

    Why it matters:
        gcc, make, build-essential and -dev header packages are only needed to compile wheels.
        In the image you run they add hundreds of megabytes and hand an attacker a compiler.
    How to fix:
        Install build tools only in a build stage and copy the built dependencies out of it;
        start the final stage from a -slim image that has no compiler. In a single stage, remove
        them in the same RUN that installs them: a later RUN cannot shrink the image.
    """
    facts = ctx.facts
    root = facts.lineage[0]
    if root.parent is None and toolchain_base(root.base_resolved):
        yield Flag(root.line, f"The final image is built on {root.base_resolved}, which ships gcc, make and hundreds of -dev packages; run on {_slim_suggestion(root.base_resolved)} instead.")
    # What the layers keep: a tool purged in the RUN that installed it is in no layer.
    by_run: dict[int, list[Installed]] = {}
    for package in kept_installs(facts.shipping_instructions("RUN")):
        if is_build_tool(package.name):
            by_run.setdefault(id(package.install), []).append(package)
    for tools in by_run.values():
        listed = ", ".join(tool.name for tool in tools)
        note = later_removal_note(tools)
        yield Flag(tools[0].instruction.line, f"The final image installs {listed}: build tools and headers are needed only to compile, not to run the app{note}.")
