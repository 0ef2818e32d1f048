"""LPI004: the final stage copies the installed dependencies, not the system Python."""

from __future__ import annotations

from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule
from checker.rules.facts import is_system_python_path


@rule("LPI004", severity="warning", lesson="03_virtualenvs.ipynb#one-directory-one-copy", family="dependencies")
def dependencies_copied_in_isolation(ctx: Context) -> Iterator[Flag]:
    """Copy isolated dependencies, not the builder's system Python.

    Why it matters:
        Installed into the system Python, your dependencies are mixed with pip, setuptools and
        everything else under /usr/local; copying that whole tree drags it all along and
        overwrites the final stage's own Python files.
    How to fix:
        In the build stage install into one directory: a virtual environment
        (python -m venv /opt/venv), pip install --prefix=/install, --target or --user. Copy
        that directory with a single COPY --from=builder.
    """
    facts = ctx.facts
    for copy in facts.final_copies_from:
        if copy.source_stage is None or facts.ships(copy.source_stage):
            continue
        for source in copy.sources:
            if is_system_python_path(source):
                yield Flag(copy.instruction.line, f"COPY --from={copy.instruction.flag('from')} {source} copies the build stage's system Python tree, with pip, setuptools and system packages mixed into your dependencies.")
