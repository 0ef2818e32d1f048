"""The editor and CI formats (gnu, github, sarif) for lint results and grading reports (pure, no engine).

The SARIF output is validated against the official SARIF 2.1.0 JSON schema, shipped in
tests/fixtures/sarif/ (source: https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json,
from https://github.com/oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jsonschema
import pytest

from checker.lint import lint
from checker.reporters import LOCATED_FORMATS, gnu, github, render, sarif
from checker.reporters.located import WHOLE_FILE_NOTE, located

from tests.checker.support import REPO, compare_golden
from fake_reports import build_failed_report, error_report, graded_report

SCHEMA = json.loads((REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
GNU_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|note): (?P<rule>\S+) (?P<message>.+)$")

BAD = """\
FROM python:3.13-slim
RUN apt-get update && apt-get install -y gcc libpq-dev
COPY . .
RUN pip install -r requirements.txt
CMD ["python", "main.py"]
"""


@pytest.fixture
def bad_lint(tmp_path):
    """A lint result (course rules only) of a one-stage Dockerfile without a .dockerignore: findings on lines and on the whole context."""
    path = tmp_path / "Dockerfile"
    path.write_text(BAD, encoding="utf-8")
    return lint(path, with_hadolint=False)


def validate(document: dict) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(document)


def test_every_located_format_is_a_reporter_for_grade_too():
    from checker.commands.grade import FORMATS as GRADE_FORMATS
    from checker.commands.lint import FORMATS as LINT_FORMATS

    assert set(LOCATED_FORMATS) <= set(GRADE_FORMATS) and set(LOCATED_FORMATS) <= set(LINT_FORMATS)


def test_when_a_finding_is_about_the_whole_file_then_gnu_puts_it_on_line_1_with_a_note(bad_lint):
    assert any(f.line == 0 for f in bad_lint.findings), "the fixture needs a file-level finding"
    lines = gnu.render(bad_lint).splitlines()
    assert len(lines) == len(bad_lint.findings)
    for line in lines:
        match = GNU_LINE.match(line)
        assert match, line
        assert int(match["line"]) >= 1 and int(match["col"]) == 1
    whole = [line for line in lines if WHOLE_FILE_NOTE in line]
    assert whole and all(GNU_LINE.match(line)["line"] == "1" for line in whole)


def test_gnu_maps_advice_to_note_and_keeps_the_rule_id(bad_lint):
    text = gnu.render(graded_report())
    assert "submission/Dockerfile:7:1: note: DL3008 Pin versions" in text
    assert "submission/Dockerfile:19:1: warning: LPI003 the final stage never installs libpq5." in text


def test_a_graded_report_lists_failed_image_checks_on_line_1_and_no_passed_ones():
    items = located(graded_report())
    ids = [item.rule for item in items]
    assert "app_imports" in ids and "image_size" not in ids and "builds" not in ids
    app = next(item for item in items if item.rule == "app_imports")
    assert (app.line, app.severity, app.whole_file) == (1, "error", True)
    assert "\x1b" not in app.message and "\x07" not in app.message


def test_github_commands_escape_newlines_percent_colons_and_commas():
    assert github.escape_data("50%\nnext") == "50%25%0Anext"
    assert github.escape_property("a:b,c") == "a%3Ab%2Cc"
    text = github.render(graded_report())
    for line in text.splitlines():
        assert re.match(r"^::(error|warning|notice) file=[^,]+,line=[1-9]\d*,col=1,title=[^,:]+::", line), line
    assert "::notice file=submission/Dockerfile,line=7,col=1,title=DL3008::" in text


def test_the_located_formats_of_the_graded_report_match_their_golden_files():
    compare_golden("report.gnu.txt", render(graded_report(), "gnu") + "\n")
    compare_golden("report.github.txt", render(graded_report(), "github") + "\n")


@pytest.mark.parametrize("make", [graded_report, build_failed_report, error_report])
def test_the_sarif_of_every_report_validates_against_the_sarif_2_1_0_schema(make):
    document = json.loads(sarif.render(make()))
    validate(document)
    run = document["runs"][0]
    assert document["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "lean-check"
    assert run["results"], "a report that failed has results"
    for result in run["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_the_sarif_of_a_lint_result_validates_and_marks_whole_file_findings(bad_lint):
    document = sarif.to_sarif(bad_lint)
    validate(document)
    results = document["runs"][0]["results"]
    assert len(results) == len(bad_lint.findings)
    whole = [r for r in results if r["properties"]["wholeFile"]]
    assert whole and {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in whole} == {1}


def test_a_sarif_document_that_breaks_the_schema_is_caught():
    document = sarif.to_sarif(graded_report())
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_a_clean_lint_result_gives_no_gnu_lines_and_an_empty_sarif_run(tmp_path):
    (tmp_path / ".dockerignore").write_text(".git\n.venv\nvenv\n**/__pycache__\n**/*.pyc\n.pytest_cache\n")
    path = tmp_path / "Dockerfile"
    path.write_text((REPO / "sample_app" / "Dockerfile").read_text(encoding="utf-8"), encoding="utf-8")
    result = lint(path, with_hadolint=False)
    if result.findings:
        pytest.fail(f"the sample app's Dockerfile should lint clean with the course rules: {result.findings}")
    assert gnu.render(result) == ""
    document = sarif.to_sarif(result)
    validate(document)
    assert document["runs"][0]["results"] == []


@pytest.mark.parametrize("fmt", ["gnu", "github", "sarif"])
def test_lean_check_lint_prints_each_located_format(tmp_path, fmt):
    path = tmp_path / "Dockerfile"
    path.write_text(BAD, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "checker", "lint", str(path), "--no-hadolint", "--format", fmt],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 1, done.stderr
    if fmt == "sarif":
        validate(json.loads(done.stdout))
    elif fmt == "gnu":
        assert all(GNU_LINE.match(line) for line in done.stdout.splitlines())
    else:
        assert done.stdout.startswith("::")


def test_a_file_level_finding_is_line_1_with_the_same_note_in_text_json_gnu_and_sarif():
    report = build_failed_report()  # LPI013: the build context has no .dockerignore (line 0 in the model)
    note = WHOLE_FILE_NOTE
    text_line = next(line for line in render(report, "text").splitlines() if "LPI013" in line)
    assert text_line.strip().startswith("line 1 LPI013") and note in text_line
    finding = next(f for f in json.loads(render(report, "json"))["findings"] if f["rule"] == "LPI013")
    assert (finding["line"], finding["whole_file"]) == (1, True)
    gnu_line = next(line for line in render(report, "gnu").splitlines() if "LPI013" in line)
    assert gnu_line.startswith("submission/Dockerfile:1:1: warning: LPI013") and note in gnu_line
    result = next(r for r in sarif.to_sarif(report)["runs"][0]["results"] if r["ruleId"] == "LPI013")
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert result["properties"]["wholeFile"] is True and note in result["message"]["text"]
    on_a_line = next(f for f in json.loads(render(report, "json"))["findings"] if f["rule"] == "LPI006")
    assert (on_a_line["line"], on_a_line["whole_file"]) == (2, False)


def test_sarif_uris_are_relative_to_the_folder_it_ran_in_through_a_uri_base_id(tmp_path):
    inside = tmp_path / "repo" / "exercises" / "01"
    inside.mkdir(parents=True)
    outside = tmp_path / "elsewhere" / "Dockerfile"
    for path, expected in (
            ("submission/Dockerfile", {"uri": "submission/Dockerfile", "uriBaseId": sarif.SRCROOT}),
            (str(inside / "Dockerfile"), {"uri": "exercises/01/Dockerfile", "uriBaseId": sarif.SRCROOT}),
            (str(outside), {"uri": outside.as_uri()})):
        assert sarif.artifact_location(path, tmp_path / "repo") == expected, path
    report = graded_report()
    report.dockerfile = str(inside / "Dockerfile")
    document = sarif.to_sarif(report, root=tmp_path / "repo")
    validate(document)
    run = document["runs"][0]
    assert run["originalUriBaseIds"] == {sarif.SRCROOT: {"uri": (tmp_path / "repo").resolve().as_uri() + "/"}}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {
        "exercises/01/Dockerfile"}


def test_the_lint_text_view_puts_a_file_level_finding_on_line_1_with_the_same_note(bad_lint):
    whole = [f for f in bad_lint.findings if f.whole_file]
    assert whole, "the fixture needs a file-level finding"
    text = bad_lint.summary()
    for finding in whole:
        assert f"{bad_lint.path}:1  {finding.severity:<7}  {finding.rule:<7}  {finding.message} {WHOLE_FILE_NOTE}" in text
    assert f"{bad_lint.path}:0 " not in text
