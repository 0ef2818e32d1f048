"""LPI026: a stage is not named ``scratch`` or ``context``."""

from __future__ import annotations

from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule

#: Names the builder already gives a meaning: the empty image and the build context.
RESERVED = ("scratch", "context")


@rule("LPI026", severity="warning", lesson="02_multi_stage.ipynb#naming-stages", family="syntax")
def reserved_stage_name(ctx: Context) -> Iterator[Flag]:
    """Stage names are not reserved words.

    Why it matters:
        scratch already names the empty image and context the build context, so a stage called
        scratch or context makes FROM scratch and COPY --from=context ambiguous: a reader (or
        another builder) may take the other meaning.
    How to fix:
        Give the stage a name that says what it does: FROM python:3.13-slim AS builder, AS
        runtime, AS tests.
    """
    for stage in ctx.dockerfile.stages:
        if stage.alias and stage.alias.lower() in RESERVED:
            yield Flag(stage.line, f"AS {stage.alias}: '{stage.alias.lower()}' is a reserved name (BuildKit's "
                                   f"ReservedStageName); name the stage after its job, e.g. AS builder.")
