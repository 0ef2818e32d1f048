"""Your turn: each lesson's small Dockerfile that the learner edits, builds and has commented on.

Each lesson 1-8 ends with a code cell holding a Dockerfile as a string, written with that lesson's
fault in it (a single stage on the full image, a runtime stage without ``libpq5``...), and one call,
``lesson.your_turn(text, lesson=N)``, that builds it with the lessons' own helper (tag
``lpi-lesson/your-turn-NN``, kept and cleaned like every lesson image) and comments on it from
measurements: its size against the lesson's best image, and whether the one or two course checks
that matter for the lesson still find the fault. The comment changes when the learner fixes it.

Nothing here judges a Dockerfile on its own: the static findings are the grader's pure lint
(:func:`checker.lint.lint`, course rules only), the sizes are :attr:`LessonImage.size_bytes` (the
grader's measure), and a lesson whose fault only shows at run time (lesson 2's forgotten ``libpq5``,
lesson 8's shell) runs one command in the image, as the lesson itself does. :func:`review` turns
those facts into the comment and is pure; :func:`your_turn` gathers the facts on the engine.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .. import engine
from .. import settings as course_settings
from ..lint import LintResult, lint
from . import cli
from .builds import LessonImage, build, build_variant
from .table import human_bytes

__all__ = ["BUILD_BREAKERS", "FAULTS", "NAME_PREFIX", "Fault", "Review", "YourTurn", "review", "your_turn"]

#: The variant name of every "your turn" build (``your-turn-01`` ...): the learner's images, not the lessons'.
NAME_PREFIX = "your-turn-"
#: Course rules whose findings foresee a failed build (a COPY --from of no stage, a COPY of what .dockerignore
#: hides, gcc without the C headers): named when a "your turn" build fails.
BUILD_BREAKERS = ("LPI016", "LPI018", "LPI020")
_MARKUP = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`")


@dataclass(frozen=True)
class Fault:
    """What one lesson's "your turn" Dockerfile gets wrong, and how the course notices."""

    lesson: int
    """The lesson number, 1 to 8."""
    fault: str
    """The fault in a few words, completing "this still has the fault: ..."."""
    fix: str
    """Where to look for the fix, without giving the edit away (the lesson's section)."""
    rules: tuple[str, ...]
    """Course rules (``LPI0NN``) that flag the fault; the fault is gone when all of them pass."""
    reference: str
    """The lesson variant (see :mod:`checker.lesson.variants`) whose size the learner's image is held against."""
    probe: tuple[str, ...] = ()
    """A command run in the built image (no shell needed) whose success or failure shows the fault; empty: none."""
    probe_passes_when_fixed: bool = True
    """True: the fault is gone when the probe exits 0 (an import works); False: when it cannot run (no shell)."""
    probe_says: str = ""
    """What the probe shows when the fault is still there, completing "measured: ..."."""


FAULTS: dict[int, Fault] = {f.lesson: f for f in (
    Fault(1, "one stage on the full python image, with recommended packages",
          "start from the slim image and install without recommended packages; gcc then needs the C library headers "
          "named too, libc6-dev (sections \"Recommended packages\" and \"Why size matters\"; lesson 7 shows that trap)",
          ("LPI010", "LPI008"), "full-single"),
    Fault(2, "the runtime stage does not install the run-time library psycopg2 links against",
          "install it in the runtime stage, the run-time half only (section \"What if the runtime stage forgets libpq5?\")",
          ("LPI003",), "multi-stage", probe=("python", "-c", "import psycopg2"),
          probe_says="`import psycopg2` fails in the image"),
    Fault(3, "the runtime stage copies the builder's whole /usr/local, Python included",
          "give the packages a directory of their own and copy only that (section \"Three ways to carry the packages "
          "across\")", ("LPI004",), "multi-stage"),
    Fault(4, "the stage that ships starts from the full python image",
          "choose the base of the stage that ships (sections \"Two C libraries\" and \"The article's table, measured\")",
          ("LPI010",), "multi-stage", probe=("python", "-c", "import psycopg2"),
          probe_says="`import psycopg2` fails in the image: the venv was compiled against the builder's C library"),
    Fault(5, "the source is copied before the dependencies are installed, so any edit reinstalls them",
          "order the builder's steps from least to most often changed (section \"The rule\")", ("LPI005",), "multi-stage"),
    Fault(6, "the container runs as root, and CMD is in shell form",
          "add a system user with a fixed uid and switch to it by number; write CMD as a JSON list (sections "
          "\"Don't run as root\" and \"Start the app with an exec-form CMD\")", ("LPI012", "LPI011"), "production"),
    Fault(7, "the runtime stage installs libpq5 with its recommended packages, and the venv it copies carries pip",
          "ask apt for exactly the package you name, and create the venv without pip, filling it from outside "
          "(sections \"`--no-install-recommends`, and its trap\" and \"No pip at run time\")", ("LPI008",), "production",
          probe=("python", "-c", "import pip"), probe_passes_when_fixed=False,
          probe_says="`import pip` still works in the image"),
    Fault(8, "the stage that ships is the stage that assembled the files: its compiler and shell ship too",
          "make the stage that ships start from nothing and receive only the assembled tree (section \"Predict, then build\")",
          ("LPI002",), "bone", probe=("/bin/sh", "-c", "true"), probe_passes_when_fixed=False,
          probe_says="a shell still runs in the image"),
)}


@dataclass(frozen=True)
class Review:
    """The comment on one "your turn" Dockerfile: the facts it rests on and the sentences shown."""

    lesson: int
    """The lesson number."""
    fixed: bool
    """True when the image built, every rule of the lesson's fault passes and the probe (if any) agrees."""
    lines: tuple[str, ...]
    """The comment, one Markdown sentence per line; the first says whether the fault is still there."""

    def __str__(self) -> str:
        return "\n".join(self.lines)


def _lesson_fault(lesson: int) -> Fault:
    try:
        return FAULTS[lesson]
    except KeyError:
        raise KeyError(f"no 'your turn' for lesson {lesson!r}; lessons with one: "
                       f"{', '.join(map(str, FAULTS))}") from None


def review(lesson: int, findings: LintResult, *, built: bool, build_error: str = "", size_bytes: int | None = None,
           reference_label: str = "", reference_bytes: int | None = None, probe_ok: bool | None = None,
           builder: str = "classic") -> Review:
    """Comment on a "your turn" Dockerfile of ``lesson`` from facts already measured (pure: no engine).

    ``findings`` is the grader's lint of the text (course rules); ``built`` whether the image built
    (``build_error``: the engine's last words when not); ``size_bytes`` and ``reference_bytes`` the
    uncompressed sizes in bytes of the learner's image and of the lesson's best image (``reference_label``);
    ``probe_ok`` whether the lesson's probe command exited 0 (None: no probe ran); ``builder`` the
    builder that ran the build (``"classic"`` or ``"buildkit"``, as the build result says).
    Raises ``KeyError`` for a lesson without a "your turn".
    """
    spec = _lesson_fault(lesson)
    if findings.parse_error is not None:
        return Review(lesson, False, (f"**This Dockerfile does not parse**: {findings.parse_error.message} "
                                      "Nothing was built; correct it and run the cell again.",))
    flagged = [finding for rule in spec.rules if rule in findings.rule_results
               for finding in findings.rule_results[rule].findings if finding.severity in ("error", "warning")]
    probe_shows_fault = probe_ok is not None and probe_ok != spec.probe_passes_when_fixed
    fixed = built and not flagged and not probe_shows_fault
    lines: list[str] = []
    if not built:
        lines.append(f"**The build failed**, so nothing could be measured: {build_error.strip() or 'see the log above'}")
        if builder == "classic":
            lines.extend(f"Line {line} needs BuildKit ({feature}); this build ran on the classic builder."
                         for line, feature in findings.buildkit_lines)
    elif fixed:
        lines.append(f"**Fixed**: the course checks no longer find the fault ({spec.fault}).")
    else:
        lines.append(f"**This still has the fault**: {spec.fault}.")
    if not built:  # what the rules that foresee a failed build found is its likely cause
        flagged += [finding for rule in BUILD_BREAKERS if rule in findings.rule_results and rule not in spec.rules
                    for finding in findings.rule_results[rule].findings if finding.severity in ("error", "warning")]
    for finding in flagged:
        lines.append(f"{finding.rule} (line {finding.shown_line}): {finding.shown_message}")
    if built and probe_ok is not None:
        lines.append(f"Measured: {spec.probe_says}." if probe_shows_fault
                     else f"Measured: `{' '.join(spec.probe[:2])} ...` {'works' if probe_ok else 'cannot run'} in the image.")
    if built and size_bytes is not None and reference_bytes:
        ratio = size_bytes / reference_bytes
        lines.append(f"Size: {human_bytes(size_bytes)}, {ratio:.0%} of the lesson's {reference_label} "
                     f"({human_bytes(reference_bytes)}).")
    if not fixed and built:
        lines.append(f"Hint: {spec.fix}.")
    return Review(lesson, fixed, tuple(lines))


@dataclass
class YourTurn:
    """One "your turn" build and its comment; shows itself as the comment in a notebook."""

    review: Review
    """The comment and whether the fault is fixed."""
    findings: LintResult
    """The grader's lint of the text (course rules only)."""
    image: LessonImage | None
    """The build (``.ok`` False when it failed); None when the text did not parse."""
    reference: LessonImage | None = field(default=None, repr=False)
    """The lesson's best image it was measured against."""

    @property
    def fixed(self) -> bool:
        """True when the course checks no longer find the lesson's fault."""
        return self.review.fixed

    def _repr_html_(self) -> str:
        def markup(found: re.Match[str]) -> str:
            bold, code = found.groups()
            return f"<b>{bold}</b>" if bold is not None else f"<code>{code}</code>"
        return "".join(f"<p>{_MARKUP.sub(markup, html.escape(line, quote=False))}</p>" for line in self.review.lines)

    def __str__(self) -> str:
        return str(self.review)


def your_turn(dockerfile: str, *, lesson: int, show: bool = True,
              settings: course_settings.Settings | None = None) -> YourTurn:
    """Build the learner's ``dockerfile`` text for ``lesson`` and comment on it from measurements.

    Tagged ``lpi-lesson/your-turn-NN`` (NN: the lesson, two digits) and kept like every lesson image
    (``python -m checker clean`` removes it); built from the sample app, with the lessons' builder.
    The lesson's best image is built too (from cache when the lesson built it). A build that fails
    is a comment, not an exception; raises ``KeyError`` for a lesson without a "your turn" and
    :class:`checker.engine.EngineError` only for engine trouble.
    """
    spec = _lesson_fault(lesson)
    settings = settings or course_settings.load()
    findings = lint(dockerfile, with_hadolint=False, build_args=settings.build_args)
    if findings.parse_error is not None:
        return YourTurn(review(lesson, findings, built=False), findings, None)
    name = f"{NAME_PREFIX}{lesson:02d}"
    image = build(name, dockerfile, label=f"your turn, lesson {lesson}", show=show, settings=settings)
    reference = build_variant(spec.reference, show=False, settings=settings)
    probe_ok = None
    if image.ok and spec.probe:
        if show:
            cli.display_command(cli.docker_run(image.tag or "", list(spec.probe)))
        probe_ok = engine.run(image.tag or "", list(spec.probe), timeout_s=60, settings=settings).ok
    error_lines = (image.result.error or "").strip().splitlines()
    result = review(lesson, findings, built=image.ok, build_error=error_lines[-1] if error_lines else "",
                    size_bytes=image.size_bytes if image.ok else None,
                    reference_label=f"`{reference.tag}`" if reference.ok else "", probe_ok=probe_ok,
                    reference_bytes=reference.size_bytes if reference.ok else None, builder=image.result.builder)
    return YourTurn(result, findings, image, reference)
