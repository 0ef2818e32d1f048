"""Views of one :class:`checker.report.Report`, one module per format (the hadolint habit).

Every module has ``render(report) -> str``. :func:`render` picks one by name; :data:`FORMATS`
lists the names the CLI accepts.
"""

from __future__ import annotations

import importlib
import re

from ..units import human_bytes  # noqa: F401  (re-exported for the reporters)

#: Every format :func:`render` knows, one module each.
FORMATS = ("text", "terminal", "json", "junit", "classroom", "html", "markdown", "gnu", "github", "sarif")
#: The formats that also render a lint result (:class:`checker.lint.LintResult`): one located view each.
LOCATED_FORMATS = ("gnu", "github", "sarif")


def render(report, fmt: str) -> str:
    """``report`` (a :class:`checker.report.Report`; for :data:`LOCATED_FORMATS` a lint result too) in format ``fmt``.

    Raises :class:`ValueError` for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"{__name__}.{fmt}")
    return module.render(report)


_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text) -> str:
    """Text a learner's build printed, made safe to show: ANSI escapes and control characters removed."""
    return _CONTROL_RE.sub("", _ANSI_RE.sub("", str(text if text is not None else "")))


def points(value: float) -> str:
    """Points as a learner reads them: ``3`` for 3.0, ``2.5`` for 2.5."""
    return f"{value:g}"


def sanitized(report):
    """A copy of ``report`` whose learner-influenced text (messages, build output) is :func:`clean`."""
    import copy

    safe = copy.deepcopy(report)
    safe.verdict = clean(safe.verdict)
    safe.error = clean(safe.error) if safe.error is not None else None
    for check in safe.checks:
        check.message = clean(check.message)
    if safe.build is not None:
        safe.build.error = clean(safe.build.error) if safe.build.error is not None else None
        safe.build.failed_step = clean(safe.build.failed_step) if safe.build.failed_step is not None else None
        safe.build.log_tail = clean(safe.build.log_tail)
    if safe.image is not None:
        for layer in safe.image.layers:
            layer.created_by = clean(layer.created_by)
    for finding in safe.findings:
        object.__setattr__(finding, "message", clean(finding.message))
    return safe
