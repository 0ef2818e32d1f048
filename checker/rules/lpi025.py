"""LPI025: one casing for instruction keywords, ``AS`` like ``FROM``, lower-case stage names."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule


def _keyword_as_written(df_text: list[str], line: int) -> str:
    """The first word of a 1-based line as written (its case kept)."""
    words = df_text[line - 1].split()
    return words[0] if words else ""


@rule("LPI025", severity="style", lesson="02_multi_stage.ipynb#naming-stages", family="syntax")
def consistent_casing(ctx: Context) -> Iterator[Flag]:
    """Instructions, AS and stage names keep one casing.

    Why it matters:
        Keywords are case-insensitive, but a file that mixes FROM and from, or writes
        FROM ... as builder, reads as if the lower-case words meant something else; stage names
        are matched without regard to case, so Builder and builder are the same stage.
    How to fix:
        Write every instruction in upper case (FROM, RUN, COPY), AS in the case of its FROM
        (FROM python:3.13-slim AS builder) and stage names in lower case.
    """
    df = ctx.dockerfile
    lines = df.text.split("\n")
    written = [(i, _keyword_as_written(lines, i.line)) for i in df.instructions]
    upper = sum(1 for _, word in written if word.isupper())
    lower = sum(1 for _, word in written if word.islower())
    majority_upper = upper >= lower
    for instruction, word in written:
        if (majority_upper and not word.isupper()) or (not majority_upper and not word.islower()):
            want = word.upper() if majority_upper else word.lower()
            yield Flag(instruction.line, f"{word} is not in the casing of the file's other instructions; write {want} "
                                         "(BuildKit's ConsistentInstructionCasing).")
    for stage in df.stages:
        if stage.alias is None:
            continue
        words = stage.from_instruction.args.split()
        as_word = words[1] if len(words) == 3 else "AS"
        from_word = _keyword_as_written(lines, stage.line)
        if (from_word.isupper() and not as_word.isupper()) or (from_word.islower() and not as_word.islower()):
            want = as_word.upper() if from_word.isupper() else as_word.lower()
            yield Flag(stage.line, f"{from_word} ... {as_word} {stage.alias}: write {want} in the case of {from_word} "
                                   "(BuildKit's FromAsCasing).")
        if re.search(r"[A-Z]", stage.alias):
            yield Flag(stage.line, f"Stage name {stage.alias} has upper-case letters; write {stage.alias.lower()} "
                                   "(BuildKit's StageNameCasing).")
