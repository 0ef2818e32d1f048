"""The detectors are tested on notebooks whose outcome we know, before they judge the course.

A detector that never fails proves nothing: each one is shown a healthy page (it must pass) and
a broken one (it must fail). The broken widget case is the real failure mode: JupyterLab without
the ipywidgets manager extension shows ``VBox(children=...`` text where the explorer should be.
"""

from __future__ import annotations

import pytest

from harness_notebooks import BROKEN, HARNESS_FOLDER, HEALTHY
from labserver import WIDGET_MANAGER_EXTENSION

pytestmark = pytest.mark.browser


def test_when_healthy_notebook_runs_then_no_traceback_widget_reacts_and_chart_is_an_image(lab):
    lab.open(f"{HARNESS_FOLDER}/{HEALTHY}")
    lab.run_all(timeout_s=120)
    assert lab.tracebacks() == []

    cell = lab.cell_containing("widgets.VBox")
    report = lab.widget_report(cell)
    assert report.rendered, report.explain()
    assert cell.locator(".widget-dropdown select").count() == 1

    cell.locator(".widget-dropdown select").select_option(label="pip layer")
    feedback = cell.locator(".widget-html")
    feedback.filter(has_text="pip layer").wait_for()
    lab.shot("widget-reacted", target=cell)

    images = lab.image_report()
    assert images.all_decoded, f"chart images not decoded: {images.sizes}"
    assert len(images.sizes) == 1


def test_when_a_cell_raises_then_the_traceback_detector_reports_it(lab):
    lab.open(f"{HARNESS_FOLDER}/{BROKEN}")
    lab.run_all(timeout_s=120)
    lab.shot("traceback")
    errors = lab.tracebacks()
    assert len(errors) == 1 and "deliberate failure" in errors[0], errors
    # Run All stops at the error: the learner never sees the last cell's output.
    assert "never reached" not in lab.output_text(lab.cell_containing("never reached"))


def test_when_widget_extension_is_disabled_then_widget_detector_reports_failure(widgetless_lab):
    lab = widgetless_lab
    lab.open(f"{HARNESS_FOLDER}/{HEALTHY}")
    disabled = lab.page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).disabledExtensions"
    )
    assert WIDGET_MANAGER_EXTENSION in disabled, "the broken setup did not take effect"
    lab.run_all(timeout_s=120)

    cell = lab.cell_containing("widgets.VBox")
    report = lab.widget_report(cell)
    lab.shot("widget-text-fallback", target=cell)
    assert not report.rendered, f"detector passed a page with no widget manager: {report}"
    assert report.views == []
    assert any(text.lstrip().startswith("VBox(children=") for text in report.fallbacks), report.fallbacks
    assert "did NOT render" in report.explain()


def test_under_run_all_a_builds_progress_bar_is_brought_into_view_and_gone_when_it_ends(lab):
    """JupyterLab jumps to the last cell on Run All; the running build's bar must be on screen anyway."""
    from harness_notebooks import HARNESS_FOLDER, LONG_RUN

    lab.open(f"{HARNESS_FOLDER}/{LONG_RUN}")
    toolbar = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar")
    toolbar_before = toolbar.bounding_box()
    lab.menu("Run", "Run All Cells")
    bar = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-hprogress")
    bar.first.wait_for(state="visible", timeout=60_000)
    lab.page.wait_for_timeout(1500)
    frame = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer").bounding_box()
    box = bar.first.bounding_box()
    lab.shot("progress-during-run-all")
    assert frame and box, "no notebook frame or progress bar"
    assert toolbar.bounding_box() == toolbar_before, "the scroll moved the page around the notebook (its toolbar)"
    assert frame["y"] <= box["y"] <= frame["y"] + frame["height"] - box["height"], (
        f"the progress bar is off screen during the build: bar at y={box['y']:.0f}, notebook shows "
        f"y={frame['y']:.0f} to {frame['y'] + frame['height']:.0f}"
    )
    lab.page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]"
        ".some(e => e.innerText.includes('the last cell'))", timeout=60_000)
    progress_cell = lab.cell_containing("BuildProgress(")
    text = lab.output_text(progress_cell)
    assert text.count("a slow build: built") == 1, text
    assert bar.count() == 0 or not bar.first.is_visible(), "the bar stays after the build ended"
