"""LPI022: ENV and LABEL use the ``key=value`` form, not the legacy ``key value``."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule

_PLAIN_VALUE = re.compile(r'^[^\s"\'\\]*$')


def key_value_fix(keyword: str, args: str) -> str:
    """The ``key=value`` spelling of a legacy ``ENV key value`` line: ``ENV NAME="a b"``."""
    name, _, value = args.strip().partition(" ")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        quoted = value
    elif _PLAIN_VALUE.match(value):
        quoted = value
    else:
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{keyword} {name}={quoted}"


@rule("LPI022", severity="warning", lesson="06_safer_images.ipynb#exec-form-cmd", family="syntax")
def legacy_key_value(ctx: Context) -> Iterator[Flag]:
    """ENV and LABEL use the key=value form.

    Why it matters:
        ENV NAME value is a deprecated form that sets exactly one variable and takes everything
        after the first space as its value, spaces and quotes included; Docker plans to remove
        it. ENV NAME=value is unambiguous and can set several variables in one line.
    How to fix:
        Put an equals sign between the name and the value and quote a value that has spaces:
        ENV PYTHONUNBUFFERED 1 becomes ENV PYTHONUNBUFFERED=1, ENV GREETING hello world becomes
        ENV GREETING="hello world".
    """
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword not in {"ENV", "LABEL"}:
            continue
        words = instruction.args.split()
        if not words or "=" in words[0]:
            continue
        fix = key_value_fix(instruction.keyword, instruction.args)
        yield Flag(instruction.line,
                   f"{instruction.keyword} {instruction.args.strip()} uses the legacy '{instruction.keyword} key value' "
                   f"form (BuildKit's LegacyKeyValueFormat); write {fix}.",
                   hint=f"Write {fix}: a name, an equals sign and the value, quoted when it has spaces.")
