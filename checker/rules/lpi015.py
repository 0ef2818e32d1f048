"""LPI015: syntax only BuildKit understands is advice, never a deduction."""

from __future__ import annotations

from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule
from checker.rules.buildkit import CLASSIC, UNKNOWN, needs_buildkit


@rule("LPI015", severity="info", lesson="00_environment.ipynb#the-classic-builder", family="buildkit")
def buildkit_only_syntax(ctx: Context) -> Iterator[Flag]:
    """BuildKit-only syntax.

    Why it matters:
        RUN --mount, heredocs, COPY --link and --chmod need BuildKit, which the classic builder
        (Docker 20.10 through its API, DOCKER_BUILDKIT=0) does not have: this rule names such
        lines whenever BuildKit is not known to be there (lint --buildkit, or a grade on an engine
        that builds with BuildKit, silences it). A grade on a classic-builder engine does not score
        such a Dockerfile at all: it stops with an error naming the line, because that is the
        grading machine's limit, not yours.
    How to fix:
        Grade on an engine with BuildKit (--builder buildkit, or a DOCKER_HOST that `python -m
        checker engines list` prints), or write the classic equivalent: a RUN with commands joined
        by &&, pip's --no-cache-dir instead of a cache mount, COPY --chown plus a RUN chmod instead
        of --chmod.
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
