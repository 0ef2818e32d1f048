"""JUnit XML: one testsuite, one testcase per rubric check, for CI dashboards.

Messages can hold anything a build printed; ANSI colour codes and characters XML 1.0 forbids
are removed before ElementTree escapes the rest.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from . import clean as clean_text
from . import mark, points, result_text, unscored_findings

_INVALID_XML_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text) -> str:
    """Text safe inside XML: ANSI escapes and XML-invalid characters removed."""
    return _INVALID_XML_RE.sub("", clean_text(text))


def render(report) -> str:
    """A JUnit XML document: one ``testsuite`` (score properties), one ``testcase`` per check, and one
    failed ``testcase`` per error or warning finding that no rubric check scores (counted in ``tests`` and
    ``failures``: 0 points, but never hidden).

    A failed check carries a ``failure`` with why and how to fix; a check that was not judged a
    ``skipped`` ("not judged: <why>"); a 0-point advice check only its ``system-out``. A report whose
    status is ``error`` adds a ``grading`` testcase with an ``error``.
    """
    unscored = unscored_findings(report) if report.status != "error" else []
    suite = ET.Element("testsuite", {
        "name": clean(f"lean-python-images: {report.rubric or 'grading'}"),
        "tests": str((len(report.checks) + len(unscored)) or 1),
        "failures": str(len(report.to_fix) + len(unscored)),
        "errors": "1" if report.status == "error" else "0",
        "skipped": str(len(report.unjudged_checks)),
        "time": f"{report.seconds:.3f}",
    })
    props = ET.SubElement(suite, "properties")
    for name, value in (("score", points(report.score)), ("max_score", points(report.max_score)),
                        ("pass_score", points(report.pass_score)), ("passed", str(report.passed).lower()),
                        ("dockerfile", report.dockerfile), ("run_id", report.run_id)):
        ET.SubElement(props, "property", {"name": name, "value": clean(value)})
    if report.status == "error":
        case = ET.SubElement(suite, "testcase", {"classname": "lean-python-images", "name": "grading"})
        error = ET.SubElement(case, "error", {"message": clean(report.error)})
        error.text = clean(report.error)
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"lean-python-images.{check.kind}",
            "name": clean(f"{check.id}: {check.title} ({points(check.points)}/{points(check.max_points)})"),
        })
        state = mark(check)
        if state == "not judged":
            ET.SubElement(case, "skipped", {"message": clean(result_text(check))})
        elif state == "advice":
            out = ET.SubElement(case, "system-out")
            out.text = clean(f"Advice, no points: {check.message}" + ("" if check.passed else f" How to fix: {check.hint}"))
        elif not check.passed:
            failure = ET.SubElement(case, "failure", {"message": clean(check.message), "type": check.id})
            body = [check.message, f"Why it matters: {check.why}" if check.why else "", f"How to fix: {check.hint}",
                    f"Lesson: {check.lesson}" if check.lesson else ""]
            if check.id == "builds" and report.build is not None:
                if report.build.error_lines:
                    body.append("The lines that explain it:\n" + "\n".join(report.build.error_lines))
                if report.build.log_tail:
                    body.append("Last lines of the failing step:\n" + report.build.log_tail)
            failure.text = clean("\n".join(part for part in body if part))
        else:
            out = ET.SubElement(case, "system-out")
            out.text = clean(check.message)
    for finding in unscored:  # an error no rubric check scores is still a failure a dashboard must count
        case = ET.SubElement(suite, "testcase", {
            "classname": f"lean-python-images.finding.{finding.source}",
            "name": clean(f"{finding.rule}: line {finding.shown_line} ({finding.severity}, not scored by this rubric)"),
        })
        failure = ET.SubElement(case, "failure", {"message": clean(finding.shown_message), "type": finding.rule})
        failure.text = clean("\n".join(part for part in (finding.shown_message, f"How to fix: {finding.hint}" if finding.hint else "") if part))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
