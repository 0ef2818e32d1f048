"""The lessons, as a learner meets them in JupyterLab: the list, a full run, the charts.

Only the fast lesson (00, the environment check) is run from top to bottom here; the other
lessons run in full under nbval (``make test``), which checks their assertions. What only a
browser can show is checked here: that the learner sees the lessons, a clean run, and real images.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from labserver import REPO_ROOT

pytestmark = pytest.mark.browser

LESSONS = sorted(path.name for path in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FAST_LESSON = "00_environment.ipynb"


def _tracked_changes() -> str:
    """``git status --porcelain`` of the checkout (the learner's copy is git-ignored, so it never shows)."""
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True, timeout=60).stdout


def test_lesson_list_shows_every_lesson_notebook_and_opens_one(lab):
    assert len(LESSONS) >= 7, f"expected lessons 00 to 06 in notebooks/, found {LESSONS}"
    lab.open("notebooks")
    names = lab.file_browser_names()
    missing = [name for name in LESSONS if name not in names]
    assert not missing, f"file browser lacks {missing}; it shows {names}"
    lab.widen_file_browser()
    lab.shot("lesson-list")
    # A double-click in the list opens the lesson.
    lab.page.locator(".jp-DirListing-item", has_text=FAST_LESSON).dblclick()
    lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) h1", has_text="Your build environment").wait_for()
    lab.wait_for_kernel()
    lab.shot("lesson-opened")


@pytest.mark.docker
@pytest.mark.timeout(900)
def test_environment_lesson_runs_every_cell_without_a_traceback_and_saving_it_changes_no_tracked_file(
    lab, lab_root
):
    assert FAST_LESSON in LESSONS, f"notebooks/{FAST_LESSON} is missing"
    before = _tracked_changes()
    lab.open(f"notebooks/{FAST_LESSON}")
    lab.run_all(timeout_s=600)
    lab.save()
    saved = json.loads((lab_root / "notebooks" / FAST_LESSON).read_text())
    assert any(cell.get("outputs") for cell in saved["cells"]), "the run's outputs were saved in the learner's copy"
    assert _tracked_changes() == before, "running and saving a lesson changed tracked files"
    lab.shot("after-run-all", full_page=True)
    errors = lab.tracebacks()
    assert errors == [], "a cell failed:\n\n" + "\n\n".join(text[-1500:] for text in errors)
    prompts = lab.code_cells().locator(".jp-InputArea-prompt").all_inner_texts()
    assert prompts and all(prompt.strip("[]: ").isdigit() for prompt in prompts), prompts


@pytest.mark.docker
@pytest.mark.timeout(900)
def test_environment_lesson_self_check_quiz_is_a_widget_that_answers_clicks(lab):
    lab.open(f"notebooks/{FAST_LESSON}")
    lab.run_all(timeout_s=600)
    quiz = lab.cell_containing('lesson.self_check("using-cache")')
    report = lab.widget_report(quiz)
    assert report.rendered, report.explain()

    widget = lab.outputs(quiz)
    # Run All answered nothing: no option selected, no feedback, and the cell shows no answer.
    assert widget.locator(".widget-radio-box input:checked").count() == 0, "Run All selected an answer"
    assert "Right" not in widget.inner_text() and "answer" not in lab.outputs(quiz).inner_text().lower()
    assert "answer=" not in quiz.locator(".jp-InputArea-editor").inner_text(), "the answer is in the cell"
    assert "`" not in widget.inner_text(), "the question shows raw Markdown"
    assert widget.locator(".widget-radio-box label").count() >= 2
    feedback = widget.locator(".widget-html").last
    check = widget.locator("button.jupyter-button", has_text="Check")
    # A wrong answer gets a hint; the right one gets the explanation.
    widget.get_by_text("The classic builder is in use", exact=True).click()
    check.click()
    feedback.filter(has_text="Not this one").wait_for()
    lab.shot("quiz-wrong", target=widget)
    widget.get_by_text("The result of an earlier build was reused", exact=False).click()
    check.click()
    feedback.filter(has_text="Right").wait_for()
    lab.shot("quiz-right", target=widget)
