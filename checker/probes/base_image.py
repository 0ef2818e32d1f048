"""The base-image probe: how much of an image's hidden bytes its base image already had.

Computed once per stack of layers (a filesystem scan) and kept on disk under the user's cache
folder by the digest of the base image's ``diff_id``s, so grading many submissions on one base
scans it once, and a base image re-tagged, re-pulled or loaded on another engine with the same
layers is not scanned again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from checker import engine
from checker.files import write_atomic
from checker.probes.filesystem import scan_filesystem
from checker.probes.layers import chain_key


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lean-python-images"


@dataclass(frozen=True)
class BaseFacts:
    """A base image's size and the bytes its final filesystem shows (the difference is its own waste)."""

    image_id: str
    size_bytes: int
    filesystem_bytes: int

    @property
    def wasted_bytes(self) -> int:
        """Bytes the base image's layers ship that its final filesystem does not show (>= 0)."""
        return max(0, self.size_bytes - self.filesystem_bytes)


def base_facts(ref: str, *, labels: dict[str, str] | None = None) -> BaseFacts | None:
    """Size and filesystem bytes of a base image (None for ``scratch`` or a missing image).

    The filesystem scan is kept on disk by the digest of the image's layers
    (``~/.cache/lean-python-images/base-facts.json``, see :func:`checker.probes.layers.chain_key`),
    so each stack of base layers is scanned once. Raises :class:`checker.engine.EngineError` when the scan fails.
    """
    if not ref or ref == "scratch" or not engine.image_exists(ref):
        return None
    info = engine.image_info(ref)
    cache_file = _cache_dir() / "base-facts.json"
    try:
        known = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        known = {}
    key = f"layers:{chain_key(info.diff_ids)}" if info.diff_ids else info.id
    entry = known.get(key)
    if isinstance(entry, dict) and "filesystem_bytes" in entry:
        return BaseFacts(info.id, info.size_bytes, int(entry["filesystem_bytes"]))
    facts = scan_filesystem(info.id, labels=labels)
    known[key] = {"ref": ref, "filesystem_bytes": facts.total_bytes, "size_bytes": info.size_bytes}
    try:
        write_atomic(cache_file, json.dumps(known, indent=1, sort_keys=True))
    except OSError:
        pass
    return BaseFacts(info.id, info.size_bytes, facts.total_bytes)
