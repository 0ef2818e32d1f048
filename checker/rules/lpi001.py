"""LPI001: a build stage keeps the toolchain out of the image that ships."""

from __future__ import annotations

from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule
from checker.rules.facts import is_build_tool, toolchain_base
from checker.rules.installed import kept_installs, later_removal_note, removed_in_same_run_names


@rule("LPI001", severity="warning", lesson="02_multi_stage.ipynb#the-multi-stage-pattern", family="stages")
def multi_stage_build(ctx: Context) -> Iterator[Flag]:
    """Build in one stage, run in another.

    Why it matters:
        Compilers, header files and download caches are needed to build wheels but never to run
        your app. In a single stage they all ship; a separate build stage is thrown away and only
        the results you copy out of it reach the image.
    How to fix:
        Install and compile in a first stage (FROM ... AS builder), then start the final stage
        from a clean base and bring the results over with COPY --from=builder.
    """
    df, facts = ctx.dockerfile, ctx.facts
    final = df.final_stage
    if len(df.stages) == 1:
        kept = [package for package in kept_installs(final.instructions) if is_build_tool(package.name)]
        purged = [name for name in removed_in_same_run_names(final.instructions) if is_build_tool(name)]
        if kept or toolchain_base(final.base_resolved):
            what = ", ".join(package.name for package in kept) if kept else f"the toolchain in {final.base_resolved}"
            note = later_removal_note(kept)
            yield Flag(final.line, f"This Dockerfile has a single stage, so everything used to build the app ({what}) ships in the image{note}.")
        elif purged:
            # Installed, used and removed in one RUN: no layer keeps them, so nothing to lose points for.
            yield Flag(final.line, f"This Dockerfile has a single stage; it removes its build tools ({', '.join(purged)}) in the "
                       "RUN that used them, so they do not ship. A build stage is simpler: nothing to purge, and no "
                       "purge list to keep in step with the installs.", severity="info")
        else:
            # Nothing is compiled here (no compiler installed, a base without one): a build stage
            # would discard little. Still worth knowing before a dependency needs compiling.
            yield Flag(final.line, "This Dockerfile has a single stage. It installs no compiler or headers, so little would be "
                       "left behind; once a dependency needs compiling, build it in a separate stage.", severity="info")
        return
    if facts.copied_stage_indexes:
        return
    if final.parent is not None:
        parent = df.stages[final.parent]
        yield Flag(final.line, f"The final stage starts FROM the earlier stage '{parent.name}' and copies nothing from another stage, so it keeps everything that stage installed.")
    else:
        yield Flag(final.line, "The final stage copies nothing from an earlier stage (no COPY --from=<stage>), so the other stages do not shape the image.")

