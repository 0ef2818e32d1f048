"""GitHub Classroom autograding: the base64 JSON that ``autograding-grading-reporter`` reads.

The reporter decodes ``<RUNNER>_RESULTS`` from base64, shows each test's ``status`` and
``message``, and reports the sum of the tests' ``score`` over the top-level ``max_score`` to
Classroom. So: one test per rubric check, scored with the points it earned.
"""

from __future__ import annotations

import base64
import json

from . import unscored_findings

STATUS = {"passed": "pass", "failed": "fail", "error": "error"}


def payload(report) -> dict:
    """The autograding reporter's JSON object for ``report``: version, status, max_score, one test per check,
    and one failed 0-point test per error or warning finding no rubric check scores (shown, never scored).

    A report whose status is ``error`` gives a single ``grading`` test with the error as its message.
    """
    tests = [
        {
            "name": f"{check.id}: {check.title}",
            "status": "pass" if check.passed else "fail",
            "score": check.points,
            "max_score": check.max_points,
            "message": check.message if check.passed else f"{check.message} How to fix: {check.hint}",
            "line_no": 0,
            "test_code": check.lesson or check.id,
        }
        for check in report.checks
    ]
    tests += [
        {
            "name": f"{finding.rule}: line {finding.line} ({finding.severity}, not scored by this rubric)",
            "status": "fail",
            "score": 0,
            "max_score": 0,
            "message": finding.message + (f" How to fix: {finding.hint}" if finding.hint else ""),
            "line_no": finding.line,
            "test_code": finding.rule,
        }
        for finding in unscored_findings(report)
    ]
    if report.status == "error":
        tests = [{"name": "grading", "status": "error", "score": 0, "max_score": report.max_score,
                  "message": report.error or "grading could not happen", "line_no": 0, "test_code": ""}]
    return {"version": 1, "status": STATUS.get(report.status, "fail"), "max_score": report.max_score, "tests": tests}


def render(report) -> str:
    """:func:`payload` as compact UTF-8 JSON, base64-encoded (ASCII text)."""
    data = json.dumps(payload(report), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(data).decode("ascii")
