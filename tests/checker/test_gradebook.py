"""The gradebook reads a student's result from the grader's JSON report, by the keys it writes."""

from __future__ import annotations

from checker.gradebook import StudentResult, gradebook_csv
from checker.report import BuildSummary, CheckResult, ImageSummary, Report


def report(**changes) -> Report:
    made = Report(dockerfile="Dockerfile", context=".", rubric="r", rubric_path="r.toml", score=6.0, max_score=10.0,
                  pass_score=7.0, passed=False, status="failed",
                  checks=[CheckResult("builds", "Builds", "dynamic", True, 4.0, 4.0, "ok", ""),
                          CheckResult("health", "Health", "dynamic", False, 0.0, 6.0, "no | answer", "")],
                  build=BuildSummary(ok=True, seconds=3.25), image=ImageSummary(size_bytes=180_000_000, layers=[]))
    for name, value in changes.items():
        setattr(made, name, value)
    return made


def test_a_graded_report_becomes_the_students_line():
    result = StudentResult.from_report("ada", report().to_dict(), key="k", grade_seconds=9.0)
    assert (result.status, result.score, result.max_score, result.passed) == ("graded", 6.0, 10.0, False)
    assert result.failed_checks == ["health"]
    assert (result.image_size_bytes, result.build_seconds) == (180_000_000, 3.25)
    assert gradebook_csv([result]).splitlines()[1] == "ada,graded,6,10,no,health,180.0,3.2,no"
    page = result.markdown("02-multi-stage")
    assert page.startswith("# 02-multi-stage: ada") and "| ❌ | `health` Health | 0/6 | no \\| answer |" in page


def test_a_students_page_is_the_markdown_reporters_view_of_the_stored_report():
    from checker.reporters import markdown

    made = report(checks=[CheckResult("builds", "Builds", "dynamic", False, 0.0, 4.0, "failed", "Fix it."),
                          CheckResult("health", "Health", "dynamic", False, 0.0, 6.0, "Not checked: no image.", "",
                                      not_judged="the image did not build")],
                  score=0.0, verdict="Score 0: the image did not build.", image=None)
    result = StudentResult.from_report("ada", made.to_dict(), key="k", grade_seconds=9.0)
    assert result.failed_checks == ["builds"], "a check that was not judged is not a failed check"
    assert result.markdown("02-multi-stage") == "# 02-multi-stage: ada\n\n" + markdown.render(made)
    assert "not judged: the image did not build" in result.markdown("02-multi-stage")


def test_a_stored_report_that_cannot_be_read_back_still_gives_a_page_with_the_score():
    result = StudentResult("ada", "graded", 3.0, 10.0, failed_checks=["health"], report={"checks": [{"title": "no id"}]})
    page = result.markdown("02-multi-stage")
    assert "**Score: 3 / 10 (not passed)**" in page and "`health`" in page


def test_a_report_of_grading_that_could_not_happen_becomes_a_grader_error_with_its_sentence():
    data = report(status="error", error="No engine answers.", checks=[], build=None, image=None).to_dict()
    result = StudentResult.from_report("bob", data, key="k", grade_seconds=1.0)
    assert (result.status, result.message) == ("grader-error", "No engine answers.")
    assert result.image_size_bytes is None and result.build_seconds is None


def test_a_report_page_in_a_class_folder_links_to_the_lessons_from_where_it_is(tmp_path):
    import re

    from checker import classroom
    from checker.settings import REPO_ROOT

    reports = tmp_path / "class-out" / "reports"
    reports.mkdir(parents=True)
    base = classroom._link_base(reports)
    assert base.endswith("/") and (reports / base).resolve() == REPO_ROOT.resolve()
    lesson = "notebooks/02_multi_stage.ipynb#the-multi-stage-pattern"
    made = report(checks=[CheckResult("builds", "Builds", "dynamic", True, 4.0, 4.0, "ok", "", lesson=lesson)])
    page = StudentResult.from_report("ada", made.to_dict(), key="k", grade_seconds=1.0).markdown("any", link_base=base)
    links = re.findall(r"\]\(([^)#]+\.ipynb)#[^)]*\)", page)
    assert links == [base + "notebooks/02_multi_stage.ipynb"], page
    assert (reports / links[0]).is_file(), "the link leads from the page's folder to the lesson"
