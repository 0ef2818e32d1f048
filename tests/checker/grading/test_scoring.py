"""The scorer: each rubric check's verdict, the points and the verdict line (pure)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from checker import catalog
from checker.grading import scoring
from checker.checks import Outcome
from checker.findings import Finding
from checker.lint import lint
from checker.report import Report
from checker.rubric import CheckSpec, Rubric, parse

DOCKERFILE = "FROM python:3.13-slim\nUSER app\nCMD [\"python\"]\n"


def rubric(*checks: dict, pass_mark: float = 70) -> Rubric:
    return parse({"rubric": {"title": "t", "pass_mark": pass_mark}, "checks": list(checks)}, Path("rubric.toml"))


def scored(the_rubric: Rubric, outcomes=None, linted=None, gate=None, short=None) -> Report:
    report = Report(dockerfile="Dockerfile", context=".", rubric=the_rubric.title, rubric_path="rubric.toml")
    scoring.score(report, the_rubric, outcomes or {}, linted, gate, short)
    return report


def test_when_hadolint_reports_an_error_then_the_hadolint_check_fails_with_its_text_from_the_catalogue():
    linted = lint(DOCKERFILE, with_hadolint=False)
    finding = Finding(rule="DL3008", severity="error", line=2, message="Pin versions", source="hadolint", hint="")
    linted = dataclasses.replace(linted, findings=(*linted.findings, finding))
    report = scored(rubric({"id": "hadolint", "points": 4}), linted=linted)
    check = report.check("hadolint")
    assert not check.passed and check.points == 0
    assert check.message == "line 2 DL3008: Pin versions"
    assert (check.title, check.hint, check.why, check.lesson) == (
        catalog.HADOLINT.title, catalog.HADOLINT.fix, catalog.HADOLINT.rationale, catalog.HADOLINT.lesson)
    assert report.verdict == "Not passed: 0 of 4 points, 2.8 needed."


def test_when_hadolint_did_not_run_or_only_warns_then_the_message_says_so():
    linted = dataclasses.replace(lint(DOCKERFILE, with_hadolint=False), hadolint_error="not installed")
    assert scored(rubric({"id": "hadolint", "points": 1}), linted=linted).check("hadolint").message == \
        "hadolint did not run: not installed"
    warning = Finding(rule="DL3008", severity="warning", line=2, message="Pin", source="hadolint", hint="")
    linted = dataclasses.replace(lint(DOCKERFILE, with_hadolint=False), findings=(warning,))
    report = scored(rubric({"id": "hadolint", "points": 1}), linted=linted)
    assert report.check("hadolint").passed and report.passed
    assert report.check("hadolint").message == "hadolint reports nothing of severity error."
    report = scored(rubric({"id": "hadolint", "points": 1, "fail_on": ["error", "warning"]}), linted=linted)
    assert not report.check("hadolint").passed


def test_when_nothing_was_linted_or_run_then_each_check_repeats_the_short_reason():
    the_rubric = rubric({"id": "builds", "points": 1}, {"id": "LPI012", "points": 1}, {"id": "hadolint", "points": 1})
    report = scored(the_rubric, gate="The Dockerfile was refused: too big.", short="the Dockerfile was refused")
    assert [c.message for c in report.checks] == ["Not checked: the Dockerfile was refused."] * 3
    assert report.verdict == "Score 0: The Dockerfile was refused: too big." and report.score == 0
    report = scored(the_rubric)
    assert [c.message for c in report.checks] == [
        "Not checked: no evidence.", "Not checked: the Dockerfile was not linted.",
        "Not checked: the Dockerfile was not linted."]


def test_a_dynamic_outcome_keeps_its_details_and_the_title_comes_from_the_rubric_or_the_catalogue():
    the_rubric = rubric({"id": "builds", "points": 2, "title": "It builds"}, {"id": "image_size", "points": 1})
    report = scored(the_rubric, {"builds": Outcome(True, "ok", {"seconds": 1.5}), "image_size": Outcome(True, "small")})
    assert report.check("builds").title == "It builds" and report.check("builds").details == {"seconds": 1.5}
    assert report.check("image_size").title == catalog.get("image_size").title
    assert report.passed and report.verdict == "Passed: 3 of 3 points (pass mark 2.1)."


def test_a_spec_built_by_hand_without_its_entry_is_resolved_from_the_catalogue():
    spec = CheckSpec("LPI012", 1.0, "static")
    the_rubric = Rubric(title="t", path=Path("r.toml"), pass_mark=50, checks=(spec,))
    report = scored(the_rubric, linted=lint(DOCKERFILE, with_hadolint=False))
    assert report.check("LPI012").passed and report.check("LPI012").hint == catalog.get("LPI012").fix


def test_when_the_build_failed_then_checks_that_could_not_run_and_rules_that_hold_are_not_judged():
    # LPI012 holds on DOCKERFILE; LPI011 fails on it (shell-form CMD); the image never existed.
    linted = lint("FROM python:3.13-slim\nUSER app\nCMD python app.py\n", with_hadolint=False)
    the_rubric = rubric({"id": "builds", "points": 5}, {"id": "health", "points": 3}, {"id": "LPI012", "points": 1},
                        {"id": "LPI011", "points": 1})
    report = scored(the_rubric, {"builds": Outcome(False, "The build failed at `RUN exit 3`.")}, linted,
                    gate="The image did not build.", short="the image did not build")
    states = {check.id: (check.passed, check.not_judged) for check in report.checks}
    assert states == {"builds": (False, None), "health": (False, "the image did not build"),
                      "LPI012": (True, "the image did not build"), "LPI011": (False, None)}
    assert [check.id for check in report.to_fix] == ["builds", "LPI011"]
    assert [check.id for check in report.unjudged_checks] == ["health", "LPI012"]
    assert report.score == 0 and report.to_dict()["checks"][1]["not_judged"] == "the image did not build"


def test_when_the_engine_could_not_measure_then_the_check_is_not_judged_and_not_a_failure_to_fix():
    from checker.checks.base import not_run

    the_rubric = rubric({"id": "builds", "points": 1}, {"id": "no_compilers", "points": 1})
    unread = "the image's filesystem could not be read: export failed"
    report = scored(the_rubric, {"builds": Outcome(True, "ok"), "no_compilers": not_run(unread)})
    check = report.check("no_compilers")
    assert (check.passed, check.points, check.not_judged) == (False, 0, unread)
    assert report.failed_checks == [] and report.to_fix == []


def test_a_finding_folded_from_hadolint_still_counts_for_the_hadolint_check():
    folded = Finding(rule="LPI006", severity="warning", line=2, message="pip keeps its cache (same as DL3042, which "
                     "rates it warning)", source="course", hint="", same_as="DL3042")
    linted = dataclasses.replace(lint(DOCKERFILE, with_hadolint=False), findings=(folded,))
    report = scored(rubric({"id": "hadolint", "points": 1, "fail_on": ["warning"]}), linted=linted)
    assert not report.check("hadolint").passed and "line 2 DL3042" in report.check("hadolint").message


def test_a_hadolint_finding_kept_over_its_course_twin_is_named_by_its_own_id():
    kept = Finding(rule="DL3020", severity="error", line=3, message="Use COPY (same as LPI017, which rates it style)",
                   source="hadolint", hint="", same_as="LPI017")
    linted = dataclasses.replace(lint(DOCKERFILE, with_hadolint=False), findings=(kept,))
    check = scored(rubric({"id": "hadolint", "points": 1}), linted=linted).check("hadolint")
    assert not check.passed and check.message.startswith("line 3 DL3020: Use COPY")


def _checks(required: bool = False) -> Rubric:
    return rubric({"id": "builds", "points": 20}, {"id": "no_compilers", "points": 20, "required": required},
                  {"id": "image_size", "points": 40}, {"id": "health", "points": 20}, pass_mark=70)


UNREAD = "the image's filesystem could not be read: the engine closed the export"


def test_when_the_machine_cannot_judge_a_check_then_it_leaves_the_score_and_the_maximum_and_the_pass_mark_scales():
    outcomes = {"builds": Outcome(True, "ok"), "no_compilers": Outcome(False, f"Not checked: {UNREAD}.",
                                                                       not_judged=UNREAD, machine=True),
                "image_size": Outcome(True, "small"), "health": Outcome(False, "no answer")}
    report = scored(_checks(), outcomes)
    assert (report.score, report.max_score, report.rubric_max_score, report.not_judged_points) == (60, 80, 100, 20)
    assert report.pass_score == 56  # 70 % of the 80 judged points
    assert report.passed and report.status == "passed"
    assert report.check("no_compilers").machine_fault and report.check("no_compilers").points == 0
    assert report.verdict == (f"Passed: 60 of 80 points (pass mark 56). 20 points not judged: {UNREAD} (the grading "
                              "machine's fault: left out of the score and the maximum, the pass mark scaled to 56 of 80).")
    # Judged as a failure instead, the same check would have cost 20 of 100 points: 60 < 70, not passed.
    judged = scored(_checks(), {**outcomes, "no_compilers": Outcome(False, "gcc found")})
    assert (judged.score, judged.max_score, judged.pass_score, judged.passed) == (60, 100, 70, False)


def test_when_a_required_check_is_not_judged_by_the_machine_then_it_does_not_fail_the_submission():
    outcomes = {"builds": Outcome(True, "ok"), "image_size": Outcome(True, "small"), "health": Outcome(True, "200"),
                "no_compilers": Outcome(False, "Not checked.", not_judged=UNREAD, machine=True)}
    report = scored(_checks(required=True), outcomes)
    assert report.passed and (report.score, report.max_score) == (80, 80)


def test_when_the_learners_own_image_keeps_a_check_from_being_judged_then_it_still_costs_its_points():
    why = "the image has no sh to run sh -c true with"
    outcomes = {"builds": Outcome(True, "ok"), "image_size": Outcome(True, "small"), "health": Outcome(True, "200"),
                "no_compilers": Outcome(False, f"Not judged: {why}.", not_judged=why)}
    report = scored(_checks(required=True), outcomes)
    assert not report.check("no_compilers").machine_fault and report.not_judged_points == 0
    assert (report.score, report.max_score, report.pass_score) == (80, 100, 70)
    assert not report.passed and "required check(s) no_compilers failed" in report.verdict


def test_when_hadolint_did_not_run_then_its_points_are_left_out_not_lost():
    linted = dataclasses.replace(lint(DOCKERFILE, with_hadolint=False), hadolint_error="not installed")
    report = scored(rubric({"id": "LPI012", "points": 3}, {"id": "hadolint", "points": 1}), linted=linted)
    assert report.check("hadolint").machine_fault and (report.score, report.max_score) == (3, 3) and report.passed
    assert "1 points not judged: hadolint did not run (not installed)" in report.verdict


def test_when_nothing_worth_points_could_be_judged_then_grading_could_not_happen():
    outcome = Outcome(False, "Not checked.", not_judged=UNREAD, machine=True)
    report = scored(rubric({"id": "no_compilers", "points": 5}, {"id": "efficiency", "points": 0}),
                    {"no_compilers": outcome, "efficiency": outcome})
    assert report.status == "error" and report.exit_code == 2 and not report.passed
    assert UNREAD in report.error and report.verdict.startswith("Grading could not happen")


def test_when_the_machine_left_points_out_then_json_and_text_reports_say_how_many_and_why():
    import json

    from checker.reporters import render

    outcomes = {"builds": Outcome(True, "ok"), "no_compilers": Outcome(False, "Not checked.", not_judged=UNREAD,
                                                                       machine=True),
                "image_size": Outcome(True, "small"), "health": Outcome(True, "200")}
    report = scored(_checks(), outcomes)
    data = json.loads(render(report, "json"))
    assert (data["score"], data["max_score"], data["pass_score"]) == (80, 80, 56)
    assert (data["rubric_max_score"], data["not_judged_points"]) == (100, 20)
    entry = next(check for check in data["checks"] if check["id"] == "no_compilers")
    assert entry["machine_fault"] is True and entry["not_judged"] == UNREAD
    assert Report.from_dict(data).check("no_compilers").machine_fault
    text = report.summary()
    assert f"Score 80/80 (pass mark 56); 20 points not judged: {UNREAD} (left out of the maximum, the rubric's 100)" in text
    assert "left out of the score and the maximum" in text.split("no_compilers")[1].splitlines()[0]
    classroom = __import__("checker.reporters.classroom", fromlist=["payload"]).payload(report)
    assert sum(test["max_score"] for test in classroom["tests"]) == classroom["max_score"] == 80
