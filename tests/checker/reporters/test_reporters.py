"""Every reporter against its golden file: one Report type, several views (pure, no engine)."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET

import pytest

from checker.reporters import FORMATS, render
from checker.reporters import classroom, junit, terminal

from tests.checker.support import compare_golden
from fake_reports import build_failed_report, error_report, graded_report, unscored_error_report


@pytest.mark.parametrize("fmt, name", [
    ("json", "report.json"), ("junit", "report.junit.xml"), ("markdown", "report.md"), ("text", "report.txt"),
    ("html", "report.html"),
])
def test_each_reporter_renders_the_graded_report_as_its_golden_file(fmt, name):
    compare_golden(name, render(graded_report(), fmt))


def test_the_classroom_payload_matches_its_golden_file_and_is_base64_json():
    encoded = render(graded_report(), "classroom")
    assert "\n" not in encoded
    payload = json.loads(base64.b64decode(encoded))
    compare_golden("report.classroom.json", json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    assert payload["max_score"] == 36.0
    assert sum(test["score"] for test in payload["tests"]) == graded_report().score
    assert {test["status"] for test in payload["tests"]} == {"pass", "fail"}


def test_a_build_failure_renders_with_its_failing_step_everywhere():
    report = build_failed_report()
    compare_golden("report-build-failed.json", render(report, "json"))
    for fmt in ("text", "markdown", "html", "junit"):
        assert "RUN exit 3" in render(report, fmt), fmt
    assert "no such package" in render(report, "junit")
    for fmt in ("text", "terminal", "markdown", "html", "junit"):  # the decisive line and the cause's hint
        assert "E: Unable to locate package libpq-devel" in render(report, fmt), fmt
        assert "check its spelling" in render(report, fmt) or fmt == "junit", fmt


HUMAN_FORMATS = ("text", "terminal", "markdown", "html", "junit", "classroom")


def _readable(report, fmt: str) -> str:
    text = render(report, fmt)
    return base64.b64decode(text).decode("utf-8") if fmt == "classroom" else text


@pytest.mark.parametrize("fmt", HUMAN_FORMATS)
def test_every_error_and_warning_finding_reaches_every_human_format_scored_or_not(fmt):
    # Issue 16, kind 5: a passing report whose rubric scores neither the LPI014 error nor the DL3059 warning.
    text = _readable(unscored_error_report(), fmt)
    assert "LPI014" in text and "carries a password" in text, fmt
    assert "DL3059" in text, fmt
    assert "not scored by this rubric" in text, fmt


@pytest.mark.parametrize("fmt", ["gnu", "github", "sarif"])
def test_the_editor_and_ci_formats_carry_every_finding_too(fmt):
    text = render(unscored_error_report(), fmt)
    assert "LPI014" in text and "DL3059" in text, fmt


def test_a_scored_finding_is_marked_as_scored_and_advice_is_not_listed_as_a_finding():
    from checker.reporters import shown_findings, unscored_findings

    shown = dict((f.rule, scoring) for f, scoring in shown_findings(graded_report()))
    assert shown == {"LPI003": "scored by LPI003"}  # DL3008 is info: advice, not a finding to count
    assert [f.rule for f in unscored_findings(unscored_error_report())] == ["DL3059", "LPI014"]


def test_junit_and_classroom_count_the_unscored_findings_without_changing_the_points():
    root = ET.fromstring(junit.render(unscored_error_report()))
    assert root.get("tests") == "3" and root.get("failures") == "2"
    assert root.find("testcase/failure[@type='LPI014']") is not None
    data = json.loads(base64.b64decode(classroom.render(unscored_error_report())))
    assert sum(test["score"] for test in data["tests"]) == 15 and data["max_score"] == 15
    assert [test["status"] for test in data["tests"] if test["test_code"] == "LPI014"] == ["fail"]


def test_junit_output_is_well_formed_and_has_no_ansi_or_control_characters():
    xml_text = render(graded_report(), "junit")
    root = ET.fromstring(xml_text)
    assert root.tag == "testsuite" and root.get("failures") == "2" and root.get("tests") == "6"
    assert "\x1b" not in xml_text and "\x07" not in xml_text
    failure = root.find("testcase/failure[@type='app_imports']")
    assert failure is not None and "<red & bold>" in failure.get("message")


def test_junit_clean_removes_escape_sequences_and_xml_invalid_characters():
    assert junit.clean("\x1b[1;31mred\x1b[0m\x00\x0b ok \ufffe") == "red ok "


def test_an_error_report_is_an_error_in_every_machine_format():
    report = error_report()
    assert report.exit_code == 2
    assert json.loads(base64.b64decode(classroom.render(report)))["status"] == "error"
    assert ET.fromstring(junit.render(report)).get("errors") == "1"
    assert "could not happen" in report.summary()


def test_the_report_renders_itself_in_a_notebook_and_as_text():
    report = graded_report()
    assert report._repr_html_() == render(report, "html")
    assert str(report) == render(report, "text")
    assert "&lt;red &amp; bold&gt;" in report._repr_html_()


def test_the_terminal_view_shows_the_table_the_fixes_and_the_layers():
    text = terminal.render(graded_report(), width=160)
    assert "Score 26/36" in text
    assert "How to fix: Install libpq5 in the runtime stage." in text
    assert "COPY --from=builder /opt/venv /opt/venv" in text and "base image python:3.13-slim: 2 layers" in text
    assert "dir:def" not in text


def test_exit_codes_follow_the_status():
    report = graded_report()
    assert report.exit_code == 1
    report.passed, report.status = True, "passed"
    assert report.exit_code == 0


def test_every_format_the_cli_offers_has_a_reporter():
    from checker.commands.grade import FORMATS as CLI_FORMATS

    assert set(CLI_FORMATS) <= set(FORMATS)
    for fmt in FORMATS:
        assert isinstance(render(graded_report(), fmt), str)


@pytest.mark.parametrize("folder, base", [(".", ""), ("notebooks", "../"), ("exercises/07-smaller-still", "../../")])
def test_in_a_notebook_lesson_links_start_from_the_notebooks_folder(monkeypatch, folder, base):
    # JupyterLab resolves a link in an output from the notebook's folder, where its kernel runs.
    from checker.settings import REPO_ROOT

    monkeypatch.chdir(REPO_ROOT / folder)
    report = graded_report()
    lesson = next(check.lesson for check in report.checks if check.lesson)
    html_text = report._repr_html_()
    assert f"href='{base}{lesson}'" in html_text
    assert (REPO_ROOT / folder / base / lesson.partition("#")[0]).resolve().is_file()


@pytest.mark.parametrize("fmt", HUMAN_FORMATS + ("json",))
def test_a_check_that_was_not_judged_says_so_and_is_neither_a_pass_nor_a_failure(fmt):
    text = _readable(build_failed_report(), fmt)
    assert "the image did not build" in text, fmt
    assert ('"not_judged": "the image did not build"' if fmt == "json" else "not judged") in text.lower(), fmt


def test_not_judged_rows_carry_no_tick_and_what_to_fix_lists_only_judged_failures_build_first():
    report = build_failed_report()
    text = render(report, "text")
    rows = {line.split()[1]: line.split()[0] for line in text.splitlines() if line.startswith("  ") and "/" in line
            and line.split()[0] in {"PASS", "FAIL", "INFO", "----"}}
    assert rows == {"builds": "FAIL", "app_imports": "----", "LPI001": "----", "LPI006": "FAIL"}
    fix = text.split("What to fix:")[1].split("\n\n")[0]
    assert [line.split(":")[0] for line in fix.splitlines() if line.startswith("- ")] == ["- builds", "- LPI006"]
    terminal_text = render(report, "terminal")
    assert "✔" not in terminal_text, "a rule that holds while the build failed is no tick beside 0 points"
    assert "✘ app_imports" not in terminal_text and "✘ LPI001" not in terminal_text
    root = ET.fromstring(render(report, "junit"))
    assert (root.get("failures"), root.get("skipped")) == ("3", "2")  # builds, LPI006 and the unscored LPI013
    assert [case.get("name").split(":")[0] for case in root if case.find("skipped") is not None] == ["app_imports", "LPI001"]
    payload = json.loads(base64.b64decode(render(report, "classroom")))
    assert [t["message"] for t in payload["tests"] if t["name"].startswith("LPI001")] == [
        "Not judged: the image did not build (on its own it finds no problem)."]


@pytest.mark.parametrize("fmt", ["text", "terminal", "markdown", "html"])
def test_a_zero_point_advice_row_shows_an_advice_mark_not_a_tick_or_a_cross(fmt):
    report = graded_report()
    row = next(line for line in render(report, fmt).replace("</tr>", "\n").splitlines() if "healthcheck" in line)
    assert "advice" in row.lower() or "INFO" in row, row
    assert not any(mark in row for mark in ("PASS", "FAIL", "✔", "✘", "✅", "❌", "&#10004;", "&#10008;")), row


def test_the_build_tail_repeats_no_line_and_the_cause_comes_before_the_lines():
    from checker.reporters import build_tail

    build = build_failed_report().build
    assert build_tail(build) == ["checking", "", "note: this error comes from a subprocess", "", "no such package"]
    text = render(build_failed_report(), "text")
    section = text.split("Build failed after")[1]
    for line in ("E: Unable to locate package libpq-devel", "note: this error comes from a subprocess"):
        assert section.count(line) == 1, line
    cause = section.index("Likely cause:")
    assert cause < section.index("The lines that explain it:") < section.index("Last lines of that step")


def test_a_report_read_back_from_its_json_renders_the_same_in_every_format():
    from checker.report import Report

    for make in (graded_report, build_failed_report, error_report, unscored_error_report):
        again = Report.from_dict(json.loads(render(make(), "json")))
        for fmt in FORMATS:
            assert render(again, fmt) == render(make(), fmt), (make.__name__, fmt)


def test_a_failed_build_is_placed_by_its_line_with_the_instruction_once_and_spaces_collapsed():
    from checker.reporters import failed_at, render

    report = build_failed_report()
    report.build.failed_step = "RUN apt-get update     && apt-get install -y libpq-devv"
    report.build.failed_line = 7
    assert failed_at(report.build) == "line 7: RUN apt-get update && apt-get install -y libpq-devv"
    report.build.failed_line = None
    report.build.failed_step = None
    assert failed_at(report.build) == ""
    assert "Build failed at ?" not in render(report, "terminal")
    assert "at ?" not in render(report, "text")


def test_the_terminal_shows_rubric_and_dockerfile_text_literally_no_emoji_codes_or_markup():
    from checker.reporters import render

    report = build_failed_report()
    report.build.failed_step = 'RUN echo "[/]" [red]x'
    failed = next(check for check in report.checks if not check.passed)
    failed.title = "No :shell: in the image"
    shown = render(report, "terminal")
    assert 'RUN echo "[/]" [red]x' in shown and ":shell:" in shown
