"""The gradebook of a class: one :class:`StudentResult` per student, as CSV, JSON and Markdown.

:func:`checker.classroom.grade_class` fills it; a student's result is read from the grader's
JSON report (:meth:`checker.report.Report.to_dict`) with :meth:`StudentResult.from_report`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field


@dataclass
class StudentResult:
    """One student's line in the gradebook, and the report behind it."""

    student: str
    """The submission folder's name."""
    status: str
    """``graded`` (the rubric ran: see ``passed``), ``no-dockerfile``, ``timed-out``, ``grader-error``."""
    score: float = 0.0
    """Points earned."""
    max_score: float = 0.0
    """Points available in the rubric."""
    passed: bool = False
    """True when the score reaches the rubric's pass mark."""
    failed_checks: list[str] = field(default_factory=list)
    """Ids of the judged checks that failed, in rubric order (a check not judged, after a failed build, is not one)."""
    image_size_bytes: int | None = None
    """Size of the built image; None when nothing was built."""
    build_seconds: float | None = None
    """Wall time of the build, as the grader measured it."""
    grade_seconds: float = 0.0
    """Wall time of the whole grading of this submission (build, run, probes, clean-up)."""
    key: str = ""
    """The cache key (see :func:`checker.classroom.submission_hash`)."""
    message: str = ""
    """One sentence for the student when the rubric could not run (why not, what to do)."""
    from_cache: bool = False
    """True when this result was reused from an earlier run (same key): nothing was rebuilt."""
    same_as: str = ""
    """When reused from another student's identical submission: that student (their grading, their
    report's ``run_id``); ``""`` when this student's own files were graded."""
    report: dict | None = None
    """The grader's full report (its JSON view), when it produced one."""

    def to_dict(self) -> dict:
        """Every field, as stored in ``results/STUDENT.json`` and the result cache."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "StudentResult":
        """The inverse of :meth:`to_dict` (unknown keys are ignored)."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    @classmethod
    def from_report(cls, student: str, report: dict, *, key: str, grade_seconds: float) -> "StudentResult":
        """A graded student's line from the grader's JSON report (:meth:`checker.report.Report.to_dict`).

        A report whose status is ``error`` (grading could not happen) becomes ``grader-error``
        with the report's one sentence as the message.
        """
        image, build = report.get("image") or {}, report.get("build") or {}
        error = report.get("status") == "error"
        return cls(
            student, "grader-error" if error else "graded",
            score=float(report.get("score") or 0), max_score=float(report.get("max_score") or 0),
            passed=bool(report.get("passed")),
            failed_checks=[str(check["id"]) for check in report.get("checks") or []
                           if not check.get("passed") and not check.get("not_judged")],
            image_size_bytes=image.get("size_bytes") or None,
            build_seconds=build.get("seconds"),
            grade_seconds=grade_seconds, key=key,
            message=str(report.get("error") or "The grader could not grade this submission.") if error else "",
            report=report,
        )

    def row(self) -> dict[str, object]:
        """The gradebook's columns (:data:`GRADEBOOK_COLUMNS`), formatted for a spreadsheet."""
        return {
            "student": self.student,
            "status": self.status,
            "score": number(self.score),
            "max": number(self.max_score),
            "passed": "yes" if self.passed else "no",
            "failed_checks": " ".join(self.failed_checks),
            "image_size_mb": f"{self.image_size_bytes / 1e6:.1f}" if self.image_size_bytes else "",
            "build_seconds": f"{self.build_seconds:.1f}" if self.build_seconds is not None else "",
            "from_cache": "yes" if self.from_cache else "no",
        }

    def markdown(self, exercise: str, link_base: str = "") -> str:
        """The student's report page (``reports/STUDENT.md``): a title, then the grade as the Markdown reporter
        renders it (:mod:`checker.reporters.markdown`, one home for a grade in Markdown), read back from the stored
        report with :meth:`checker.report.Report.from_dict`. Without a report that can be read back: the score
        line and the failed checks' ids; not graded: why not. ``link_base`` leads from the page's folder to the
        repository, for the lesson links (:func:`checker.reporters.markdown.render`)."""
        from .report import Report
        from .reporters import markdown

        lines = [f"# {exercise}: {self.student}", ""]
        if self.same_as:
            lines += [f"*The same files as {self.same_as}'s submission: this is that grading.*", ""]
        if self.status != "graded":
            lines.append(f"**Not graded: {self.status}.** {self.message}")
            return "\n".join(lines) + "\n"
        try:
            report = Report.from_dict(self.report) if self.report else None
        except (KeyError, TypeError, ValueError, AttributeError):
            report = None  # a report of an older or broken grader: the gradebook's own line below
        if report is not None:
            return "\n".join(lines) + "\n" + markdown.render(report, link_base=link_base)
        verdict = "passed" if self.passed else "not passed"
        lines.append(f"**Score: {number(self.score)} / {number(self.max_score)} ({verdict})**")
        if self.failed_checks:
            lines += ["", "Failed checks: " + ", ".join(f"`{c}`" for c in self.failed_checks)]
        return "\n".join(lines) + "\n"


def number(value: float | int | None) -> str:
    """A score for people: ``6`` for 6.0, ``6.25`` otherwise; empty for None."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


GRADEBOOK_COLUMNS = ("student", "status", "score", "max", "passed", "failed_checks", "image_size_mb",
                     "build_seconds", "from_cache")


def gradebook_csv(results: Iterable[StudentResult]) -> str:
    """The gradebook: a CSV header and one row per student, sorted by name."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=GRADEBOOK_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in sorted(results, key=lambda r: r.student):
        writer.writerow(result.row())
    return buffer.getvalue()
