"""LPI002: no compiler or build tool in the stage that ships."""

from __future__ import annotations

from collections.abc import Iterator

from checker.dockerfile import Instruction, PackageInstall, parse_image_ref
from checker.rules.base import Context, Flag, rule
from checker.rules.facts import is_build_tool, toolchain_base


def _removed_in_same_run(instruction: Instruction, install: PackageInstall, package: str) -> bool:
    """apk del of the --virtual group, or apt-get purge/remove / yum remove of the package."""
    virtual = install.value("--virtual", "-t") if install.manager == "apk" else None
    seen = False
    for command in instruction.commands:
        if command == install.command:
            seen = True
            continue
        if not seen or len(command.words) < 2:
            continue
        rest = [word for word in command.words[1:] if not word.startswith("-")]
        if command.program == "apk" and rest[:1] == ["del"] and (package in rest or (virtual and virtual in rest)):
            return True
        if command.program in {"apt-get", "apt"} and rest[:1] in (["purge"], ["remove"]) and package in rest:
            return True
        if command.program in {"yum", "dnf", "microdnf"} and rest[:1] in (["remove"], ["erase"]) and package in rest:
            return True
    return False


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
        start the final stage from a -slim image that has no compiler.
    """
    facts = ctx.facts
    root = facts.lineage[0]
    if root.parent is None and toolchain_base(root.base_resolved):
        yield Flag(root.line, f"The final image is built on {root.base_resolved}, which ships gcc, make and hundreds of -dev packages; run on {_slim_suggestion(root.base_resolved)} instead.")
    for instruction in facts.shipping_instructions("RUN"):
        for install in instruction.installs:
            if not install.system:
                continue
            tools = [name for name in install.names if is_build_tool(name) and not _removed_in_same_run(instruction, install, name)]
            if tools:
                listed = ", ".join(tools)
                yield Flag(instruction.line, f"The final image installs {listed}: build tools and headers are needed only to compile, not to run the app.")
