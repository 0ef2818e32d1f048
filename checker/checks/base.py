"""The dynamic checks' machinery: the evidence a check reads, its outcome, the registry.

The checks themselves live beside this module, one module per kind of evidence they judge
(:mod:`.build`, :mod:`.size`, :mod:`.filesystem`, :mod:`.runtime`, :mod:`.health`,
:mod:`.cache`, and :mod:`.exercise` for the exercises' own checks).

Each check is one small function registered with :func:`dynamic_check`. Its docstring carries the
title and the fixed sections ``Why it matters:`` and ``How to fix:`` (as the course rules do), so
learner-facing text and the docs come from the code. The function is pure: it reads the
:class:`Evidence` the grader gathered (build result, filesystem scan, runtime probe, health
probe, cache probe, reference sizes) and the check's parameters from the rubric, and returns an
:class:`Outcome`. Nothing here talks to the engine, so every verdict is testable with fakes.

The checks judge principles, not our fixtures' shapes: any stage names, any install prefix
(``/opt/venv``, ``/install``, ``/root/.local``, a ``--target`` folder), any workdir, pip, uv or
poetry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from checker import engine
from checker.catalog import doc_sections, lesson_link
from checker.probes import CommandFacts, FilesystemFacts, HealthFacts, LayerFacts, RuntimeFacts
from checker.units import human_bytes  # noqa: F401  (re-exported: the checks write sizes with it)


@dataclass
class CacheFacts:
    """What the rebuild after a source-only change showed."""

    changed_file: str | None
    """The context file whose content changed (a comment appended)."""
    install_steps: list[tuple[str, bool]] = field(default_factory=list)
    """Dependency-install steps in build order: (instruction, taken from cache?)."""
    seconds: float = 0.0
    stopped_early: bool = False
    """True when the rebuild was cut as soon as an install step missed the cache."""
    error: str | None = None
    """Why the cache probe could not tell (None when it could)."""


@dataclass
class SizeReference:
    """A comparison image built on the same engine (reference solution or naive baseline)."""

    name: str
    """``reference`` or ``baseline``."""
    size_bytes: int | None
    """The image's size in bytes (the layers measure, the same on every store); None when it could not be built."""
    dockerfile: str
    """Path of the Dockerfile that was built."""
    error: str | None = None
    """Why the image could not be measured (None when it was)."""


@dataclass
class Evidence:
    """Everything the grader learned about one submission; a check reads what it needs."""

    build: engine.BuildResult | None = None
    image: engine.ImageInfo | None = None
    filesystem: FilesystemFacts | None = None
    filesystem_error: str | None = None
    base_wasted_bytes: int | None = None
    base_ref: str | None = None
    command: CommandFacts | None = None
    """The command's chain resolved in the filesystem scan (set whenever the scan is)."""
    layers: LayerFacts | None = None
    """Sizes and hidden files measured from the exported layer tars (None when they could not be read)."""
    base_layers: int = 0
    """How many of the image's first layers are its final stage's base image's (0 without one)."""
    runtime: RuntimeFacts | None = None
    health: HealthFacts | None = None
    cache: CacheFacts | None = None
    reference: SizeReference | None = None
    baseline: SizeReference | None = None
    base_shipped: Mapping[str, list[str]] | None = None
    """What the base image itself ships: ``{"special": [paths], "forbidden": [paths]}`` (see probes.shipped)."""
    commands: dict[tuple[str, ...], engine.RunResult] = field(default_factory=dict)
    """A rubric's ``command`` checks: argv -> how it ended, run in the image as its user."""

    @property
    def size_bytes(self) -> int | None:
        """The image's store-independent size (bytes, :data:`checker.probes.layers.MEASURE`); the engine's
        figure only when the layers could not be read; None without an image."""
        if self.layers is not None:
            return self.layers.size_bytes
        return self.image.size_bytes if self.image is not None else None

    @property
    def wasted_bytes(self) -> int | None:
        """Bytes the layers ship that the final filesystem does not show (base image's own excluded).

        From the layer tars when they were read (files the learner's layers hide), else the engine's
        size minus the final filesystem's bytes (correct on the classic image store only).
        """
        if self.layers is not None:
            return sum(wasted.size_bytes for wasted in self.layers.wasted_after(self.base_layers))
        if self.image is None or self.filesystem is None:
            return None
        total = max(0, self.image.size_bytes - self.filesystem.total_bytes)
        return max(0, total - (self.base_wasted_bytes or 0))


@dataclass(frozen=True)
class Outcome:
    """A check's verdict on one submission."""

    passed: bool
    message: str
    """What the learner reads: the measure and, on failure, what is wrong."""
    details: Mapping[str, Any] = field(default_factory=dict)
    """Numbers behind the verdict (bytes, seconds, paths) for the JSON report."""
    not_judged: str | None = None
    """Why the check could not judge (no image, the engine could not measure); None when it judged."""
    machine: bool = False
    """True when ``not_judged`` is the grading machine's doing (the engine could not read the image, a probe
    or the checker itself failed), not the submission's: the scorer leaves such a check out of both the score
    and the maximum. False when the learner's own image is why (no image, no shell for a probe the rubric
    requires): that check still costs its points."""


@dataclass(frozen=True)
class DynamicCheck:
    """A registered dynamic check: metadata from its decorator and docstring, and its judge."""

    id: str
    title: str
    rationale: str
    """"Why it matters", for learners."""
    fix: str
    """"How to fix", for learners."""
    lesson: str
    """A path into the course, e.g. ``notebooks/05_layer_cache.ipynb#dependencies-before-source``."""
    needs: tuple[str, ...]
    """Evidence the check reads: ``build``, ``filesystem``, ``runtime``, ``health``, ``cache``, ``sizes``."""
    defaults: Mapping[str, Any]
    """The parameters a rubric may set, with their defaults."""
    judge: Callable[[Evidence, Mapping[str, Any]], Outcome] = field(repr=False, compare=False)
    validate: Callable[[Mapping[str, Any]], None] | None = field(default=None, repr=False, compare=False)
    """Checks a rubric's parameters when the rubric loads; raises :class:`ValueError` naming the problem."""
    repeatable: bool = False
    """True for the declarative kinds: a rubric may list them several times as ``kind:name``."""

    def to_dict(self) -> dict[str, Any]:
        """The check's metadata as a JSON-ready dict (``why`` and ``fix`` for rationale and fix)."""
        return {"id": self.id, "title": self.title, "why": self.rationale, "fix": self.fix, "lesson": self.lesson,
                "needs": list(self.needs), "defaults": dict(self.defaults)}


Judge = Callable[[Evidence, Mapping[str, Any]], Outcome]
"""A check's function: the evidence and its parameters in, an :class:`Outcome` out."""

#: The kinds of evidence the grader gathers; a check's ``needs`` names some of them.
EVIDENCE = ("build", "sizes", "filesystem", "runtime", "health", "cache", "commands")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")

REGISTRY: dict[str, DynamicCheck] = {}
"""Every registered dynamic check by id, in registration order."""


def dynamic_check(check_id: str, *, lesson: str, needs: tuple[str, ...],
                  validate: Callable[[Mapping[str, Any]], None] | None = None, repeatable: bool = False,
                  **defaults: Any) -> Callable[[Judge], Judge]:
    """Register a dynamic check; title, rationale and fix come from the function's docstring.

    ``lesson`` is a notebook and anchor (``05_layer_cache.ipynb#...``), ``needs`` the evidence the
    check reads (see :data:`EVIDENCE`), ``defaults`` its parameters, which a rubric may override;
    ``validate`` checks a rubric's parameters at load time (raising :class:`ValueError`) and
    ``repeatable`` lets a rubric list the check several times as ``id:name``.
    Validated like a course rule's: raises :class:`ValueError` at import for an id that is not
    snake_case or is registered twice, an unknown lesson or evidence kind, or a docstring
    without its sections.
    """
    if not _ID_RE.match(check_id):
        raise ValueError(f"dynamic check ids are snake_case, got {check_id!r}")
    unknown = sorted(set(needs) - set(EVIDENCE))
    if not needs or unknown:
        raise ValueError(f"{check_id}: needs must name evidence among {', '.join(EVIDENCE)}, got {needs!r}")

    def register(function: Judge) -> Judge:
        if check_id in REGISTRY:
            raise ValueError(f"dynamic check {check_id} is registered twice")
        title, why, fix = doc_sections(function.__doc__, check_id)
        REGISTRY[check_id] = DynamicCheck(check_id, title, why, fix, lesson_link(lesson, check_id), tuple(needs),
                                          dict(defaults), function, validate, repeatable)
        return function

    return register


def all_checks() -> tuple[DynamicCheck, ...]:
    """Every registered dynamic check, in registration order (the package imports all its modules)."""
    return tuple(REGISTRY.values())


# ----------------------------------------------------------------------------------------------
# helpers


def listing(items: list[str], limit: int = 4) -> str:
    """``a, b, c, d and 3 more``: the first ``limit`` items joined, and how many were left out."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def short_path(path: str) -> str:
    """A path inside site-packages shortened to the part after it (``psycopg2/_psycopg.so``)."""
    match = re.search(r"/(?:site|dist)-packages/(.*)$", path)
    return match.group(1) if match else path


def not_run(what: str, *, machine: bool = False) -> Outcome:
    """A failed outcome for a check that could not run: ``Not checked: <what>.``, with ``not_judged`` set to ``what``;
    ``machine=True`` when the grading machine, not the submission, is why (see :attr:`Outcome.machine`)."""
    return Outcome(False, f"Not checked: {what}.", not_judged=what, machine=machine)


def unmeasured(evidence: Evidence) -> Outcome:
    """The outcome of a check whose filesystem evidence is missing: the machine's fault when the engine could not
    read the image (``evidence.filesystem_error``), else ``there is no image`` (the build failed: the submission's)."""
    if evidence.filesystem_error:
        return not_run(evidence.filesystem_error, machine=True)
    return not_run("there is no image")
