"""LPI015: syntax only BuildKit understands is advice, never a deduction."""

from __future__ import annotations

from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule
from checker.rules.buildkit import CLASSIC, UNKNOWN, needs_buildkit


@rule("LPI015", severity="info", lesson="00_environment.ipynb#the-classic-builder", family="buildkit")
def buildkit_only_syntax(ctx: Context) -> Iterator[Flag]:
    """BuildKit-only syntax.

    Why it matters:
        RUN --mount, heredocs, COPY --link and --chmod need BuildKit. This rule speaks only when
        the engine grading you has no BuildKit (Docker 20.10 through its API, or
        LPI_BUILDER=classic), or, for lint, when no engine was asked (lint --buildkit silences it):
        the classic builder stops at such a line (or ignores a # syntax directive), so the build
        fails for a reason that has nothing to do with your image.
        Where the engine offers BuildKit the checker builds with it and this syntax is graded
        like any other.
    How to fix:
        Write the classic equivalent: a RUN with commands joined by &&, pip's --no-cache-dir
        instead of a cache mount, COPY --chown plus a RUN chmod instead of --chmod.
    """
    if ctx.buildkit:
        return
    df = ctx.dockerfile
    said = CLASSIC if ctx.buildkit is False else UNKNOWN
    for line, feature in needs_buildkit(df):
        yield Flag(line, f"{feature}: {said}.")
    for name in ("syntax", "check"):
        if name in df.directives:
            yield Flag(df.directive_lines[name],
                       f"# {name}= directive: this engine uses the classic builder (no BuildKit), which ignores it."
                       if ctx.buildkit is False else
                       f"# {name}= directive: the classic builder ignores it; BuildKit reads it (for # syntax=, "
                       "by fetching that frontend image from a registry first).")
