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
