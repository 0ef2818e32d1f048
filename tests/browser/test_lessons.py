"""The lessons, as a learner meets them in JupyterLab: the list, a full run, the charts.

Only the fast lesson (00, the environment check) is run from top to bottom here; the other
lessons run in full under nbval (``make test``), which checks their assertions. What only a
browser can show is checked here: that the learner sees the lessons, a clean run, and real images.
"""

from __future__ import annotations

import pytest

from labserver import REPO_ROOT

pytestmark = pytest.mark.browser

LESSONS = sorted(path.name for path in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FAST_LESSON = "00_environment.ipynb"


def test_lesson_list_shows_every_lesson_notebook(lab, publish_screenshot):
    assert len(LESSONS) >= 7, f"expected lessons 00 to 06 in notebooks/, found {LESSONS}"
    lab.open("notebooks")
    names = lab.file_browser_names()
    shot = lab.shot("lesson-list")
    missing = [name for name in LESSONS if name not in names]
    assert not missing, f"file browser lacks {missing}; it shows {names}"
    publish_screenshot(shot, "lesson-list.png")


@pytest.mark.docker
@pytest.mark.timeout(900)
def test_environment_lesson_runs_every_cell_without_a_traceback(lab):
    assert FAST_LESSON in LESSONS, f"notebooks/{FAST_LESSON} is missing"
    lab.open(f"notebooks/{FAST_LESSON}")
    lab.run_all(timeout_s=600)
    lab.shot("after-run-all", full_page=True)
    errors = lab.tracebacks()
    assert errors == [], "a cell failed:\n\n" + "\n\n".join(text[-1500:] for text in errors)
    prompts = lab.code_cells().locator(".jp-InputArea-prompt").all_inner_texts()
    assert prompts and all(prompt.strip("[]: ").isdigit() for prompt in prompts), prompts
