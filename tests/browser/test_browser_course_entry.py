"""The learner's first minute in `make lab`: the course opens, every door leads somewhere.

The server is started by scripts/lab.py, the code `make lab` runs, over a learner's copy it
prepared (see conftest.py). No engine is needed: nothing here runs a cell.
"""

from __future__ import annotations

import pytest

from labserver import REPO_ROOT

pytestmark = pytest.mark.browser

LESSONS = sorted(path.name for path in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted(path.name for path in (REPO_ROOT / "exercises").glob("[0-9][0-9]-*"))


def test_the_lab_opens_on_the_rendered_lesson_list_without_launcher_or_news(lab, publish_screenshot):
    start = lab.open_start_page()
    assert "the lessons" in start.locator("h1").first.inner_text()
    assert lab.tab_labels() == ["README.md"], f"open tabs: {lab.tab_labels()}"
    assert start.locator("table a").count() >= len(LESSONS), "the lesson list is rendered, with its links"
    # JupyterLab would ask about news a moment after start: give it that moment.
    lab.page.wait_for_timeout(3000)
    assert lab.page.locator(".jp-Launcher:visible").count() == 0, "the generic Launcher greets the learner"
    toasts = lab.page.locator(".Toastify__toast").all_inner_texts()
    assert not [t for t in toasts if "news" in t.lower()], f"a news pop-up: {toasts}"
    names = lab.file_browser_names()
    assert set(LESSONS) <= set(names) and "src" not in names and "jupytext.toml" not in names, names
    lab.widen_file_browser()
    publish_screenshot(lab.shot("lesson-list"), "lesson-list.png")


def test_the_copys_root_holds_the_lessons_the_exercises_and_the_sample_app(lab):
    lab.open("")
    names = lab.file_browser_names()
    assert {"notebooks", "exercises", "sample_app"} <= set(names), names


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_exercise_opens_from_the_lesson_list(lab, exercise):
    start = lab.open_start_page()
    lab.follow_link(start, exercise)
    assert lab.opened_path(f"{exercise}.ipynb") == f"exercises/{exercise}/{exercise}.ipynb"


def test_a_lessons_recap_link_opens_its_exercise(lab):
    lab.open("notebooks/02_multi_stage.ipynb")
    notebook = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    recap = notebook.locator(".jp-MarkdownCell .jp-RenderedMarkdown", has_text="Exercise:").last
    lab.follow_link(recap, "02-multi-stage")
    assert lab.opened_path("02-multi-stage.ipynb") == "exercises/02-multi-stage/02-multi-stage.ipynb"
