"""LPI023: no blank line inside a ``\\`` continuation."""

from __future__ import annotations

from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule


@rule("LPI023", severity="warning", lesson="05_layer_cache.ipynb#clean-up-in-the-same-layer", family="syntax")
def empty_continuation(ctx: Context) -> Iterator[Flag]:
    """No blank line inside a continued instruction.

    Why it matters:
        A blank line after a line ending in a backslash is dropped today, so the instruction
        goes on past it; Docker has announced that it will become an error, and to a reader the
        blank line looks like the end of the RUN.
    How to fix:
        Delete the blank line, or end the instruction before it (remove the backslash on the
        line above). A comment line inside a continuation is fine.
    """
    df = ctx.dockerfile
    for line in df.empty_continuation_lines:
        owner = next((i for i in df.instructions if i.line < line <= i.end_line), None)
        what = f"the {owner.keyword} of line {owner.line}" if owner else "an instruction"
        yield Flag(line, f"Line {line} is blank inside {what}, which continues past it with a backslash "
                         "(BuildKit's NoEmptyContinuation: this will become an error).")
