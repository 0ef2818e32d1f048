"""Score one graded submission: each rubric check's verdict, the points, the pass/fail verdict.

Pure: it reads the verdicts already gathered (the dynamic checks' outcomes and the lint
result) and the rubric, and fills the report. Each check's title, why, how-to-fix text and
lesson come from its catalogue entry (:mod:`checker.catalog`), kept on the rubric's
:class:`~checker.rubric.CheckSpec` when the rubric was read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..checks import Outcome
from ..report import CheckResult, Report

if TYPE_CHECKING:
    from ..lint import LintResult
    from ..rubric import CheckSpec, Rubric


def score(report: Report, rubric: Rubric, outcomes: dict[str, Outcome], linted: LintResult | None,
          gate: str | None, short: str | None = None) -> None:
    """Fill ``report.checks``, ``score``, ``max_score``, ``pass_score``, ``passed``, ``status`` and ``verdict``.

    ``outcomes`` maps dynamic check ids to their :class:`~checker.checks.Outcome` (a missing one
    did not run); ``linted`` is the lint result (None when the Dockerfile was not linted).
    ``gate`` (a reason) means the submission scores 0 whatever passed, and the verdict says why;
    ``short`` is the reason each check that could not run repeats (default: ``gate``). Points
    are all or nothing per check. A check that could not run, and one that holds while ``gate`` withholds
    every point, gets ``not_judged`` (the reason). Raises nothing for a learner's mistake.
    """
    short = short or gate
    results: list[CheckResult] = []
    for spec in rubric.checks:
        entry = spec.resolved()
        if spec.kind == "dynamic":
            passed, message, details, not_judged = _dynamic_verdict(spec, outcomes, short)
        elif spec.kind == "static":
            passed, message, details, not_judged = _rule_verdict(spec, linted, short)
        else:
            passed, message, details, not_judged = _hadolint_verdict(spec, linted, short)
        if gate is not None and passed and not_judged is None:
            not_judged = short  # it holds, but a failed step earns nothing: not a pass worth 0 points
        result = CheckResult(spec.id, spec.title or entry.title, spec.kind, passed, 0.0, spec.points, message,
                             spec.fix or entry.fix, entry.rationale, spec.lesson or entry.lesson, spec.required, details,
                             not_judged)
        if gate is None and result.passed:
            result.points = spec.points
        results.append(result)
    report.checks = results
    report.score = float(sum(check.points for check in results))
    report.max_score = rubric.max_score
    report.pass_score = rubric.pass_score
    required_failed = [check for check in results if check.required and not check.passed]
    report.passed = gate is None and report.score >= rubric.pass_score and not required_failed
    report.status = "passed" if report.passed else "failed"
    if gate is not None:
        report.verdict = f"Score 0: {gate}"
    elif report.passed:
        report.verdict = f"Passed: {report.score:g} of {report.max_score:g} points (pass mark {report.pass_score:g})."
    elif required_failed:
        names = ", ".join(check.id for check in required_failed)
        report.verdict = (f"Not passed: the required check(s) {names} failed "
                          f"({report.score:g} of {report.max_score:g} points).")
    else:
        report.verdict = f"Not passed: {report.score:g} of {report.max_score:g} points, {report.pass_score:g} needed."


def _dynamic_verdict(spec: CheckSpec, outcomes: dict[str, Outcome], short: str | None
                     ) -> tuple[bool, str, dict[str, Any], str | None]:
    outcome = outcomes.get(spec.id)
    if outcome is None:
        why = short or "no evidence"
        return False, f"Not checked: {why}.", {}, why
    return outcome.passed, outcome.message, dict(outcome.details), outcome.not_judged


def _rule_verdict(spec: CheckSpec, linted: LintResult | None, short: str | None
                  ) -> tuple[bool, str, dict[str, Any], str | None]:
    verdict = linted.rule_results.get(spec.id) if linted is not None and linted.parse_error is None else None
    if verdict is None:
        why = short or "the Dockerfile was not linted"
        return False, f"Not checked: {why}.", {}, why
    blocking = [f for f in verdict.findings if f.blocking]
    message = "; ".join(f"line {f.line}: {f.message}" for f in blocking[:3]) if blocking else "No problem found."
    return verdict.passed, message, {}, None


def _hadolint_verdict(spec: CheckSpec, linted: LintResult | None, short: str | None
                      ) -> tuple[bool, str, dict[str, Any], str | None]:
    fail_on = set(spec.params.get("fail_on") or ["error"])
    if linted is None or linted.parse_error is not None:
        why = short or "the Dockerfile was not linted"
        return False, f"Not checked: {why}.", {}, why
    if linted.hadolint_error:
        return False, f"hadolint did not run: {linted.hadolint_error}", {}, f"hadolint did not run ({linted.hadolint_error})"
    bad = [f for f in linted.findings if f.severity in fail_on and (f.source == "hadolint" or f.same_as)]
    message = ("; ".join(f"line {f.line} {f.rule if f.source == 'hadolint' else f.same_as}: {f.message}"
                         for f in bad[:3]) if bad
               else f"hadolint reports nothing of severity {', '.join(sorted(fail_on))}.")
    return not bad, message, {"fail_on": sorted(fail_on)}, None
