"""LPI008: apt-get install without recommended packages."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.dockerfile import Instruction, PackageInstall
from checker.rules.base import Context, Flag, rule


def _recommends_disabled(install: PackageInstall) -> bool:
    if install.has("--no-install-recommends"):
        return True
    for option, value in install.options:
        if option in {"-o", "--option"} and value and "install-recommends" in value.lower():
            return value.split("=", 1)[-1].strip().lower() in {"false", "0", "no", "off"}
    return False


def _configured_off(ctx: Context, instruction: Instruction) -> bool:
    """An earlier RUN wrote APT::Install-Recommends "false" into apt's configuration."""
    df = ctx.dockerfile
    for stage in df.lineage(df.stages[instruction.stage]):
        for earlier in stage.instructions:
            if earlier.index >= instruction.index:
                return False
            if earlier.keyword == "RUN" and re.search(r"Install-Recommends\W+(false|0)", earlier.shell_script, re.IGNORECASE):
                return True
    return False


@rule("LPI008", severity="warning", lesson="01_single_stage_problem.ipynb#recommended-packages", family="packages")
def no_install_recommends(ctx: Context) -> Iterator[Flag]:
    """Install apt packages with --no-install-recommends.

    Why it matters:
        By default apt also installs every "recommended" package: documentation, extra tools
        and libraries your app never loads, often doubling what one install adds.
    How to fix:
        Write apt-get install -y --no-install-recommends <packages>.
    """
    facts = ctx.facts
    for stage in ctx.dockerfile.stages:
        severity = facts.severity_for(stage)
        for instruction in stage.instructions:
            if instruction.keyword != "RUN":
                continue
            for install in instruction.installs:
                if install.manager == "apt" and install.names and not _recommends_disabled(install) and not _configured_off(ctx, instruction):
                    where = "" if facts.ships(stage) else " in a build stage"
                    yield Flag(instruction.line, f"apt install of {', '.join(install.names)} without --no-install-recommends{where} pulls in recommended packages too.", severity=severity)
