"""The grading report: one result object with several views.

:class:`Report` is what :func:`checker.grade` returns and what every reporter reads
(``checker/reporters/``: terminal, JSON, JUnit, GitHub Classroom, HTML, Markdown). ``to_dict()``
is the JSON schema documented in ``docs/checker.md``; ``summary()`` is plain text;
``_repr_html_()`` renders it in a notebook.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from .findings import Finding

#: Version of the JSON report's schema (``to_dict()``); it changes only when a field changes meaning or goes.
#: 2: a file-level finding's ``line`` is 1 with ``whole_file`` true (it was 0).
#: 3: ``max_score`` and ``pass_score`` are the judged ones: a check the grading machine could not judge
#: (``checks[].machine_fault``) is left out of both; ``rubric_max_score`` and ``not_judged_points`` added.
SCHEMA_VERSION = 3


#: How every instruction the course adds to a build starts (its labels, the ``labels`` of the engine's build
#: call, which the classic builder runs as a last ``LABEL`` step): never a line of the learner's Dockerfile.
COURSE_LABEL = "LABEL org.lean-python-images."


class _HasInstruction(Protocol):
    @property
    def instruction(self) -> str: ...


_Step = TypeVar("_Step", bound=_HasInstruction)


def counted_steps(steps: Iterable[_Step]) -> list[_Step]:
    """The one step count of the course: the Dockerfile's own cacheable steps, in order.

    ``steps`` are build steps of either type (:class:`checker.engine.BuildStep`, :class:`BuildStepSummary`):
    anything with an ``instruction``. ``FROM`` and ``ARG`` (which the layer cache never reports as reused) and
    the ``LABEL`` the course adds to tag its builds are left out, so "N of M steps from cache" means the same in
    the grader's report, the exercise panel, and the lessons' summary lines, step tables and charts.
    """
    return [step for step in steps
            if not step.instruction.upper().startswith(("FROM ", "ARG ")) and not step.instruction.startswith(COURSE_LABEL)]


def cache_summary(steps: Iterable[_HasInstruction]) -> str:
    """``"N of M steps from cache"`` over :func:`counted_steps` of ``steps`` (each with ``instruction`` and
    ``cached``)."""
    counted = counted_steps(steps)
    return f"{sum(bool(getattr(step, 'cached', False)) for step in counted)} of {len(counted)} steps from cache"


def builder_name(builder: str | None) -> str:
    """A builder's name in a sentence, as Docker's documentation writes it: ``BuildKit``, ``the classic builder``;
    any other value as it is (``""`` for None)."""
    return {"buildkit": "BuildKit", "classic": "the classic builder"}.get(builder or "", builder or "")


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
    """Whether the check holds. A check that could not run (no image) did not pass; a course rule read on the
    text keeps its own verdict when a later step failed (see ``not_judged``)."""
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
    not_judged: str | None = None
    """Why this check was not judged, when it was not: the build failed, an earlier step failed (the Dockerfile
    does not parse, the context was refused) or the engine could not measure (``the image's filesystem could not
    be read: ...``). Such a check earns 0 points and is shown as "not judged: <why>", neither a pass nor a
    failure; None when it was judged."""
    machine_fault: bool = False
    """True when ``not_judged`` is the grading machine's doing (the engine could not read the image, a probe or
    the checker failed): the check is left out of both the score and the maximum (``Report.max_score``), so it
    costs the learner nothing. False for a check the submission itself kept from being judged."""

    @property
    def advice(self) -> bool:
        """A 0-point check that is not required: shown as advice, never a deduction."""
        return self.max_points == 0 and not self.required

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``checks`` entry: every field by name."""
        return {
            "id": self.id, "title": self.title, "kind": self.kind, "passed": self.passed,
            "points": self.points, "max_points": self.max_points, "message": self.message,
            "hint": self.hint, "why": self.why, "lesson": self.lesson, "required": self.required,
            "details": self.details, "not_judged": self.not_judged, "machine_fault": self.machine_fault,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """The inverse of :meth:`to_dict` (a ``checks`` entry of the JSON report); unknown keys are ignored.

        Raises :class:`KeyError` when ``id`` is missing.
        """
        return cls(
            id=str(data["id"]), title=str(data.get("title") or ""), kind=str(data.get("kind") or ""),
            passed=bool(data.get("passed")), points=float(data.get("points") or 0),
            max_points=float(data.get("max_points") or 0), message=str(data.get("message") or ""),
            hint=str(data.get("hint") or ""), why=str(data.get("why") or ""), lesson=str(data.get("lesson") or ""),
            required=bool(data.get("required")), details=dict(data.get("details") or {}),
            not_judged=data.get("not_judged"), machine_fault=bool(data.get("machine_fault")),
        )


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildStepSummary:
        """The inverse of :meth:`to_dict`; missing keys take empty values."""
        return cls(int(data.get("number") or 0), str(data.get("instruction") or ""), bool(data.get("cached")),
                   float(data.get("seconds") or 0))


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
    """The instruction that failed (or was running at the deadline). A heredoc step is quoted as the
    Dockerfile writes it, its lines separated by newlines (BuildKit itself names it ``RUN <<EOF (set -e...)``)."""
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
    ``apt_package``, ``no_gcc``, ``build_checks`` or ``network`` (the grading machine's); None when none is recognised."""
    hint: str | None = None
    """How to fix that cause, in a sentence or two; None without a cause."""
    timed_out: bool = False
    """The build hit its wall-clock deadline and was cancelled."""
    buildkit_note: str | None = None
    """When the Dockerfile uses BuildKit-only syntax: which lines, and that this engine cannot run them."""
    steps: list[BuildStepSummary] = field(default_factory=list)
    """Every step the engine started, in order."""
    frontend_note: str | None = None
    """When the grader set the file's ``# syntax=`` directive aside (its frontend image could not be fetched
    here) and the engine's built-in Dockerfile frontend read the file: which directive, and why; else None."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``build`` object; seconds rounded to milliseconds."""
        return {
            "ok": self.ok, "seconds": round(self.seconds, 3), "error": self.error, "failed_step": self.failed_step,
            "log_tail": self.log_tail, "error_lines": list(self.error_lines), "cause": self.cause, "hint": self.hint,
            "timed_out": self.timed_out, "buildkit_note": self.buildkit_note, "builder": self.builder,
            "failed_line": self.failed_line,
            "steps": [step.to_dict() for step in self.steps],
            # the one "K of N steps from cache" of every view (counted_steps), so a script need not redo it
            "steps_counted": len(counted_steps(self.steps)),
            "steps_from_cache": sum(step.cached for step in counted_steps(self.steps)),
            "frontend_note": self.frontend_note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildSummary:
        """The inverse of :meth:`to_dict`; missing keys take their defaults."""
        return cls(
            ok=bool(data.get("ok")), seconds=float(data.get("seconds") or 0), error=data.get("error"),
            failed_step=data.get("failed_step"), log_tail=str(data.get("log_tail") or ""),
            error_lines=list(data.get("error_lines") or []), cause=data.get("cause"), hint=data.get("hint"),
            timed_out=bool(data.get("timed_out")), buildkit_note=data.get("buildkit_note"),
            builder=str(data.get("builder") or "classic"),
            failed_line=int(data["failed_line"]) if data.get("failed_line") else None,
            steps=[BuildStepSummary.from_dict(step) for step in data.get("steps") or []],
            frontend_note=data.get("frontend_note"),
        )


@dataclass
class LayerSummary:
    """One layer of the built image, from the engine's image history."""

    size_bytes: int
    """The layer's size in bytes: the sum of its files' sizes in the exported layer tar (``image.measure``)."""
    created_by: str
    """The instruction that made it as the engine's history records it (``RUN ...``, ``COPY dir:4f1c... in .``)."""
    instruction: str | None = None
    """The line of the learner's Dockerfile that made it (``COPY . .``, continuations joined, spaces collapsed);
    None for the base image's layers and for a layer no line of the final stage's lineage explains."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``image.layers`` entry."""
        return {"size_bytes": self.size_bytes, "created_by": self.created_by, "instruction": self.instruction}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayerSummary:
        """The inverse of :meth:`to_dict`."""
        return cls(int(data.get("size_bytes") or 0), str(data.get("created_by") or ""),
                   str(data["instruction"]) if data.get("instruction") else None)


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
    base_image: str | None = None
    """The base image those first layers are (the final stage's FROM chain's root, ``python:3.13-slim``);
    None when no layer is the base image's."""
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
            "efficiency": self.efficiency, "base_layers": self.base_layers, "base_image": self.base_image,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageSummary:
        """The inverse of :meth:`to_dict`; keys it does not know are ignored, missing ones take their defaults."""
        known = {name: data[name] for name in cls.__dataclass_fields__
                 if name in data and name not in {"size_bytes", "layers"}}
        return cls(size_bytes=int(data.get("size_bytes") or 0),
                   layers=[LayerSummary.from_dict(layer) for layer in data.get("layers") or []], **known)


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaseImageRef:
        """The inverse of :meth:`to_dict`."""
        return cls(str(data.get("ref") or ""), bool(data.get("standin")), bool(data.get("available", True)),
                   str(data.get("detail") or ""))


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
    """Points available: the rubric's, less the points of checks the grading machine could not judge
    (:attr:`CheckResult.machine_fault`; :attr:`not_judged_points`)."""
    pass_score: float = 0.0
    """Points needed to pass: the rubric's pass mark, scaled to :attr:`max_score` when checks were left out
    (pass mark 70 of 100 with 20 points not judged: 56 of 80)."""
    not_judged_points: float = 0.0
    """Points of the checks left out because the grading machine could not judge them (0 when none was)."""
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
        """The judged checks that did not pass (advice included), in the rubric's order, ``builds`` first."""
        failed = [check for check in self.checks if not check.passed and check.not_judged is None]
        return sorted(failed, key=lambda check: check.id != "builds")

    @property
    def to_fix(self) -> list[CheckResult]:
        """What to fix: :attr:`failed_checks` that cost points or are required (advice left out), ``builds`` first."""
        return [check for check in self.failed_checks if not check.advice]

    @property
    def unjudged_checks(self) -> list[CheckResult]:
        """The checks that were not judged (:attr:`CheckResult.not_judged`), in the rubric's order."""
        return [check for check in self.checks if check.not_judged is not None]

    @property
    def rubric_max_score(self) -> float:
        """The rubric's own maximum: :attr:`max_score` plus the points the grading machine could not judge."""
        return self.max_score + self.not_judged_points

    @property
    def machine_unjudged(self) -> list[CheckResult]:
        """The checks left out of the score and the maximum because the grading machine could not judge them."""
        return [check for check in self.checks if check.machine_fault]

    def score_line(self) -> str:
        """``Score 40/80 (pass mark 56)``, plus ``; 20 points not judged: <why>`` when the machine left checks out."""
        def number(value: float) -> str:
            return f"{value:g}"

        line = f"Score {number(self.score)}/{number(self.max_score)} (pass mark {number(self.pass_score)})"
        if self.not_judged_points:
            reasons = list(dict.fromkeys(check.not_judged or "" for check in self.machine_unjudged))
            line += (f"; {number(self.not_judged_points)} points not judged: {'; '.join(reasons)} "
                     f"(left out of the maximum, the rubric's {number(self.rubric_max_score)})")
        return line

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
            "rubric_max_score": self.rubric_max_score,
            "not_judged_points": self.not_judged_points,
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """A report read back from its JSON view (:meth:`to_dict`), so a stored report renders through the same
        reporters (the class gradebook's pages, for one). Keys it does not know are ignored (a newer schema adds
        some); missing ones take their defaults. Raises :class:`KeyError` for a check without an ``id``."""
        from .findings import Finding

        build, image = data.get("build"), data.get("image")
        return cls(
            dockerfile=str(data.get("dockerfile") or ""), context=str(data.get("context") or ""),
            rubric=str(data.get("rubric") or ""), rubric_path=str(data.get("rubric_path") or ""),
            score=float(data.get("score") or 0), max_score=float(data.get("max_score") or 0),
            pass_score=float(data.get("pass_score") or 0), passed=bool(data.get("passed")),
            not_judged_points=float(data.get("not_judged_points") or 0),
            status=str(data.get("status") or ("passed" if data.get("passed") else "failed")),
            error=data.get("error"), verdict=str(data.get("verdict") or ""),
            checks=[CheckResult.from_dict(check) for check in data.get("checks") or []],
            findings=[Finding.from_dict(finding) for finding in data.get("findings") or []],
            build=BuildSummary.from_dict(build) if build else None,
            image=ImageSummary.from_dict(image) if image else None,
            base_images=[BaseImageRef.from_dict(base) for base in data.get("base_images") or []],
            engine=dict(data.get("engine") or {}), run_id=str(data.get("run_id") or ""),
            seconds=float(data.get("seconds") or 0), timings=dict(data.get("timings") or {}),
        )

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
