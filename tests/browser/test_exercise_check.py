"""An exercise, as a learner does it: press "Check my Dockerfile", read the report, fix, check again.

Grading builds the learner's image on the real engine. Exercise 03 (runtime deps) is the
cheapest honest one: its starter and its solution share the build stage (psycopg2 compiled
once, then cached), and they differ only in what the runtime stage installs, which the
checker catches (compiler shipped; and without libpq5 the app would not even import).
"""

from __future__ import annotations

import re
import shutil

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1500)]

EXERCISE = "03-runtime-deps"
NOTEBOOK = f"exercises/{EXERCISE}/{EXERCISE}.ipynb"
BUTTON = "Check my Dockerfile"
#: One grading builds and probes an image: generous, because the first build compiles psycopg2.
CHECK_TIMEOUT_MS = 600_000
SCORE = re.compile(r"\b(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\b|\b(\d{1,3})\s*%")


def _score(text: str) -> str | None:
    match = SCORE.search(text)
    return match.group(0) if match else None


def _check(lab, panel, step: str) -> str:
    """Press the button, see progress, wait for the report; return the panel's text."""
    couldnt = panel.locator(".widget-html", has_text="could not run")
    panel.locator("button.jupyter-button", has_text=BUTTON).click()
    # Progress: the button says so and is disabled, the progress bar and the build log show up.
    checking = panel.locator("button.jupyter-button:disabled", has_text="Checking")
    checking.or_(couldnt).first.wait_for(timeout=15_000)
    assert not couldnt.count(), f"the check could not run: {couldnt.first.inner_text()}"
    panel.locator(".widget-progress").first.wait_for(state="visible", timeout=15_000)
    build_log = panel.locator(".jp-OutputArea-output", has_text=re.compile(r"Step \d+/\d+"))
    build_log.or_(couldnt).first.wait_for(timeout=120_000)
    lab.shot(f"{step}-checking", target=panel)
    # Done: the button is back, the report is rendered.
    panel.locator("button.jupyter-button:enabled", has_text=BUTTON).wait_for(timeout=CHECK_TIMEOUT_MS)
    lab.page.wait_for_timeout(500)
    lab.shot(f"{step}-report", target=panel)
    text = panel.inner_text()
    assert not couldnt.count(), f"the check could not run: {couldnt.first.inner_text()}"
    return text


def test_check_button_shows_progress_then_a_scored_report_and_passes_once_fixed(
    lab, lab_root, publish_screenshot
):
    dockerfile = lab_root / "exercises" / EXERCISE / "Dockerfile"
    solution = lab_root / "solutions" / EXERCISE / "Dockerfile"
    assert dockerfile.is_file() and solution.is_file(), "exercise starter or solution missing from the course copy"
    assert dockerfile.read_text() != solution.read_text(), "the starter already is the solution"

    lab.open(NOTEBOOK)
    lab.run_all(timeout_s=120)
    assert lab.tracebacks() == []
    panel = lab.cell_containing("exercise_panel(")
    widgets = lab.widget_report(panel)
    assert widgets.rendered, widgets.explain()
    lab.shot("panel")

    first = _check(lab, panel, "starter")
    first_score = _score(first)
    assert first_score, f"no score in the report: {first[:1500]}"
    assert not _looks_passed(first), f"the starter Dockerfile passed the check: {first[:1500]}"

    # The learner fixes the Dockerfile (here: takes the reference answer) and checks again.
    shutil.copyfile(solution, dockerfile)
    second = _check(lab, panel, "fixed")
    assert _score(second), f"no score in the report: {second[:1500]}"
    assert _looks_passed(second), f"the fixed Dockerfile did not pass: {second[:1500]}"
    assert _score(second) != first_score

    report_shot = sorted(lab.artifacts.glob("*-fixed-report.png"))[-1]
    publish_screenshot(report_shot, "exercise-check-passed.png")


def _looks_passed(text: str) -> bool:
    lowered = text.lower()
    if re.search(r"\bnot passed\b|\bfailed\b|\bfail\b(?!ed)", lowered) and not re.search(r"\bpassed\b(?! *: *no)", lowered):
        return False
    return bool(re.search(r"\bpass(ed)?\b|all checks pass", lowered))
