"""The build context's .dockerignore as the context rules (LPI013, LPI018) read it.

The matcher itself is :mod:`checker.dockerignore` (the one used by staging and the lessons
too); the rules live in ``lpi013.py`` and ``lpi018.py``.
"""

from __future__ import annotations

from functools import lru_cache

from checker.dockerignore import DockerIgnore, DockerIgnoreError
from checker.rules.base import Context

_parse = lru_cache(maxsize=32)(DockerIgnore.parse)


def parsed_dockerignore(ctx: Context) -> DockerIgnore | DockerIgnoreError:
    """The context's .dockerignore as THE matcher reads it, or the error Docker would fail with.

    ``ctx.dockerignore`` may be the file's text or an already parsed :class:`DockerIgnore`;
    callers check ``ctx.dockerignore is None`` (no file) first.
    """
    if isinstance(ctx.dockerignore, DockerIgnore):
        return ctx.dockerignore
    try:
        return _parse(ctx.dockerignore)
    except DockerIgnoreError as error:
        return error
