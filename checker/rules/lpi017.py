"""LPI017: COPY rather than ADD for local files."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule


_ARCHIVE_RE = re.compile(r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$", re.IGNORECASE)


@rule("LPI017", severity="style", lesson="06_safer_images.ipynb#copy-not-add", family="layers")
def copy_not_add(ctx: Context) -> Iterator[Flag]:
    """Use COPY, not ADD, for local files.

    Why it matters:
        ADD also unpacks archives and downloads URLs, so a reader has to check which of the
        three it does; COPY only copies.
    How to fix:
        Write COPY for files from the build context. Download with RUN curl (and a checksum)
        when you need a file from the web.
    """
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword != "ADD":
            continue
        sources, _ = instruction.sources_and_dest()
        if not sources and instruction.heredocs:
            continue
        remote = [s for s in sources if re.match(r"^(?:https?|git)://|^git@", s)]
        if remote:
            yield Flag(instruction.line, f"ADD {remote[0]} downloads at build time without checking what arrives; use RUN curl with a checksum, or ADD --checksum on BuildKit.")
        elif not all(_ARCHIVE_RE.search(s) for s in sources):
            yield Flag(instruction.line, f"ADD {instruction.args} copies local files: COPY does the same without ADD's archive and URL magic.")
