"""The grading report: one result object with several views.

:class:`Report` is what :func:`checker.grade` returns and what every reporter reads
(``checker/reporters/``: terminal, JSON, JUnit, GitHub Classroom, HTML, Markdown). ``to_dict()``
is the JSON schema documented in ``docs/checker.md``; ``summary()`` is plain text;
``_repr_html_()`` renders it in a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .findings import Finding

#: Version of the JSON report's schema (``to_dict()``); it changes only when a field changes meaning or goes.
SCHEMA_VERSION = 1


@dataclass
class CheckResult:
    """One rubric line: a static rule, hadolint, or a dynamic check, with the points it earned."""

    id: str
    """``builds``, ``native_libs``... for dynamic checks; ``LPI005`` for a course rule; ``hadolint``."""
    title: str
    """What passing means, in a few words."""
    kind: str
    """``dynamic`` (judged on the built image), ``static`` (a course rule) or ``hadolint``."""
    passed: bool
    """Whether the check holds. A check that could not run (no image) did not pass."""
    points: float
    """Points earned: ``max_points`` when passed, else 0 (and 0 for everything when the image did not build)."""
    max_points: float
    """Points this check is worth in the rubric."""
    message: str
    """What was found, with the measured facts (sizes, paths, the failing step...)."""
    hint: str
    """How to fix it (the same text whether or not it passed)."""
    why: str = ""
    """Why it matters."""
    lesson: str = ""
    """The lesson section that teaches it: ``notebooks/0N_topic.ipynb#anchor``."""
    required: bool = False
    """The rubric requires it: the submission fails without it, whatever the score."""
    details: dict[str, Any] = field(default_factory=dict)
    """Machine-readable facts behind the message (sizes, ratios, missing libraries...)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``checks`` entry: every field by name."""
        return {
            "id": self.id, "title": self.title, "kind": self.kind, "passed": self.passed,
            "points": self.points, "max_points": self.max_points, "message": self.message,
            "hint": self.hint, "why": self.why, "lesson": self.lesson, "required": self.required,
            "details": self.details,
        }


@dataclass
class BuildStepSummary:
    """One step of the learner's build, as the engine ran it."""

    number: int
    """Step number as the classic builder counts them (across all stages)."""
    instruction: str
    """The instruction as the engine printed it."""
    cached: bool
    """Taken from the build cache."""
    seconds: float
    """Time from this step's start to the next one's, in seconds."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``build.steps`` entry; seconds rounded to milliseconds."""
        return {"number": self.number, "instruction": self.instruction, "cached": self.cached,
                "seconds": round(self.seconds, 3)}


@dataclass
class BuildSummary:
    """The learner's build: whether it produced an image, how long it took, and where it failed."""

    ok: bool
    """Whether the engine produced an image."""
    seconds: float
    """Wall-clock time of the learner's build, in seconds."""
    error: str | None = None
    """The engine's error, or the reason the build was stopped (deadline, refused context)."""
    failed_step: str | None = None
    """The instruction that failed (or was running at the deadline)."""
    failed_line: int | None = None
    """The Dockerfile line of ``failed_step`` when the builder says it (BuildKit); None otherwise."""
    builder: str = "classic"
    """The builder that ran the build, as the build driver reports it: ``buildkit`` or ``classic``."""
    log_tail: str = ""
    """The last lines the failing step printed (empty when the build succeeded)."""
    error_lines: list[str] = field(default_factory=list)
    """The lines of the failing step's output that explain the failure (error markers of pip, setuptools,
    gcc, apt, apk, sh, ranked, each with a line of context), in log order; empty when none is marked."""
    cause: str | None = None
    """A well-known cause recognised in the log: ``pg_config``, ``libc6_dev``, ``python_headers``,
    ``apt_package``, ``no_gcc`` or ``network`` (the grading machine's); None when none is recognised."""
    hint: str | None = None
    """How to fix that cause, in a sentence or two; None without a cause."""
    timed_out: bool = False
    """The build hit its wall-clock deadline and was cancelled."""
    buildkit_note: str | None = None
    """When the Dockerfile uses BuildKit-only syntax: which lines, and that this engine cannot run them."""
    steps: list[BuildStepSummary] = field(default_factory=list)
    """Every step the engine started, in order."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``build`` object; seconds rounded to milliseconds."""
        return {
            "ok": self.ok, "seconds": round(self.seconds, 3), "error": self.error, "failed_step": self.failed_step,
            "log_tail": self.log_tail, "error_lines": list(self.error_lines), "cause": self.cause, "hint": self.hint,
            "timed_out": self.timed_out, "buildkit_note": self.buildkit_note, "builder": self.builder,
            "failed_line": self.failed_line,
            "steps": [step.to_dict() for step in self.steps],
        }


@dataclass
class LayerSummary:
    """One layer of the built image, from the engine's image history."""

    size_bytes: int
    """The layer's size in bytes: the sum of its files' sizes in the exported layer tar (``image.measure``)."""
    created_by: str
    """The instruction that made it (``RUN ...``, ``COPY ...``)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``image.layers`` entry."""
        return {"size_bytes": self.size_bytes, "created_by": self.created_by}


@dataclass
class ImageSummary:
    """The built image: its size in bytes, its layers, and how it compares with the reference and baseline."""

    size_bytes: int
    """Uncompressed size in bytes: the sum of the layers' file sizes (``measure``), the same on every image store."""
    layers: list[LayerSummary]
    """Every layer of the final image, base image's included, oldest first."""
    measure: str = "uncompressed size reported by the engine (classic image store): the sum of the image's layers"
    """Which size this is (compressed registry sizes are smaller and differ between engines)."""
    engine_size_bytes: int | None = None
    """The engine's own figure (``docker image inspect``'s ``Size``, what ``docker images`` shows): the
    same as ``size_bytes`` on the classic store; on the containerd store the stored content (layer blobs
    as kept: compressed for pulled images, tar headers included; newer engines add unpacked data)."""
    wasted_files: list[dict[str, Any]] = field(default_factory=list)
    """The largest files the learner's layers hide, largest first: ``path``, ``size_bytes``, ``added_by`` and
    ``removed_by`` (the instructions), ``added_by_layer`` and ``removed_by_layer`` (layer indexes, oldest 0)."""
    efficiency: float | None = None
    """dive's efficiency over the learner's layers (base excluded): bytes kept / bytes written, 0..1."""
    base_layers: int = 0
    """How many of the first layers are the final stage's base image's."""
    filesystem_bytes: int | None = None
    """Bytes of the final filesystem (``docker export``): what the container actually sees."""
    wasted_bytes: int | None = None
    """Bytes shipped in layers but hidden by later ones (the base image's own excluded)."""
    reference_size_bytes: int | None = None
    """Size in bytes of the exercise's reference solution, built on the same engine; None without one."""
    baseline_size_bytes: int | None = None
    """Size in bytes of the naive single-stage baseline, built on the same engine; None without one."""
    python: str | None = None
    """The runtime interpreter's version (``3.13.5``)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``image`` object."""
        return {
            "size_bytes": self.size_bytes, "measure": self.measure,
            "layers": [layer.to_dict() for layer in self.layers],
            "filesystem_bytes": self.filesystem_bytes, "wasted_bytes": self.wasted_bytes,
            "reference_size_bytes": self.reference_size_bytes, "baseline_size_bytes": self.baseline_size_bytes,
            "python": self.python, "engine_size_bytes": self.engine_size_bytes, "wasted_files": self.wasted_files,
            "efficiency": self.efficiency, "base_layers": self.base_layers,
        }


@dataclass
class BaseImageRef:
    """An external image a FROM line names, and what this engine has under that name."""

    ref: str
    """The image a FROM line names (after ARG substitution)."""
    standin: bool
    """True when this engine has a provisioned stand-in (not the official image) under that name."""
    available: bool = True
    """Whether the engine has it."""
    detail: str = ""
    """What the engine says it is."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``base_images`` entry."""
        return {"ref": self.ref, "standin": self.standin, "available": self.available, "detail": self.detail}


@dataclass
class Report:
    """The result of grading one Dockerfile against one rubric."""

    dockerfile: str
    """The Dockerfile graded, as given."""
    context: str
    """The build context folder, as given."""
    rubric: str
    """The rubric's title."""
    rubric_path: str
    """Where the rubric was read from."""
    score: float = 0.0
    """Points earned (0 when the Dockerfile does not parse or build)."""
    max_score: float = 0.0
    """Points available."""
    pass_score: float = 0.0
    """Points needed to pass (the rubric's pass mark)."""
    passed: bool = False
    """Score at or over the pass mark, every required check passed, and the image built."""
    status: str = "failed"
    """``passed``, ``failed`` (graded below the mark) or ``error`` (grading could not happen)."""
    error: str | None = None
    """When status is ``error``: the one sentence saying why grading could not happen."""
    verdict: str = ""
    """One sentence for the learner: the result and its main reason."""
    checks: list[CheckResult] = field(default_factory=list)
    """Every rubric line, in the rubric's order."""
    findings: list[Finding] = field(default_factory=list)
    """Everything the static checks said (course rules and hadolint), advice included."""
    build: BuildSummary | None = None
    """The learner's build; None when it never started (parse error, refused context)."""
    image: ImageSummary | None = None
    """The built image; None when the build failed."""
    base_images: list[BaseImageRef] = field(default_factory=list)
    """The external images the FROM lines name."""
    engine: dict[str, Any] = field(default_factory=dict)
    """The engine that built it (version, storage driver, builder)."""
    run_id: str = ""
    """Label value on everything this grading created (``org.lean-python-images.run``)."""
    seconds: float = 0.0
    """Wall-clock time of the whole grading, in seconds."""
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per phase (wall clock): lint, build, filesystem, runtime, health, cache, sizes, cleanup."""

    # -- views --------------------------------------------------------------------------------

    @property
    def exit_code(self) -> int:
        """0 passed, 1 graded below the mark (or did not parse/build), 2 grading could not happen."""
        if self.status == "error":
            return 2
        return 0 if self.passed else 1

    @property
    def failed_checks(self) -> list[CheckResult]:
        """The checks that did not pass, in the rubric's order."""
        return [check for check in self.checks if not check.passed]

    def check(self, check_id: str) -> CheckResult:
        """The check with id ``check_id``; raises :class:`KeyError` (naming the ids there are) when absent."""
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(f"no check {check_id!r} in this report; it has {[c.id for c in self.checks]}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (schema :data:`SCHEMA_VERSION`, documented in ``docs/checker.md``); seconds rounded to ms."""
        return {
            "schema_version": SCHEMA_VERSION,
            "score": self.score,
            "max_score": self.max_score,
            "pass_score": self.pass_score,
            "passed": self.passed,
            "status": self.status,
            "error": self.error,
            "verdict": self.verdict,
            "dockerfile": self.dockerfile,
            "context": self.context,
            "rubric": self.rubric,
            "rubric_path": self.rubric_path,
            "checks": [check.to_dict() for check in self.checks],
            "findings": [finding.to_dict() for finding in self.findings],
            "build": self.build.to_dict() if self.build else None,
            "image": self.image.to_dict() if self.image else None,
            "base_images": [base.to_dict() for base in self.base_images],
            "engine": self.engine,
            "run_id": self.run_id,
            "seconds": round(self.seconds, 3),
            "timings": {name: round(value, 3) for name, value in self.timings.items()},
        }

    def summary(self) -> str:
        """The plain-text view (:mod:`checker.reporters.text`); also ``str(report)``."""
        from .reporters import text

        return text.render(self)

    __str__ = summary

    def _repr_html_(self) -> str:
        from .reporters import html

        return html.render(self, link_base=notebook_link_base())


def notebook_link_base() -> str:
    """The way from the running notebook to the repository root, for links that start there.

    JupyterLab starts a kernel in its notebook's folder and resolves a link in its output from
    there: a lesson in ``notebooks/`` needs ``../``, an exercise in ``exercises/NN/`` ``../../``.
    """
    import os

    from .settings import REPO_ROOT

    try:
        relative = os.path.relpath(REPO_ROOT, os.getcwd())
    except ValueError:  # another drive (Windows): leave the links as they are
        return ""
    return "" if relative == "." else relative.replace(os.sep, "/") + "/"
