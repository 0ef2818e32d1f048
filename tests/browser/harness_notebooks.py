"""Tiny notebooks that prove the harness itself: one healthy, one with a deliberate error.

They need no Docker and run in a second, so the detectors (tracebacks, widgets, images) are
checked on known inputs before they are trusted on the course's notebooks.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

WIDGET_CELL = '''\
import ipywidgets as widgets

choice = widgets.Dropdown(options=["apt-get layer", "pip layer"], value="apt-get layer", description="Edit")
feedback = widgets.HTML(value="Prediction: <b>apt-get layer</b> rebuilds")

def on_change(change):
    feedback.value = f"Prediction: <b>{change['new']}</b> rebuilds"

choice.observe(on_change, names="value")
widgets.VBox([choice, feedback])
'''

CHART_CELL = '''\
%matplotlib inline
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(4, 2.5))
ax.bar(["python:3.13", "python:3.13-slim"], [1020, 150])
ax.set_ylabel("MB")
plt.show()
'''

#: A build's progress display, held open for a few seconds as a slow build would.
PROGRESS_CELL = '''\
import time
from checker.lesson.progress import BuildProgress

progress = BuildProgress("a slow build", widgets=True)
for step in range(1, 7):
    progress.line(f"Step {step}/6 : RUN sleep 1")
    time.sleep(1)
summary = progress.finish(ok=True, seconds=6.0, steps=6, cached=0)
'''

#: Folder of the lab root that holds them.
HARNESS_FOLDER = "harness_selftest"
HEALTHY = "healthy.ipynb"
BROKEN = "raises.ipynb"
LONG_RUN = "long_run.ipynb"


def _notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    return nb


def write_harness_notebooks(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    healthy = _notebook(
        [
            new_markdown_cell("# Harness self-test"),
            new_code_cell('print("hello from the harness")'),
            new_code_cell(WIDGET_CELL),
            new_code_cell(CHART_CELL),
        ]
    )
    broken = _notebook(
        [
            new_code_cell('print("before the error")'),
            new_code_cell('raise RuntimeError("deliberate failure for the harness self-test")'),
            new_code_cell('print("never reached")'),
        ]
    )
    # A long notebook whose slow cell sits far above the last one, as in a lesson.
    filler = [new_markdown_cell("\n\n".join(f"Paragraph {n} of the lesson text." for n in range(12)))]
    long_run = _notebook(
        [new_markdown_cell("# A long lesson"), *filler * 3, new_code_cell(PROGRESS_CELL), *filler * 6,
         new_code_cell('print("the last cell")')]
    )
    nbformat.write(long_run, folder / LONG_RUN)
    nbformat.write(healthy, folder / HEALTHY)
    nbformat.write(broken, folder / BROKEN)
    return folder
