"""One located view of a result, read by the editor and CI formats (``gnu``, ``github``, ``sarif``).

A lint result (:class:`checker.lint.LintResult`) and a grading report (:class:`checker.report.Report`)
both become a list of :class:`Located`: a file, a 1-based line and column, a severity, a rule id
and a message. Tools that read these formats want a real line, so a finding about the whole file
or the build context (line 0 in our results) is placed on line 1 with ``whole_file`` set and a
note in its message; a grading check judged on the built image (``health``, ``image_size``...)
is such a whole-file finding too.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any

from ..findings import WHOLE_FILE_NOTE
from . import clean

__all__ = ["WHOLE_FILE_NOTE", "Located", "located", "tool_version"]


@dataclass(frozen=True)
class Located:
    """One finding where an editor or a CI annotation can show it."""

    path: str
    """The Dockerfile, as given on the command line (relative paths stay relative)."""
    line: int
    """1-based line; 1 for a whole-file finding."""
    column: int
    """1-based column; our rules judge whole instructions, so always 1."""
    severity: str
    """``error``, ``warning``, ``info`` or ``style`` (the course's severities)."""
    rule: str
    """``LPI012``, ``DL3008``, or a grading check id (``health``)."""
    message: str
    """What is wrong, with the note when the finding is about the whole file; one line."""
    hint: str | None = None
    """How to fix it, or a link to read; None when the message says it all."""
    whole_file: bool = False
    """The finding is about the whole file or context, not ``line`` itself."""
    source: str = "course"
    """``course``, ``hadolint`` or ``grading`` (a check on the built image)."""


def tool_version() -> str:
    """The installed ``lean-python-images`` version (``0.1.0``), or ``unknown`` when it is not installed."""
    try:
        return metadata.version("lean-python-images")
    except metadata.PackageNotFoundError:
        return "unknown"


def _one_line(text: str) -> str:
    """``text`` cleaned of control characters with its lines joined by spaces."""
    return " ".join(clean(text).split())


def _finding(path: str, finding: Any) -> Located:
    """A :class:`checker.findings.Finding` of ``path`` as a :class:`Located`."""
    return Located(path, finding.shown_line, 1, finding.severity, finding.rule, _one_line(finding.shown_message),
                   finding.hint, finding.whole_file, finding.source)


def located(result: Any) -> list[Located]:
    """Every finding of ``result`` (a ``LintResult`` or a ``Report``), sorted by line, then severity.

    A lint result gives its findings, or one error on the parse error's line when it did not parse.
    A report gives its findings (course and hadolint, advice included), then each failed check that
    no finding stands for (the checks on the built image) as an ``error`` on the whole file (``info`` for a
    0-point advice check; a check that was not judged is left out); a
    report whose grading could not happen gives that reason as one ``error``.
    """
    if hasattr(result, "rule_results"):
        path = result.path or "Dockerfile"
        if result.parse_error is not None:
            line = result.parse_error.line or 0
            return [Located(path, max(line, 1), 1, "error", "parse", _one_line(result.parse_error.message)
                            + ("" if line else f" {WHOLE_FILE_NOTE}"), None, not line)]
        items = [_finding(path, finding) for finding in result.findings]
    else:
        path = result.dockerfile or "Dockerfile"
        if result.status == "error":
            return [Located(path, 1, 1, "error", "grading", f"Grading could not happen: {_one_line(result.error or '')} "
                            f"{WHOLE_FILE_NOTE}", None, True, "grading")]
        items = [_finding(path, finding) for finding in result.findings]
        said = {finding.rule for finding in result.findings}
        for check in result.failed_checks:  # judged failures only: a check not judged is no error of the file's
            if check.id in said or check.kind != "dynamic":
                continue
            severity = "info" if check.advice else "error"
            items.append(Located(path, 1, 1, severity, check.id, f"{_one_line(check.title)}: {_one_line(check.message)} "
                                 f"{WHOLE_FILE_NOTE}", _one_line(check.hint) or None, True, "grading"))
    order = ("error", "warning", "info", "style")
    return sorted(items, key=lambda item: (item.line, order.index(item.severity), item.rule))
