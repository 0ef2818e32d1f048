"""Clean-up by label: what the checker created, found through the engine's list endpoints.

Every function here uses the list endpoints' own label data (no per-object look-ups first), so
objects that another grading removes at the same moment cannot make it fail.
"""

from __future__ import annotations

import json

import time

from .. import settings as course_settings
from .client import LABEL_EXPIRES, EngineError, EngineUnavailable, api, call, label_value, translated
from .containers import remove_container
from .images import image_tags, remove_image
from .results import BuildResult


def _remove_image_quietly(image_id: str) -> bool:
    """Force-remove an image; False when it is gone or still needed by a kept child image."""
    try:
        with translated(f"Could not remove image {image_id}"):
            api().remove_image(image_id, force=True)
        return True
    except EngineUnavailable:
        raise
    except EngineError:
        return False


def _remove_container_quietly(container_id: str) -> bool:
    """Remove a container; False when the engine refused (gone already counts as removed)."""
    try:
        remove_container(container_id)
        return True
    except EngineUnavailable:
        raise
    except EngineError:
        return False


def list_containers(label: str) -> list[str]:
    """Ids of the containers (any state) carrying ``label`` (``name`` or ``name=value``)."""
    return [row["Id"] for row in call(api().containers, all=True, filters={"label": label})]


def remove_containers(label: str) -> int:
    """Remove every container (any state) carrying ``label``; returns how many were found.

    Raises EngineUnavailable when the engine does not answer; refusals are skipped.
    """
    ids = list_containers(label)
    for container_id in ids:
        _remove_container_quietly(container_id)
    return len(ids)


def remove_images(label: str) -> int:
    """Remove the tagged images carrying ``label``; returns how many went.

    An image still used by a kept child image stays (it goes with that child).
    """
    rows = call(api().images, filters={"label": label})
    return sum(_remove_image_quietly(row["Id"]) for row in rows)


def reap_expired_containers(now: float | None = None) -> int:
    """Remove the checker's containers whose expiry has passed (left by a grader that was killed).

    ``now`` is epoch seconds (default: the current time). Containers with a run label but no
    expiry label (made before expiry labels existed) expire two hours after their creation.
    Returns how many were removed.
    """
    now = time.time() if now is None else now
    removed = 0
    rows = {row["Id"]: row for row in call(api().containers, all=True, filters={"label": LABEL_EXPIRES})}
    for row in call(api().containers, all=True, filters={"label": course_settings.LABEL_RUN}):
        rows.setdefault(row["Id"], row)
    for row in rows.values():
        labels = row.get("Labels") or {}
        try:
            # Containers from before expiry labels: a grading run never keeps one for two hours.
            expires = float(labels[LABEL_EXPIRES]) if LABEL_EXPIRES in labels else float(row.get("Created") or 0) + 7200
        except ValueError:
            continue
        if expires < now:
            removed += _remove_container_quietly(row["Id"])
    return removed


def remove_stopped_containers(label: str) -> int:
    """Remove containers carrying ``label`` (any value) that have stopped (exited or dead).

    A build step container inherits its base image's labels (the stand-ins carry our owner label);
    when the engine restarts mid-build it can be left ``Dead`` or ``Exited``, with no run label.
    Only for ``checker clean`` (nothing else building): a step that just ended is ``exited`` too.
    Returns how many were removed.
    """
    found = call(api().containers, all=True, filters={"label": label, "status": ["exited", "dead"]})
    removed = 0
    for row in found:
        try:
            removed += _remove_container_quietly(row["Id"])
        except EngineUnavailable:
            pass
    return removed


def prune_dangling_images(label: str) -> int:
    """Remove untagged leaf images carrying ``label`` (and their untagged parents); how many went.

    A build cut off by an engine shutdown leaves its finished steps' images behind, untagged and
    unknown to the grader, with the labels they inherited from the base image. Only for
    ``checker clean`` (nothing else building): a running build's newest step image is untagged too.
    """
    result = call(api().prune_images, filters={"dangling": True, "label": label})
    return len([entry for entry in (result or {}).get("ImagesDeleted") or [] if entry.get("Deleted")])


def _images_of_runs(prefix: str) -> list[dict]:
    """The engine's image rows whose run label (``LABEL_RUN``) starts with ``prefix``."""
    run_label = course_settings.LABEL_RUN
    return [row for row in call(api().images, filters={"label": run_label})
            if label_value(row.get("Labels") or {}, run_label).startswith(prefix)]


def remove_by_run_prefix(prefix: str, *, with_cache: bool = False) -> int:
    """Remove containers, then images, whose run label (``LABEL_RUN``) starts with ``prefix``.

    Images that also carry the keep label (``LABEL_KEEP``) stay, unless ``with_cache``. Returns how
    many containers and images were removed together; refusals are skipped. Raises EngineUnavailable
    when the engine does not answer.
    """
    run_label = course_settings.LABEL_RUN
    removed = 0
    for row in call(api().containers, all=True, filters={"label": run_label}):
        if label_value(row.get("Labels"), run_label).startswith(prefix):
            removed += _remove_container_quietly(row["Id"])
    for row in _images_of_runs(prefix):
        if with_cache or course_settings.LABEL_KEEP not in (row.get("Labels") or {}):
            removed += _remove_image_quietly(row["Id"])
    return removed


def kept_by_run_prefix(prefix: str) -> int:
    """How many images of runs whose id starts with ``prefix`` carry the keep label (kept as build cache, so
    :func:`remove_by_run_prefix` leaves them). Raises EngineUnavailable when the engine does not answer."""
    return sum(1 for row in _images_of_runs(prefix) if course_settings.LABEL_KEEP in (row.get("Labels") or {}))


def discard_build(result: BuildResult) -> int:
    """Remove what a build made and nothing it took from the cache; returns images removed.

    The final tag goes (the engine prunes its untagged parents); then every image a step of this
    build created (not reused from the cache) is removed, newest first, when nothing tags it.
    """
    removed = 0
    if result.tag and result.ok:
        removed += remove_image(result.tag, force=False)
    for step in reversed(result.steps):
        if step.cached or not step.image_id or step.is_from:
            continue
        try:
            tags = image_tags(step.image_id)
        except EngineError:
            continue
        if tags is None or tags:
            continue
        removed += remove_image(step.image_id, force=False)
    return removed


def build_cache_bytes() -> int:
    """Bytes BuildKit's cache holds on this engine (``/system/df``'s ``BuildCache``); 0 without BuildKit."""
    with translated("Could not measure the build cache"):
        usage = api().df()
    return sum(int(record.get("Size") or 0) for record in usage.get("BuildCache") or [])


def prune_build_cache(max_bytes: int | None = None, *, idle_s: int | None = None) -> int:
    """Shrink BuildKit's cache: to at most ``max_bytes`` (least recently used records first), or entirely (None).

    BuildKit's cache records carry no labels, so the whole engine's cache is concerned (records in
    use by a running build stay). ``max_bytes`` uses the API's ``max-used-space`` (API 1.48+) or
    ``keep-storage`` before it. With ``idle_s`` only records unused for that many seconds may go
    (the API's ``until`` filter), so the working set of a lesson or a class being graded stays
    even when the cache is over budget. Returns the bytes reclaimed. Raises EngineUnavailable
    when the engine does not answer, EngineError when it refuses.
    """
    client = api()
    params: dict[str, str] = {}
    if max_bytes is None:
        params["all"] = "1"
    else:
        major, _, minor = str(client.api_version).partition(".")
        newer = (int(major or 0), int(minor or 0)) >= (1, 48)
        params["max-used-space" if newer else "keep-storage"] = str(int(max_bytes))
    if idle_s is not None:
        params["filters"] = json.dumps({"until": [f"{int(idle_s)}s"]})
    with translated("Could not prune the build cache"):
        result = client._result(client._post(client._url("/build/prune"), params=params), True)
    return int((result or {}).get("SpaceReclaimed") or 0)
