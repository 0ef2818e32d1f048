"""An exercise, as a learner does it: press "Check my Dockerfile", read the report, fix, check again.

Grading builds the learner's image on the real engine. Exercise 04 (runtime deps) is the
cheapest honest one: its starter and its solution share the build stage (psycopg2 compiled
once, then cached), and they differ only in what the runtime stage installs, which the
checker catches (compiler shipped; and without libpq5 the app would not even import).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass

import pytest

from labserver import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1500)]

EXERCISE = "04-runtime-deps"
BUTTON = "Check my Dockerfile"
#: One grading builds and probes an image: generous, because the first build compiles psycopg2.
CHECK_TIMEOUT_MS = 600_000
#: The report's headline, as checker/reporters/html.py writes it.
HEADLINE = re.compile(r"^(Passed|Not passed):")
SCORE = re.compile(r"score ([\d.]+)/([\d.]+), pass mark ([\d.]+)")


@dataclass
class SeenReport:
    """What the learner reads at the top of the rendered report."""

    verdict: str
    score: float
    max_score: float
    pass_mark: float
    text: str = ""
    """The whole report as the browser shows it (folded details included in the DOM text)."""

    @property
    def passed(self) -> bool:
        return self.verdict == "Passed"


def _check(lab, panel, step: str) -> SeenReport:
    """Press the button, see progress, wait for the rendered report; return what it says."""
    couldnt = panel.locator(".widget-html", has_text=re.compile("could not run|Grading could not happen"))
    panel.locator("button.jupyter-button", has_text=BUTTON).click()
    # Progress: the button says so and is disabled, the progress bar and the build log show up.
    checking = panel.locator("button.jupyter-button:disabled", has_text="Checking")
    checking.or_(couldnt).first.wait_for(timeout=15_000)
    assert not couldnt.count(), f"the check could not run: {couldnt.first.inner_text()}"
    panel.locator(".widget-hprogress").first.wait_for(state="visible", timeout=15_000)
    build_log = panel.locator(".jp-OutputArea-output", has_text=re.compile(r"Step \d+/\d+"))
    build_log.or_(couldnt).first.wait_for(timeout=120_000)
    lab.shot(f"{step}-checking", target=panel)
    # Done: the button is back and the report is rendered.
    panel.locator("button.jupyter-button:enabled", has_text=BUTTON).wait_for(timeout=CHECK_TIMEOUT_MS)
    assert not couldnt.count(), f"the check could not run: {couldnt.first.inner_text()}"
    report = panel.locator(".lpi-report")
    report.wait_for(timeout=15_000)
    lab.shot(f"{step}-report", target=panel)
    text = report.inner_text()
    headline = HEADLINE.search(text)
    score = SCORE.search(text)
    assert headline and score, f"the report has no verdict or score: {text[:1500]}"
    return SeenReport(headline.group(1), *(float(value) for value in score.groups()), text=text)


def test_check_button_shows_progress_then_a_scored_report_and_passes_once_fixed(
    lab, lab_root, publish_screenshot
):
    """Opened from the lesson list's link; grades the learner's copy of the Dockerfile, not the course's."""
    dockerfile = lab_root / "exercises" / EXERCISE / "Dockerfile"
    solution = REPO_ROOT / "solutions" / EXERCISE / "Dockerfile"
    assert dockerfile.is_file() and solution.is_file(), "exercise starter (in the copy) or solution (in the repo) missing"
    assert dockerfile.read_text() != solution.read_text(), "the starter already is the solution"
    course_starter = (REPO_ROOT / "exercises" / EXERCISE / "Dockerfile").read_text()

    lab.follow_link(lab.open_start_page(), EXERCISE)
    lab.wait_for_tab(f"{EXERCISE}.ipynb", "Exercise 04")
    lab.wait_for_kernel()
    lab.run_all(timeout_s=120)
    assert lab.tracebacks() == []
    panel = lab.outputs(lab.cell_containing("exercise_panel("))
    widgets = lab.widget_report(lab.cell_containing("exercise_panel("))
    assert widgets.rendered, widgets.explain()

    first = _check(lab, panel, "starter")
    assert not first.passed and first.score < first.pass_mark, first

    # The learner fixes the Dockerfile (here: takes the reference answer) and checks again.
    shutil.copyfile(solution, dockerfile)
    second = _check(lab, panel, "fixed")
    assert second.passed and second.score >= second.pass_mark, second
    assert second.score > first.score
    # One builder named (the one this engine's grade used), one step count, the learner's lines for layers.
    built = re.search(r"Built with (BuildKit|the classic builder) in [\d.]+ s \((\d+) of (\d+) steps from cache\)", second.text)
    assert built and int(built.group(2)) <= int(built.group(3)), second.text[:2000]
    assert "sha256:" not in second.text and "base image python:" in second.text, second.text[:3000]
    assert (REPO_ROOT / "exercises" / EXERCISE / "Dockerfile").read_text() == course_starter, "the course's file is untouched"

    report_shot = sorted(lab.artifacts.glob("*-fixed-report.png"))[-1]
    publish_screenshot(report_shot, "exercise-check-passed.png")
