"""Writing files whole or not at all, and keeping a folder of cached files within a budget."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def _process_umask() -> int:
    # Read once, at import (single-threaded): os.umask can only be read by setting it.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: The mode ``open()`` would give a new file here: mkstemp's private 0600 is wrong for reports and
#: gradebooks a teaching assistant or a web server must read.
NEW_FILE_MODE = 0o666 & ~_process_umask()


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8, line ends as given) to ``path``, whole or not at all.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed over
    ``path``: a reader sees the old file or the new one, never half of one, and an interrupt
    leaves no temporary file behind. The file gets the mode ``open()`` would give it (0644 under
    the usual umask). Missing parent folders are created. Raises ``OSError``
    when the folder cannot be written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, NEW_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file in the same folder renamed over
    it (not flushed to disk: for caches, which may lose a file but never hold half of one). Missing
    parent folders are created. Raises ``OSError`` when the folder cannot be written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, NEW_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def evict_least_recent(folders: Iterable[Path], budget_bytes: int) -> list[Path]:
    """Remove the least recently modified files below ``folders`` (searched recursively) until they
    hold at most ``budget_bytes`` bytes in all; returns the files removed. Never raises for a file or
    folder another process removed meanwhile."""
    files = []
    for folder in folders:
        try:
            found = list(folder.rglob("*"))
        except OSError:
            continue
        for path in found:
            with contextlib.suppress(OSError):
                if path.is_file():
                    stat = path.stat()
                    files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    removed = []
    for _, size, path in sorted(files):
        if total <= budget_bytes:
            break
        with contextlib.suppress(OSError):
            path.unlink()
        total -= size
        removed.append(path)
    return removed
