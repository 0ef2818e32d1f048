"""LPI016: COPY --from names a stage defined earlier in the Dockerfile."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule


@rule("LPI016", severity="error", lesson="02_multi_stage.ipynb#naming-stages", family="stages")
def copy_from_earlier_stage(ctx: Context) -> Iterator[Flag]:
    """COPY --from names an earlier stage.

    Why it matters:
        A --from value that matches no stage above it is taken as an image name: a typo like
        --from=buidler makes Docker try to pull an image called buidler, and a stage defined
        further down is not built yet when the classic builder reaches this line.
    How to fix:
        Name the build stage with FROM ... AS builder and copy with --from=builder, spelled the
        same way, from a stage below it. Use a full image reference (registry/name:tag) when you
        really mean to copy from another image.
    """
    df = ctx.dockerfile
    aliases = [stage.alias for stage in df.stages if stage.alias]
    for stage in df.stages:
        later = df.stage_for(stage.base_resolved)
        if later is not None and later.index >= stage.index:
            yield Flag(stage.line, f"FROM {stage.base} names the stage '{later.name}', which is defined at or below this line: a stage can only build FROM stages above it.")
        for instruction in (stage.from_instruction, *stage.instructions):
            refs = [instruction.flag("from")] if instruction.keyword in {"COPY", "ADD"} else []
            if instruction.keyword == "RUN":
                for mount in instruction.flag_values("mount"):
                    options = dict(part.partition("=")[::2] for part in mount.split(","))
                    refs.append(options.get("from"))
            for ref in refs:
                if not ref or "$" in ref:
                    continue
                if ref.isdigit():
                    if int(ref) >= stage.index:
                        yield Flag(instruction.line, f"--from={ref} points at stage {ref}, but this is stage {stage.index}: copy only from stages above this one (counting from 0).")
                    continue
                if df.stage_for(ref, before=stage.index) is not None:
                    continue
                target = df.stage_for(ref)
                if target is not None:
                    yield Flag(instruction.line, f"--from={ref} names a stage defined at or below this line ({target.line}); the classic builder only knows the stages above it and would look for an image called {ref}.")
                    continue
                if any(ch in ref for ch in "/:@"):
                    continue
                close = difflib.get_close_matches(ref.lower(), [alias.lower() for alias in aliases], n=1, cutoff=0.6)
                if close:
                    yield Flag(instruction.line, f"No stage is named '{ref}' (did you mean '{close[0]}'?): Docker will try to pull an image called {ref}.")
                else:
                    yield Flag(instruction.line, f"No stage is named '{ref}', so Docker treats it as an image from Docker Hub; name your stage with FROM ... AS {ref} or write the full image reference.", severity="warning")
