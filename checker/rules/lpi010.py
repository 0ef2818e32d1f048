"""LPI010: the stage that ships starts from a slim (or alpine) Python image."""

from __future__ import annotations

from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule
from checker.rules.facts import python_variant


@rule("LPI010", severity="warning", lesson="04_slim_vs_alpine.ipynb#slim-or-alpine", family="base_image")
def slim_python_base(ctx: Context) -> Iterator[Flag]:
    """Run on a slim Python base.

    Why it matters:
        The full python image is close to 1 GB of build tooling you do not run. Alpine is smaller
        but uses musl instead of glibc: most wheels on PyPI are built for glibc, so pip compiles
        from source there, needs build tools again, and some packages behave differently.
    How to fix:
        Start the final stage FROM python:<version>-slim. Keep alpine only if you have tested
        every dependency on musl.
    """
    df = ctx.dockerfile
    root = df.final_lineage[0]
    variant = python_variant(root.base_resolved)
    if variant == "full":
        yield Flag(root.line, f"The final image is built on {root.base_resolved}, the full Python image (about 1 GB); the -slim variant runs the same Python at a fraction of the size.")
    elif variant == "alpine":
        yield Flag(root.line, f"{root.base_resolved} uses musl: most wheels are built for glibc, so pip compiles them here and you need build tools again. Prefer the -slim variant unless you tested every dependency on musl.", severity="info")
