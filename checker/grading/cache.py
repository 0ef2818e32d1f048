"""The grading build cache: built images kept on purpose, within a size budget.

The classic builder's cache is the set of intermediate images on the engine. A graded build's
final image carries our labels, but the last image of every earlier stage (where the
dependencies were compiled) is left untagged and unlabelled. To keep such a chain on purpose we
tag every stage's last image into one repository per build (``lpi-grade/<run>``,
``lpi-ref/<key>``); to drop it we remove those tags and the engine prunes every untagged parent
that nothing else needs. Budget and eviction work on these repositories.

This is policy on top of the engine's public functions; the engine itself knows nothing of it.
``discard_build`` (remove what one build made) is the engine's own (its build uses it when cut)
and is offered here too, beside ``keep_build``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import settings as course_settings
from ..files import write_atomic
from ..engine import (
    BuildResult,
    EngineError,
    ImageSummary,
    discard_build,
    find_images,
    inventory,
    remove_image,
    tag_image,
)

__all__ = [
    "CACHE_REPOSITORIES", "CacheGroup", "cache_groups", "discard_build", "enforce_cache_budget",
    "enforce_cache_budget_when_due", "keep_build",
    "remove_grading_images", "remove_group",
]

CACHE_REPOSITORIES = ("lpi-grade/", "lpi-ref/")
"""Repository prefixes of kept builds: graded answers, then reference solutions."""


EVICTION_PASSES = 3
"""Inventories one budget check may take (an eviction pass frees what the last measure says is over)."""


def _is_ours(tag: str) -> bool:
    return tag.startswith(CACHE_REPOSITORIES)


def keep_build(result: BuildResult, repository: str) -> list[str]:
    """Tag every stage's last image (and the final image) of ``result`` into ``repository``.

    Tags are ``<repository>:stage-<n>`` and ``<repository>:image``; returns the ones made (a tag
    the engine refuses is skipped).
    """
    tags = []
    tips = result.stage_tips
    if result.ok and result.image_id:
        tips = tips[:-1] + [result.image_id] if tips else [result.image_id]
    for index, image_id in enumerate(dict.fromkeys(tips)):
        name = "image" if (result.ok and image_id == result.image_id) else f"stage-{index}"
        ref = f"{repository}:{name}"
        try:
            tag_image(image_id, ref)
            tags.append(ref)
        except EngineError:
            pass
    return tags


@dataclass
class CacheGroup:
    """One kept build: its tags, and when it was made."""

    repository: str
    """``lpi-grade/<run>`` or ``lpi-ref/<key>`` (no tag)."""
    tags: list[str]
    image_ids: list[str]
    created: int
    """Epoch seconds of its newest image."""
    bytes_alone: int = 0
    """Bytes only this group holds (what evicting it frees)."""

    @property
    def kind(self) -> str:
        """``reference`` for ``lpi-ref/`` groups, ``graded`` otherwise."""
        return "reference" if self.repository.startswith("lpi-ref/") else "graded"


def _layer_sizes(rows: list[ImageSummary]) -> tuple[dict[str, ImageSummary], dict[str, int]]:
    by_id = {row.id: row for row in rows}
    own = {}
    for row in rows:
        parent = by_id.get(row.parent)
        own[row.id] = max(0, row.size_bytes - (parent.size_bytes if parent else 0))
    return by_id, own


def _ancestry(image_id: str, by_id: dict[str, ImageSummary]) -> set[str]:
    seen: set[str] = set()
    current = image_id
    while current and current in by_id and current not in seen:
        seen.add(current)
        current = by_id[current].parent
    return seen


def cache_groups() -> tuple[list[CacheGroup], int]:
    """The kept builds, oldest first (graded before references), and the bytes they hold together.

    Images that any other tag (a base image, say) also needs are left out of the count.
    """
    rows = inventory()
    by_id, own = _layer_sizes(rows)
    groups: dict[str, CacheGroup] = {}
    foreign: set[str] = set()
    for row in rows:
        ours = [tag for tag in row.tags if _is_ours(tag)]
        if any(not _is_ours(tag) for tag in row.tags):
            foreign |= _ancestry(row.id, by_id)
        for tag in ours:
            repository = tag.rsplit(":", 1)[0]
            group = groups.setdefault(repository, CacheGroup(repository, [], [], 0))
            group.tags.append(tag)
            group.image_ids.append(row.id)
            group.created = max(group.created, row.created)
    chains = {name: set().union(*(_ancestry(i, by_id) for i in g.image_ids)) - foreign for name, g in groups.items()}
    holders: dict[str, int] = {}
    for chain in chains.values():
        for image_id in chain:
            holders[image_id] = holders.get(image_id, 0) + 1
    total_ids = set(holders)
    for name, group in groups.items():
        group.bytes_alone = sum(own[i] for i in chains[name] if holders[i] == 1)
    ordered = sorted(groups.values(), key=lambda g: (g.kind == "reference", g.created))
    return ordered, sum(own[i] for i in total_ids)


def remove_group(group: CacheGroup) -> None:
    """Remove a kept build's tags (the engine prunes the untagged images under them)."""
    for tag in group.tags:
        remove_image(tag, force=False)


def enforce_cache_budget(budget_bytes: int, *, protect: Iterable[str] = ()) -> list[str]:
    """Evict the oldest kept builds (graded ones before references) until the cache fits.

    ``protect`` names repositories never evicted. Returns the evicted repositories, in order.
    One image inventory when the cache fits; when it does not, each pass evicts what covers the
    excess and measures again, at most :data:`EVICTION_PASSES` times.
    """
    return _enforce(budget_bytes, protect)[0]


def _enforce(budget_bytes: int, protect: Iterable[str]) -> tuple[list[str], int | None]:
    """``(evicted repositories, the cache's bytes as last measured when it fits, else None)``."""
    protected = set(protect)
    evicted: list[str] = []
    for _ in range(EVICTION_PASSES):
        groups, total = cache_groups()
        if total <= budget_bytes:
            return evicted, total
        candidates = [g for g in groups if g.repository not in protected]
        if not candidates:
            break
        # Evict oldest first until what they hold alone covers the excess, then measure again
        # (bytes shared only among evicted groups are freed too, so this never overshoots much).
        freed = 0
        for victim in candidates:
            remove_group(victim)
            evicted.append(victim.repository)
            freed += victim.bytes_alone
            if freed >= total - budget_bytes:
                break
    return evicted, None


def enforce_cache_budget_when_due(budget_bytes: int, *, protect: Iterable[str] = (),
                                  added_bytes: int | None = None) -> list[str]:
    """:func:`enforce_cache_budget`, with the image inventory taken only when the budget may be exceeded.

    The inventory (every image on the engine) costs about a second on a full engine. The last
    measured total and an upper bound of what was kept since (``added_bytes`` per call: the kept
    image's whole size, shared base layers included; None when unknown, which measures at once)
    are kept per engine (``DOCKER_HOST``) in ``~/.cache/lean-python-images/cache-budget.json``;
    while their sum stays within ``budget_bytes`` nothing is listed. Returns the evicted repositories.
    """
    state_file = _budget_state_file()
    engine_key = os.environ.get("DOCKER_HOST", "") or "default"
    try:
        state = json.loads(state_file.read_text())
        mine = state.get(engine_key) if isinstance(state, dict) else None
    except (OSError, ValueError):
        state, mine = {}, None
    if (added_bytes is not None and isinstance(mine, dict) and isinstance(mine.get("bytes"), int)
            and mine["bytes"] + added_bytes <= budget_bytes):
        state[engine_key] = {"bytes": mine["bytes"] + added_bytes, "measured": False}
        _write_state(state_file, state)
        return []
    evicted, total = _enforce(budget_bytes, protect)
    if not isinstance(state, dict):
        state = {}
    if total is None:
        state.pop(engine_key, None)
    else:
        state[engine_key] = {"bytes": total, "measured": True}
    _write_state(state_file, state)
    return evicted


def _budget_state_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lean-python-images" / "cache-budget.json"


def _write_state(path: Path, state: dict) -> None:
    try:
        write_atomic(path, json.dumps(state, sort_keys=True))
    except OSError:
        pass


def remove_grading_images() -> int:
    """Remove every kept build and every image a grading run labelled; returns tags/images removed."""
    removed = 0
    for row in inventory():
        for tag in row.tags:
            if _is_ours(tag) or tag.startswith("lpi-build/"):
                removed += remove_image(tag, force=True)
    for image in find_images(course_settings.LABEL_RUN):
        removed += remove_image(image.id, force=True)
    return removed
