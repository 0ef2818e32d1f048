"""Lesson 2 (multi-stage) in the browser: its charts are images, its size explorer is a widget.

The lesson is run once (Run > Run All Cells) and the tests inspect the result. Its builds come
from the engine's cache once lessons 1 and 2 have run (about 25 s here); on a cold engine the run
compiles psycopg2 for three images, hence the long limit.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.docker]

NOTEBOOK = "notebooks/02_multi_stage.ipynb"
#: What a chart looks like when it did not render as an image.
COLD_RUN_S = 1200
FIGURE_AS_TEXT = re.compile(r"<Figure size \d+x\d+ with \d+ Axes>")


@pytest.fixture(scope="module")
def lesson(module_lab):
    module_lab.open(NOTEBOOK)
    module_lab.run_all(timeout_s=COLD_RUN_S)
    return module_lab


@pytest.mark.timeout(COLD_RUN_S + 300)
def test_multi_stage_lesson_runs_without_a_traceback(lesson):
    errors = lesson.tracebacks()
    assert errors == [], "a cell failed:\n\n" + "\n\n".join(text[-1500:] for text in errors)


def test_multi_stage_lesson_charts_are_decoded_images_not_text(lesson):
    chart_cell = lesson.cell_containing("lesson.size_bars(")
    charts = lesson.image_report(chart_cell)
    assert charts.all_decoded and len(charts.sizes) == 1, charts.sizes
    width, height = charts.sizes[0]
    assert width >= 200 and height >= 100, f"the chart is a {width}x{height} image"
    lesson.shot("size-chart", target=lesson.outputs(chart_cell))

    everything = lesson.image_report()
    assert everything.all_decoded and len(everything.sizes) >= 2, everything.sizes
    texts = " ".join(lesson.outputs(cell).inner_text() for cell in lesson.code_cells().all())
    assert not FIGURE_AS_TEXT.search(texts), "a chart was shown as its text repr instead of an image"


def test_size_explorer_is_a_widget_and_redraws_when_another_image_is_chosen(lesson):
    cell = lesson.cell_containing("lesson.SizeExplorer(")
    report = lesson.widget_report(cell)
    assert report.rendered, report.explain()
    explorer = lesson.outputs(cell)
    dropdown = explorer.locator(".widget-dropdown select")
    assert dropdown.count() == 1
    options = dropdown.locator("option").all_inner_texts()
    assert len(options) >= 3, options
    drawn = explorer.locator(".widget-output")
    # Run All chose nothing for the learner: no image selected, nothing drawn.
    assert dropdown.evaluate("select => select.selectedIndex") == -1, "Run All selected an image"
    assert drawn.locator(".jp-RenderedImage img").count() == 0, "Run All drew a chart nobody asked for"
    dropdown.select_option(index=0)
    drawn.locator(".jp-RenderedImage img").first.wait_for(timeout=60_000)
    before = drawn.inner_text()
    lesson.shot("size-explorer-before", target=explorer)

    other = len(options) - 1
    dropdown.select_option(index=other)
    lesson.page.wait_for_function(
        "([element, before]) => element.innerText !== before && element.querySelector('.jp-RenderedImage img')",
        arg=[drawn.element_handle(), before],
        timeout=60_000,
    )
    after = lesson.image_report(drawn)
    assert after.all_decoded and after.sizes, after.sizes
    assert lesson.outputs(cell).locator(".widget-dropdown select").evaluate("s => s.selectedIndex") == other
    lesson.shot("size-explorer-after", target=explorer)


def test_smaller_and_faster_size_explorer_lists_the_engines_lesson_images_and_draws_the_chosen_one(lesson, lab):
    """Lesson 07's explorer lists every kept lesson image; lesson 02 (above) has kept three of them."""
    lab.open("notebooks/07_smaller_and_faster.ipynb")
    lab.run_cell(lab.cell_containing("from checker import"), timeout_s=120)
    cell = lab.cell_containing("explorer = lesson.SizeExplorer()")
    lab.run_cell(cell, timeout_s=120)
    assert lab.tracebacks() == []
    report = lab.widget_report(cell)
    assert report.rendered, report.explain()
    explorer = lab.outputs(cell)
    dropdown = explorer.locator(".widget-dropdown select")
    options = [text.replace("\xa0", " ") for text in dropdown.locator("option").all_inner_texts()]
    assert len(options) >= 3, f"the explorer lists {options}"
    drawn = explorer.locator(".widget-output")
    assert drawn.locator(".jp-RenderedImage img").count() == 0, "nothing is drawn before a choice"
    dropdown.select_option(index=len(options) - 1)
    drawn.locator(".jp-RenderedImage img").first.wait_for(timeout=60_000)
    after = lab.image_report(drawn)
    assert after.all_decoded, after.sizes
    assert "layer" in drawn.inner_text(), "the layer table is missing"
    lab.shot("lesson-07-size-explorer", target=explorer)
