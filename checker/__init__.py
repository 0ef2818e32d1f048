"""Lean Python Images: a Dockerfile checker with a real build engine behind it.

The library API::

    import checker
    report = checker.grade("Dockerfile", context=".", exercise="02")   # build, probe, score
    report.passed, report.score, report.checks, report.to_dict()
    result = checker.lint("Dockerfile")                                # static only, no engine

``grade`` never raises for a learner's mistake or an engine problem: ``report.status`` is
``passed``, ``failed`` or ``error`` (grading could not happen, ``report.error`` says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Report", "CheckResult", "LintResult", "grade", "lint", "load_rubric", "dynamic_checks"]

if TYPE_CHECKING:  # pragma: no cover
    from .lint import LintResult
    from .report import CheckResult, Report


def grade(dockerfile, **kwargs: Any):
    """Grade a Dockerfile on the engine; returns a :class:`checker.report.Report`.

    See :func:`checker.grading.grade` for the arguments. Never raises for a learner's mistake or
    an engine problem: those give a report whose ``status`` is ``failed`` or ``error``.
    """
    from .grading import grade as _grade

    return _grade(dockerfile, **kwargs)


def lint(dockerfile, **kwargs: Any):
    """The static checks only (no engine); returns a :class:`checker.lint.LintResult`.

    See :func:`checker.lint.lint` for the arguments; raises OSError when the file cannot be read.
    """
    from .lint import lint as _lint

    return _lint(dockerfile, **kwargs)


def load_rubric(path):
    """Read and validate a rubric TOML file; returns a :class:`checker.rubric.Rubric`.

    Raises :class:`checker.rubric.RubricError` when it is missing or invalid; see :mod:`checker.rubric`.
    """
    from .rubric import load

    return load(path)


def dynamic_checks():
    """The registered dynamic checks, each with id, title, why, fix, lesson and parameters (see :mod:`checker.checks`)."""
    from .checks import all_checks

    return all_checks()


def __getattr__(name: str):
    """``Report``, ``CheckResult`` and ``LintResult`` on first use; AttributeError for any other name."""
    # Lazy, so `import checker` stays cheap and `lean-check lint` never imports the engine code.
    if name in {"Report", "CheckResult"}:
        from . import report

        return getattr(report, name)
    if name == "LintResult":
        from .lint import LintResult

        return LintResult
    raise AttributeError(f"module 'checker' has no attribute {name!r}")
