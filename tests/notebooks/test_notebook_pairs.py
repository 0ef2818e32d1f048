"""The lesson notebooks stay reviewable: paired with py:percent files, committed clean, self-testing.

These tests read files only (no engine, no kernel); nbval runs the notebooks themselves.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
SOURCES = NOTEBOOKS / "src"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
TWINS = sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def _cells(notebook) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_there_are_lessons_00_to_08():
    numbers = [path.name[:2] for path in LESSONS]
    assert numbers == [f"{n:02d}" for n in range(9)], numbers


def test_every_notebook_has_a_py_percent_twin_and_every_twin_a_notebook():
    assert [p.stem for p in LESSONS] == [p.stem for p in TWINS]


def test_the_jupytext_config_pairs_notebooks_with_src_py_percent():
    config = (NOTEBOOKS / "jupytext.toml").read_text()
    assert re.search(r'^formats = "ipynb,src//py:percent"$', config, re.MULTILINE), config


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_when_a_pair_is_read_then_cell_types_and_sources_agree(notebook):
    twin = SOURCES / f"{notebook.stem}.py"
    from_ipynb = jupytext.read(notebook)
    from_py = jupytext.read(twin)
    assert _cells(from_ipynb) == _cells(from_py), (
        f"{notebook.name} and src/{twin.name} disagree: run `jupytext --sync notebooks/src/{twin.name}`"
    )


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(notebook):
    data = nbformat.read(notebook, as_version=4)
    dirty = [i for i, cell in enumerate(data.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{notebook.name}: cells {dirty} have outputs; clear them before committing"
    assert "widgets" not in data.metadata, f"{notebook.name} carries saved widget state"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_each_lesson_opens_with_time_objectives_and_key_points_and_closes_with_a_recap(notebook):
    data = nbformat.read(notebook, as_version=4)
    first = data.cells[0].source
    for field in ("**Time**", "**Objectives**", "**Key points**"):
        assert field in first, f"{notebook.name}: the opening cell lacks {field}"
    markdown = "\n".join(cell.source for cell in data.cells if cell.cell_type == "markdown")
    assert "## Recap" in markdown, f"{notebook.name} has no recap"
    assert "../exercises/" in markdown, f"{notebook.name} links no exercise"


#: A call that measures on the engine: what it returns is asserted on, in its cell or the next one.
_MEASURES = re.compile(r"lesson\.(build_variant|build|run_in)\(")


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_every_cell_that_builds_or_probes_is_followed_by_an_assertion(notebook):
    """nbval runs the lessons in lax mode (outputs are not compared): the assertions are the check."""
    code = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    unchecked = [
        source.splitlines()[0]
        for i, source in enumerate(code)
        if _MEASURES.search(source)
        and "assert " not in source
        and not (i + 1 < len(code) and "assert " in code[i + 1])
    ]
    assert not unchecked, f"{notebook.name}: measured cells with no assertion after them: {unchecked}"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_every_lesson_ends_with_a_self_check(notebook):
    """The self-checks are defined in checker/lesson/quizzes.py and answered in test_self_checks.py."""
    source = (SOURCES / f"{notebook.stem}.py").read_text()
    assert re.search(r"^lesson\.self_check\(", source, re.MULTILINE), f"{notebook.name} has no self-check"
