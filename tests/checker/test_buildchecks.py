"""Docker's build checks as findings: recorded ``--call=check,format=json`` output, deduplicated against the course's rules."""

from __future__ import annotations

import json
from pathlib import Path

from checker.buildchecks import findings_from_checks
from checker.dockerfile import parse
from checker.findings import Finding

RECORDED = Path(__file__).parents[1] / "fixtures" / "buildkit"


def _warnings() -> list[dict]:
    return json.loads((RECORDED / "checks.json").read_text())["warnings"]


def test_recorded_checks_become_info_findings_with_source_buildkit_on_their_lines():
    found = findings_from_checks(_warnings(), [], parse((RECORDED / "checks.Dockerfile").read_text()))
    assert {(finding.rule, finding.line) for finding in found} >= {("LegacyKeyValueFormat", 2), ("UndefinedVar", 5),
                                                                   ("JSONArgsRecommended", 6)}
    assert all(finding.source == "buildkit" and finding.severity == "info" and not finding.blocking for finding in found)
    assert [finding.line for finding in found] == sorted(finding.line for finding in found)
    legacy = next(finding for finding in found if finding.rule == "LegacyKeyValueFormat")
    assert "ENV key=value" in legacy.message and legacy.hint and "legacy-key-value-format" in legacy.hint


def test_a_check_the_course_rule_already_made_on_that_line_is_dropped():
    course = [Finding("LPI011", "warning", 6, "exec form"), Finding("LPI014", "error", 4, "secret in ENV")]
    found = findings_from_checks(_warnings(), course)
    rules = {(finding.rule, finding.line) for finding in found}
    assert ("JSONArgsRecommended", 6) not in rules and ("SecretsUsedInArgOrEnv", 4) not in rules
    assert ("SecretsUsedInArgOrEnv", 3) in rules  # LPI014 did not flag line 3: BuildKit's finding stays


def test_where_the_course_accepts_cmd_exec_the_finding_says_why():
    warning = {"ruleName": "JSONArgsRecommended", "detail": "JSON arguments recommended for CMD",
               "location": {"ranges": [{"start": {"line": 2}}]}}
    found = findings_from_checks([warning], [], parse("FROM python:3.13-slim\nCMD exec python app.py\n"))
    assert len(found) == 1 and "LPI011 accepts this line" in found[0].message


def test_under_check_error_true_a_build_check_is_an_error_that_names_the_directive():
    # From the third trial: the build stopped on "lint violation found" and the finding said "info".
    text = (RECORDED / "checks.Dockerfile").read_text()
    strict = parse("# check=skip=StageNameCasing;error=true\n" + text)
    found = findings_from_checks(_warnings(), [], strict)
    assert found and all(finding.severity == "error" for finding in found)
    assert all("`# check=error=true` (line 1) makes this fail the build" in finding.message for finding in found)
    lenient = findings_from_checks(_warnings(), [], parse("# check=error=false\n" + text))
    assert all(finding.severity == "info" for finding in lenient)
