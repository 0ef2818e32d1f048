"""Lesson 5's layer-cache explorer, used the way the lesson asks: choose, predict, build, compare.

A learner who jumps to the explorer runs the lesson's first cell (the imports) and the
explorer's cell; the explorer needs nothing else. The build it runs is real, and cheap once the
lesson images are cached: the right order with ``main.py`` edited rebuilds only the last steps.
"""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.timeout(1500)]

NOTEBOOK = "notebooks/05_layer_cache.ipynb"
STEP = re.compile(r"step (\d+): (.*)")


def _steps(explorer) -> list[tuple[int, str]]:
    labels = explorer.locator(".widget-checkbox").all_inner_texts()
    return [(int(m.group(1)), m.group(2).strip()) for m in (STEP.search(label) for label in labels) if m]


def _open_explorer(lab):
    lab.open(NOTEBOOK)
    lab.run_cell(lab.cell_containing("from checker import lesson"), timeout_s=120)
    cell = lab.cell_containing("explorer = lesson.CacheExplorer()")
    lab.run_cell(cell, timeout_s=120)
    assert lab.tracebacks() == []
    return cell


def test_cache_explorer_is_a_widget_that_follows_choices_and_checks_a_prediction_with_a_build(
    lab, publish_screenshot
):
    cell = _open_explorer(lab)
    report = lab.widget_report(cell)
    assert report.rendered, report.explain()

    explorer = lab.outputs(cell)
    order, changed = explorer.locator(".widget-dropdown select").all()
    right_steps = _steps(explorer)
    assert right_steps, "the explorer lists no steps to predict"

    # Choosing the other Dockerfile order redraws the steps to predict.
    order.select_option(index=_option(order, "wrong order"))
    _wait_until(lambda: _steps(explorer) != right_steps, lab.page)
    wrong_steps = _steps(explorer)
    assert wrong_steps != right_steps, "changing the order did not change the steps"
    lab.shot("explorer-wrong-order", target=explorer)

    # Back to the right order, edit main.py, predict with the lesson's rule, build for real.
    order.select_option(index=_option(order, "right order"))
    changed.select_option(index=_option(changed, "main.py"))
    _wait_until(lambda: _steps(explorer) == right_steps, lab.page)
    steps = _steps(explorer)
    first_miss = max(number for number, instruction in steps if instruction == "COPY . .")
    for number, _ in steps:
        if number >= first_miss:
            explorer.locator(".widget-checkbox", has_text=f"step {number}:").locator("input").check()
    explorer.locator("button.jupyter-button", has_text="Build and check my prediction").click()
    verdict = explorer.locator(".widget-html", has_text=re.compile("predictions were"))
    verdict.wait_for(timeout=600_000)
    text = verdict.inner_text()
    shot = lab.shot("explorer-verdict", target=explorer, align="end")
    assert "All your predictions were right" in text, text
    publish_screenshot(shot, "layer-cache-explorer.png")

    # A new prediction makes that verdict stale: it goes, and so does the step table.
    explorer.locator(".widget-checkbox", has_text=f"step {steps[0][0]}:").locator("input").check()
    verdict.wait_for(state="detached", timeout=15_000)
    assert "predictions were" not in explorer.inner_text()


def test_run_all_leaves_the_explorer_and_the_self_checks_unanswered(lab):
    """Nothing in lesson 5 predicts, builds in the explorer or answers a quiz for the learner."""
    lab.open(NOTEBOOK)
    lab.run_all(timeout_s=900)
    assert lab.tracebacks() == []
    explorer = lab.outputs(lab.cell_containing("explorer = lesson.CacheExplorer()"))
    assert explorer.locator(".widget-checkbox input:checked").count() == 0, "Run All ticked a prediction"
    assert "predictions were" not in explorer.inner_text(), "Run All left a verdict nobody asked for"
    quizzes = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-radio-box")
    assert quizzes.count() >= 2
    assert lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-radio-box input:checked").count() == 0
    page_text = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").inner_text()
    assert "Right." not in page_text

    # One count per build: its build line and its step table's caption say the same "N of M".
    lines = dict(re.findall(r"^(.+?) \(lpi-lesson/[^)]*\): built in [^,]+, [^,]+, (\d+ of \d+) steps from cache",
                            page_text, re.MULTILINE))
    captions = dict(re.findall(r"^(.+?)(?: \((?:classic|buildkit) builder\))?: (\d+ of \d+) steps from cache$",
                               page_text, re.MULTILINE))
    shared = set(lines) & set(captions)
    assert shared, f"no build both printed a line and showed its steps: lines {lines}, tables {captions}"
    assert {label: lines[label] for label in shared} == {label: captions[label] for label in shared}
    # One size format: never "1,046 MB" beside "1.0 GB".
    assert not re.search(r"\d,\d{3} MB", page_text), re.findall(r".{40}\d,\d{3} MB", page_text)


def test_when_the_widget_manager_is_disabled_then_the_cache_explorer_check_fails(widgetless_lab):
    """The same check, on a JupyterLab where `jupyter labextension disable` removed the widget manager."""
    cell = _open_explorer(widgetless_lab)
    report = widgetless_lab.widget_report(cell)
    widgetless_lab.shot("explorer-as-text", target=cell)
    assert not report.rendered, f"the detector passed an explorer that did not render: {report}"
    assert any(text.lstrip().startswith("VBox(children=") for text in report.fallbacks), report.fallbacks


def _option(select, starts_with: str) -> int:
    """The index of the option whose text starts with ``starts_with`` (ipywidgets writes spaces as NBSP)."""
    labels = [label.replace("\xa0", " ").strip() for label in select.locator("option").all_inner_texts()]
    matches = [index for index, label in enumerate(labels) if label.startswith(starts_with)]
    assert matches, f"no option starting with {starts_with!r} in {labels}"
    return matches[0]


def _wait_until(condition, page, timeout_s: float = 30) -> None:
    for _ in range(int(timeout_s * 4)):
        if condition():
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the explorer did not update within {timeout_s:.0f}s")
