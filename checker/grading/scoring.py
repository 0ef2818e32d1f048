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
    every point, gets ``not_judged`` (the reason).

    A check not judged because of the grading machine (:attr:`~checker.checks.Outcome.machine`: the
    engine could not read the image, a probe or the checker failed, hadolint did not run) is left out
    of both the score and the maximum: ``max_score`` is the rubric's less its points
    (``not_judged_points``), the pass mark is scaled to that judged maximum, a required one does not
    fail the submission, and the verdict says "N points not judged: <why>". When nothing worth points
    could be judged, the status is ``error`` (grading could not happen). A check the submission kept
    from being judged (no image; no shell where a probe needs one) still costs its points.
    Raises nothing for a learner's mistake.
    """
    short = short or gate
    results: list[CheckResult] = []
    for spec in rubric.checks:
        entry = spec.resolved()
        if spec.kind == "dynamic":
            passed, message, details, not_judged, machine = _dynamic_verdict(spec, outcomes, short)
        elif spec.kind == "static":
            passed, message, details, not_judged, machine = _rule_verdict(spec, linted, short)
        else:
            passed, message, details, not_judged, machine = _hadolint_verdict(spec, linted, short)
        if gate is not None and passed and not_judged is None:
            not_judged = short  # it holds, but a failed step earns nothing: not a pass worth 0 points
        result = CheckResult(spec.id, spec.title or entry.title, spec.kind, passed, 0.0, spec.points, message,
                             spec.fix or entry.fix, entry.rationale, spec.lesson or entry.lesson, spec.required, details,
                             not_judged, machine_fault=machine and not_judged is not None)
        if gate is None and result.passed:
            result.points = spec.points
        results.append(result)
    report.checks = results
    report.score = float(sum(check.points for check in results))
    report.not_judged_points = float(sum(check.max_points for check in results if check.machine_fault))
    report.max_score = rubric.max_score - report.not_judged_points
    report.pass_score = judged_pass_mark(rubric.pass_score, rubric.max_score, report.max_score)
    required_failed = [check for check in results if check.required and not check.passed and not check.machine_fault]
    report.passed = gate is None and report.score >= report.pass_score and not required_failed
    report.status = "passed" if report.passed else "failed"
    left_out = ""
    if report.not_judged_points:
        reasons = "; ".join(dict.fromkeys(check.not_judged or "" for check in results if check.machine_fault))
        left_out = (f" {report.not_judged_points:g} points not judged: {reasons} (the grading machine's fault: left "
                    f"out of the score and the maximum, the pass mark scaled to {report.pass_score:g} of "
                    f"{report.max_score:g}).")
    if gate is not None:
        report.verdict = f"Score 0: {gate}"
    elif report.not_judged_points and report.max_score <= 0:
        report.status, report.passed = "error", False
        report.error = f"no check worth points could be judged on this machine ({reasons})"
        report.verdict = f"Grading could not happen: {report.error}"
    elif report.passed:
        report.verdict = (f"Passed: {report.score:g} of {report.max_score:g} points (pass mark {report.pass_score:g})."
                          + left_out)
    elif required_failed:
        names = ", ".join(check.id for check in required_failed)
        report.verdict = (f"Not passed: the required check(s) {names} failed "
                          f"({report.score:g} of {report.max_score:g} points)." + left_out)
    else:
        report.verdict = (f"Not passed: {report.score:g} of {report.max_score:g} points, {report.pass_score:g} needed."
                          + left_out)


def judged_pass_mark(pass_score: float, rubric_max: float, judged_max: float) -> float:
    """The pass mark applied to the judged maximum, in proportion: 70 of 100 with 80 judged gives 56.

    Returns ``pass_score`` unchanged when everything was judged (or the rubric is worth nothing); rounded to
    hundredths of a point.
    """
    if rubric_max <= 0 or judged_max >= rubric_max:
        return pass_score
    return round(pass_score * max(judged_max, 0.0) / rubric_max, 2)


Verdict = tuple[bool, str, dict[str, Any], str | None, bool]
"""``(passed, message, details, not_judged, machine)``: one check's verdict before it becomes a CheckResult."""


def _dynamic_verdict(spec: CheckSpec, outcomes: dict[str, Outcome], short: str | None) -> Verdict:
    outcome = outcomes.get(spec.id)
    if outcome is None:
        why = short or "no evidence"
        return False, f"Not checked: {why}.", {}, why, False
    return outcome.passed, outcome.message, dict(outcome.details), outcome.not_judged, outcome.machine


def _rule_verdict(spec: CheckSpec, linted: LintResult | None, short: str | None) -> Verdict:
    verdict = linted.rule_results.get(spec.id) if linted is not None and linted.parse_error is None else None
    if verdict is None:
        why = short or "the Dockerfile was not linted"
        return False, f"Not checked: {why}.", {}, why, False
    blocking = [f for f in verdict.findings if f.blocking]
    message = "; ".join(f"line {f.line}: {f.message}" for f in blocking[:3]) if blocking else "No problem found."
    return verdict.passed, message, {}, None, False


def _hadolint_verdict(spec: CheckSpec, linted: LintResult | None, short: str | None) -> Verdict:
    fail_on = set(spec.params.get("fail_on") or ["error"])
    if linted is None or linted.parse_error is not None:
        why = short or "the Dockerfile was not linted"
        return False, f"Not checked: {why}.", {}, why, False
    if linted.hadolint_error:  # the grading machine's tool, not the submission
        return (False, f"hadolint did not run: {linted.hadolint_error}", {}, f"hadolint did not run ({linted.hadolint_error})",
                True)
    bad = [f for f in linted.findings if f.severity in fail_on and (f.source == "hadolint" or f.same_as)]
    message = ("; ".join(f"line {f.line} {f.rule if f.source == 'hadolint' else f.same_as}: {f.message}"
                         for f in bad[:3]) if bad
               else f"hadolint reports nothing of severity {', '.join(sorted(fail_on))}.")
    return not bad, message, {"fail_on": sorted(fail_on)}, None, False
