"""GitHub Classroom autograding: the base64 JSON that ``autograding-grading-reporter`` reads.

The reporter decodes ``<RUNNER>_RESULTS`` from base64, shows each test's ``status`` and
``message``, and reports the sum of the tests' ``score`` over the top-level ``max_score`` to
Classroom. So: one test per rubric check, scored with the points it earned.
"""

from __future__ import annotations

import base64
import json

from . import mark, result_text, unscored_findings

STATUS = {"passed": "pass", "failed": "fail", "error": "error"}


def payload(report) -> dict:
    """The autograding reporter's JSON object for ``report``: version, status, max_score, one test per check
    (a check not judged is a 0-point ``fail`` whose message starts "Not judged:"),
    and one failed 0-point test per error or warning finding no rubric check scores (shown, never scored).

    A report whose status is ``error`` gives a single ``grading`` test with the error as its message.
    """
    tests = [
        {
            "name": f"{check.id}: {check.title}",
            "status": "pass" if check.passed and check.not_judged is None else "fail",
            "score": check.points,
            "max_score": 0 if check.machine_fault else check.max_points,  # left out of the maximum
            "message": _message(check),
            "line_no": 0,
            "test_code": check.lesson or check.id,
        }
        for check in report.checks
    ]
    tests += [
        {
            "name": f"{finding.rule}: line {finding.shown_line} ({finding.severity}, not scored by this rubric)",
            "status": "fail",
            "score": 0,
            "max_score": 0,
            "message": finding.shown_message + (f" How to fix: {finding.hint}" if finding.hint else ""),
            "line_no": finding.shown_line,
            "test_code": finding.rule,
        }
        for finding in unscored_findings(report)
    ]
    if report.status == "error":
        tests = [{"name": "grading", "status": "error", "score": 0, "max_score": report.max_score,
                  "message": report.error or "grading could not happen", "line_no": 0, "test_code": ""}]
    return {"version": 1, "status": STATUS.get(report.status, "fail"), "max_score": report.max_score, "tests": tests}


def _message(check) -> str:
    """A check's test message: "Not judged: <why>.", "Advice, no points: ..." or the message (with the fix when it failed)."""
    state = mark(check)
    if state == "not judged":
        said = result_text(check)
        return said[0].upper() + said[1:] + ("" if said.endswith(".") else ".")
    prefix = "Advice, no points: " if state == "advice" else ""
    return prefix + (check.message if check.passed else f"{check.message} How to fix: {check.hint}")


def render(report) -> str:
    """:func:`payload` as compact UTF-8 JSON, base64-encoded (ASCII text)."""
    data = json.dumps(payload(report), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(data).decode("ascii")
