"""Probe results kept by what determines them, so a regrade or the next student's same image is not probed again.

A graded image gets a new id every time (its run label is part of its configuration), but its
layers are content-addressed: the same ``diff_id``s are the same files. A probe's result is a
function of those layers, of the parts of the image's configuration the probe reads (``PATH``,
``USER``, the command...), of the probe's parameters and of the probe's own code. The key here is
the sha256 of all of them, the code included (the source of the modules that compute the
result), so a changed probe never reuses an old answer.

Results are kept in memory for the process and on disk (``~/.cache/lean-python-images/facts/``,
pickled: the folder is the user's own), within 1/32 of the course's cache budget
(``LPI_CACHE_BUDGET``), least recently used evicted first. A result the caller judges not worth
keeping (an error, a probe cut by its deadline) is never kept: the grading machine's bad moment
must not stick to a learner.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from ..files import evict_least_recent, write_bytes_atomic

_T = TypeVar("_T")
_MEMORY: dict[str, Any] = {}
_MEMORY_KEPT = 64
_LOCK = threading.Lock()
_CODE: dict[str, str] = {}


def code_digest(*modules: ModuleType) -> str:
    """The sha256 (hex) of the source of ``modules``: part of a key, so a changed probe recomputes."""
    digest = hashlib.sha256()
    for module in modules:
        name = module.__name__
        if name not in _CODE:
            try:
                _CODE[name] = hashlib.sha256(inspect.getsource(module).encode()).hexdigest()
            except (OSError, TypeError):
                _CODE[name] = name  # no source to read (a frozen build): the name alone
        digest.update(_CODE[name].encode())
    return digest.hexdigest()


def key(kind: str, *parts: object) -> str:
    """The key of a result of probe ``kind`` determined by ``parts`` (their ``repr``), as hex."""
    digest = hashlib.sha256(kind.encode())
    for part in parts:
        digest.update(b"\0")
        digest.update(repr(part).encode())
    return digest.hexdigest()


def remembered(kind: str, parts: tuple[object, ...], compute: Callable[[], _T],
               keep_if: Callable[[_T], bool] = lambda value: True,
               budget_bytes: int | None = None) -> tuple[_T, bool]:
    """``(result, reused?)``: the result kept for ``parts``, else ``compute()`` (kept when ``keep_if`` says so).

    ``parts`` must name everything the result depends on (see the module's docstring). Whatever
    ``compute`` raises goes up, and nothing is kept.
    """
    name = key(kind, *parts)
    found = recall(kind, name)
    if found is not None:
        return found, True
    value = compute()
    if keep_if(value):
        keep(kind, name, value, budget_bytes=budget_bytes)
    return value, False


def recall(kind: str, name: str) -> Any | None:
    """The result kept under ``name`` (memory, then disk), or None."""
    with _LOCK:
        if name in _MEMORY:
            return _MEMORY[name]
    path = _file(kind, name)
    try:
        with path.open("rb") as handle:
            value = pickle.load(handle)
        os.utime(path)  # recently used: evicted last
    except Exception:  # missing, half-written by a killed process, or from an older class layout
        return None
    _remember(name, value)
    return value


def keep(kind: str, name: str, value: object, *, budget_bytes: int | None = None) -> None:
    """Keep ``value`` under ``name`` in memory and on disk (skipped when the disk write fails)."""
    _remember(name, value)
    budget = budget_bytes if budget_bytes is not None else _default_budget()
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return
    if len(data) > budget:
        return
    try:
        write_bytes_atomic(_file(kind, name), data)
    except OSError:
        return
    evict_over_budget(budget)


def evict_over_budget(budget_bytes: int) -> list[Path]:
    """Remove the least recently used kept results until the folder holds at most ``budget_bytes``; returns them."""
    return evict_least_recent([cache_root()], budget_bytes)


def forget_memory() -> None:
    """Drop the in-memory copies (the disk copies stay): for tests that measure a cold process."""
    with _LOCK:
        _MEMORY.clear()


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/lean-python-images/facts`` (``~/.cache/...`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lean-python-images" / "facts"


def _file(kind: str, name: str) -> Path:
    return cache_root() / kind / f"{name}.pickle"


def _remember(name: str, value: object) -> None:
    with _LOCK:
        _MEMORY.pop(name, None)
        _MEMORY[name] = value
        while len(_MEMORY) > _MEMORY_KEPT:
            _MEMORY.pop(next(iter(_MEMORY)))


def _default_budget() -> int:
    from .. import settings as course_settings

    return max(1, course_settings.load().cache_budget_bytes // 32)
