"""LPI007: package lists are removed in the layer that downloaded them."""

from __future__ import annotations

from collections.abc import Iterator

from checker.dockerfile import Instruction
from checker.rules.base import Context, Flag, rule
from checker.rules.facts import commented_commands


_APT_LISTS = "/var/lib/apt/lists"


def _apt_commands(instruction: Instruction) -> list[str]:
    subcommands = []
    for command in instruction.commands:
        if command.program in {"apt-get", "apt", "aptitude"}:
            rest = [word for word in command.words[1:] if not word.startswith("-")]
            if rest and rest[0] in {"update", "install", "upgrade", "dist-upgrade", "full-upgrade"}:
                subcommands.append(rest[0])
    return subcommands


def _removes(instruction: Instruction, prefix: str) -> bool:
    for command in instruction.commands:
        if command.program == "rm" and any(word.startswith(prefix) for word in command.words[1:]):
            return True
    return False


def _commented_cleanup(ctx: Context, instruction: Instruction, prefix: str) -> str:
    """A sentence when the clean-up is written but inside a shell comment, else ""."""
    for line, command in commented_commands(ctx.dockerfile, instruction):
        words = command.words
        start = next((index for index, word in enumerate(words) if word.rsplit("/", 1)[-1] == "rm"), None)
        if start is not None and any(word.startswith(prefix) for word in words[start + 1:]):
            return (f"; the '{' '.join(words[start:])}' is inside the shell comment that starts with # on line {line}: the "
                    f"continuation lines are joined into one, so the comment runs to the end of the RUN and the rm never runs")
    return ""


def _cache_mounted(instruction: Instruction, prefix: str) -> bool:
    for mount in instruction.flag_values("mount"):
        options = dict(part.partition("=")[::2] for part in mount.split(","))
        if options.get("type") == "cache" and (options.get("target") or options.get("dst") or options.get("destination") or "").startswith(prefix):
            return True
    return False


def _later_cleanup(ctx: Context, instruction: Instruction, prefix: str) -> int | None:
    stage = ctx.dockerfile.stages[instruction.stage]
    for later in stage.instructions:
        if later.keyword == "RUN" and later.index > instruction.index and _removes(later, prefix):
            return later.line
    return None


@rule("LPI007", severity="warning", lesson="05_layer_cache.ipynb#clean-up-in-the-same-layer", family="packages")
def package_lists_removed(ctx: Context) -> Iterator[Flag]:
    """Remove package-manager caches in the same RUN.

    Why it matters:
        apt-get update downloads package lists (tens of MB) into /var/lib/apt/lists, and apk and
        yum keep their indexes too. Each RUN is a layer: deleting the files in a later RUN hides
        them but does not make the image smaller.
    How to fix:
        End the same RUN with && rm -rf /var/lib/apt/lists/* (apt), use apk add --no-cache
        (Alpine), or run yum/dnf clean all in the same RUN.
    """
    df, facts = ctx.dockerfile, ctx.facts
    for stage in df.stages:
        severity = facts.severity_for(stage)
        where = "" if facts.ships(stage) else " (a build stage: only its build time and cache suffer)"
        for instruction in stage.instructions:
            if instruction.keyword != "RUN":
                continue
            if _apt_commands(instruction) and not _removes(instruction, _APT_LISTS) and not _cache_mounted(instruction, "/var/lib/apt"):
                later = _later_cleanup(ctx, instruction, _APT_LISTS)
                extra = f"; removing them in a later RUN (line {later}) cannot shrink this layer" if later else ""
                extra = _commented_cleanup(ctx, instruction, _APT_LISTS) + extra
                yield Flag(instruction.line, f"This RUN leaves apt's package lists in {_APT_LISTS} in the layer{extra}{where}.", severity=severity)
            for command in instruction.commands:
                rest = [word for word in command.words[1:] if not word.startswith("-")]
                if command.program == "apk" and rest[:1] in (["add"], ["update"]) and "--no-cache" not in command.words:
                    if not _removes(instruction, "/var/cache/apk") and not _cache_mounted(instruction, "/var/cache/apk") and not _cache_mounted(instruction, "/etc/apk/cache"):
                        extra = _commented_cleanup(ctx, instruction, "/var/cache/apk")
                        yield Flag(instruction.line, f"apk {rest[0]} without --no-cache keeps the package index in /var/cache/apk{extra}{where}.", severity=severity, hint="Use apk add --no-cache <packages>.")
                if command.program in {"yum", "dnf", "microdnf"} and rest[:1] == ["install"]:
                    cleaned = any(c.program == command.program and "clean" in c.words for c in instruction.commands) or _removes(instruction, "/var/cache/")
                    if not cleaned:
                        yield Flag(instruction.line, f"{command.program} install without '{command.program} clean all' in the same RUN keeps its cache in the layer{where}.", severity=severity)
