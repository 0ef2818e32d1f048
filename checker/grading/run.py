"""One grading run: its id, its labels, its timings, and the clean-up of what it created.

Everything a grading creates on the engine carries the run label
``org.lean-python-images.run=<run id>``; :func:`cleanup` removes this run's containers by that
label and keeps (or discards) exactly the builds the run recorded in :attr:`Run.builds`, so its
cost follows what the run made, not what the engine holds. :func:`interruptible` turns SIGTERM
into ``KeyboardInterrupt`` so that clean-up runs when a CI runner cancels a job (the classroom
uses it too).
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .. import engine
from . import cache as grading_cache
from .. import settings as course_settings

LineCallback = Callable[[str], None]
"""Receives one line of text (a build's output line, or a sentence naming a phase)."""


def repository_for(run_id: str) -> str:
    """The image repository a run's images are kept under: ``lpi-grade/<run id as a valid name>``.

    ``run_id`` is any text; the result is a valid repository name of at most 111 characters.
    """
    name = re.sub(r"[^a-z0-9]+", "-", run_id.lower()).strip("-")[:100].strip("-") or "run"
    return f"lpi-grade/{name}"


def new_run_id() -> str:
    """``LPI_RUN_ID`` when set (grade-class passes one per student), else a fresh unique id.

    A given id keeps only ``[A-Za-z0-9_.-]`` (others become ``-``) and at most 100 characters.
    """
    given = os.environ.get("LPI_RUN_ID", "").strip()
    if given:
        return re.sub(r"[^A-Za-z0-9_.-]", "-", given)[:100]
    return f"g{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:10]}"


@dataclass
class Run:
    """State of one grading run, kept for clean-up whatever happens."""

    run_id: str
    """The value of the run label on everything this grading creates."""
    settings: course_settings.Settings
    """The course settings in force (limits, build args, cache budget)."""
    keep: bool
    """Keep the builds as build cache (True) or remove them at the end (False)."""
    builds: list[tuple[engine.BuildResult, str]] = field(default_factory=list)
    """Builds to keep or discard at the end: (result, repository to keep them under, or "" to discard)."""
    images: dict[str, engine.ImageInfo] = field(default_factory=dict)
    """Base images inspected by reference, once per run (the layers scan, the reference and the baseline share them)."""
    kept_bytes: int | None = None
    """An upper bound of the bytes keeping the graded build adds to the cache: 0 when every step came from the
    cache, else its layers above the base image; None when unknown."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds spent per phase (``lint``, ``build``, ``cache``...), summed over repeats."""
    phase: LineCallback = lambda message: None
    """Receives one sentence when a phase starts."""

    def inspect(self, ref: str) -> engine.ImageInfo:
        """``engine.image_info(ref)``, asked once per run for a given ``ref`` (a base image does not change mid-run).

        Raises :class:`engine.ImageUnavailable` when it is missing (not remembered), EngineError otherwise.
        """
        found = self.images.get(ref)
        if found is None:
            found = self.images[ref] = engine.image_info(ref)
        return found

    @property
    def labels(self) -> dict[str, str]:
        """The labels to put on every container and image this run creates."""
        return {course_settings.LABEL_RUN: self.run_id}

    @contextmanager
    def timed(self, name: str, message: str | None = None) -> Iterator[None]:
        """Time the block into ``timings[name]`` (seconds); announce ``message`` first when given."""
        if message:
            self.phase(message)
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.monotonic() - started


def cleanup(run: Run) -> None:
    """Remove this run's containers; keep its builds as cache (within budget) or remove them.

    One label-filtered container removal, then one keep or discard per recorded build, so the
    work is proportional to what the run created; the budget's image inventory is taken only
    when what was kept may exceed it (:func:`grading_cache.enforce_cache_budget_when_due`). Never raises an :class:`engine.EngineError`:
    when the engine went away, ``python -m checker clean`` removes what is left.
    """
    try:
        engine.remove_containers(f"{course_settings.LABEL_RUN}={run.run_id}")
        kept: list[str] = []
        for result, repository in run.builds:
            if run.keep and repository:
                grading_cache.keep_build(result, repository)
                kept.append(repository)
                if result.ok and result.tag and not result.tag.startswith(repository):
                    engine.remove_image(result.tag, force=False)
            else:
                grading_cache.discard_build(result)
        if kept:
            only_graded = kept == [repository_for(run.run_id)]
            grading_cache.enforce_cache_budget_when_due(
                run.settings.cache_budget_bytes, protect=kept, added_bytes=run.kept_bytes if only_graded else None)
    except engine.EngineError:
        pass


#: Set by ``grade-class`` for its children: a folder of lock files, and how many builds may run at once.
ENV_BUILD_SLOTS_DIR = "LPI_BUILD_SLOTS_DIR"
ENV_BUILD_SLOTS = "LPI_BUILD_SLOTS"


@contextmanager
def build_slot(poll_s: float = 0.05) -> Iterator[None]:
    """Hold one of ``LPI_BUILD_SLOTS`` build slots shared by the processes of a class run, for the block.

    ``grade-class`` starts more gradings than builds may run at once, so that the next student's
    build starts the moment a running one ends, while that student's image is still probed. The
    slots are lock files (``slot-<n>``) in ``LPI_BUILD_SLOTS_DIR``, taken with ``flock``: a process
    that dies frees its slot. Without those variables (or without ``fcntl``) the block runs at
    once. Waiting is interruptible (Ctrl-C); an unusable folder means no limit, never an error.
    """
    folder, count = os.environ.get(ENV_BUILD_SLOTS_DIR, ""), os.environ.get(ENV_BUILD_SLOTS, "")
    try:
        import fcntl
        slots = int(count)
    except (ImportError, ValueError):
        slots = 0
    if not folder or slots < 1:
        yield
        return
    handles = []
    try:
        for number in range(slots):
            handles.append(open(os.path.join(folder, f"slot-{number}"), "a+b"))
    except OSError:
        for handle in handles:
            handle.close()
        yield
        return
    held = None
    try:
        while held is None:
            for handle in handles:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue
                held = handle
                break
            else:
                time.sleep(poll_s)
        yield
    finally:
        for handle in handles:
            handle.close()  # closing releases the lock


@contextmanager
def interruptible() -> Iterator[None]:
    """In the main thread, turn SIGTERM into ``KeyboardInterrupt`` for the block (then restore).

    A CI runner cancels a job with SIGTERM; raised as ``KeyboardInterrupt`` it runs the same
    ``finally`` clean-up as Ctrl-C. Outside the main thread (where Python cannot install a
    signal handler) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum, frame):  # noqa: ARG001 - a signal handler's signature
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
