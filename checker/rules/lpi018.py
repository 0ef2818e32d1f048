"""LPI018: .dockerignore does not hide what COPY needs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.dockerignore import DockerIgnoreError
from checker.rules.base import Context, Flag, rule
from checker.rules.context import parsed_dockerignore


@rule("LPI018", severity="error", lesson="05_layer_cache.ipynb#the-dockerignore-file", family="context")
def copy_sources_not_ignored(ctx: Context) -> Iterator[Flag]:
    """Don't ignore files that COPY needs.

    Why it matters:
        Files matched by .dockerignore never reach the engine: a COPY of one of them fails the
        build with "not found", even though the file is right there on your disk.
    How to fix:
        Remove the pattern that matches the file from .dockerignore, or add a ! line after it
        to let that file back in (for example !requirements.txt).
    """
    if ctx.dockerignore is None:
        return
    ignore = parsed_dockerignore(ctx)
    if isinstance(ignore, DockerIgnoreError):
        yield Flag(0, f"docker build fails before any step: {ignore}")
        return
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword not in {"COPY", "ADD"} or instruction.flag("from"):
            continue
        sources, _ = instruction.sources_and_dest()
        for source in sources:
            clean = source.strip()
            while clean.startswith("./"):
                clean = clean[2:]
            clean = clean.strip("/")
            if not clean or clean == "." or re.search(r"[*?\[]", clean) or "://" in source or "$" in source:
                continue
            decision = ignore.decide(clean)
            pattern = decision.pattern
            if decision.excluded and pattern is not None:
                yield Flag(instruction.line, f"{instruction.keyword} needs {source}, but .dockerignore excludes it ('{pattern.raw}', line {pattern.line}), so the build fails with 'not found' (BuildKit's CopyIgnoredFile).")
