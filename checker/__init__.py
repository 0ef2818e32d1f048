"""Lean Python Images: a Dockerfile checker with a real build engine behind it.

The library API::

    import checker
    report = checker.grade("Dockerfile", context=".", exercise="01")   # build, probe, score
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
    """Grade a Dockerfile on the engine; see :func:`checker.grading.grade` for the arguments."""
    from .grading import grade as _grade

    return _grade(dockerfile, **kwargs)


def lint(dockerfile, **kwargs: Any):
    """The static checks only (no engine); see :func:`checker.lint.lint`."""
    from .lint import lint as _lint

    return _lint(dockerfile, **kwargs)


def load_rubric(path):
    """Read and validate a rubric TOML file; see :mod:`checker.rubric`."""
    from .rubric import load

    return load(path)


def dynamic_checks():
    """The registered dynamic checks (id, title, why, fix, lesson, parameters)."""
    from .checks import all_checks

    return all_checks()


def __getattr__(name: str):
    # Lazy, so `import checker` stays cheap and `lean-check lint` never imports the engine code.
    if name in {"Report", "CheckResult"}:
        from . import report

        return getattr(report, name)
    if name == "LintResult":
        from .lint import LintResult

        return LintResult
    raise AttributeError(f"module 'checker' has no attribute {name!r}")
