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


def test_there_are_lessons_00_to_06():
    numbers = [path.name[:2] for path in LESSONS]
    assert numbers == [f"{n:02d}" for n in range(8)], numbers


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


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_every_cell_showing_measurements_is_followed_by_an_assertion(notebook):
    """A cell marked NBVAL_IGNORE_OUTPUT shows measured values: it or the next code cell asserts."""
    code = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    unchecked = [
        source.splitlines()[1] if len(source.splitlines()) > 1 else source
        for i, source in enumerate(code)
        if "# NBVAL_IGNORE_OUTPUT" in source
        and "assert " not in source
        and not (i + 1 < len(code) and "assert " in code[i + 1])
    ]
    assert not unchecked, f"{notebook.name}: measured cells with no assertion after them: {unchecked}"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_every_self_check_is_exercised_by_the_notebook_itself(notebook):
    source = (SOURCES / f"{notebook.stem}.py").read_text()
    quizzes = set(re.findall(r"^(\w+) = lesson\.Quiz\(", source, re.MULTILINE))
    out_of_sight = re.findall(r"^lesson\.self_check\(\"([^\"]+)\"", source, re.MULTILINE)
    assert quizzes or out_of_sight, f"{notebook.name} has no self-check"
    # A self-check defined in checker/lesson/quizzes.py is answered by the test below, never by the notebook.
    assert not quizzes or not out_of_sight, f"{notebook.name} mixes both ways of defining self-checks"
    tested = set(re.findall(r"lesson\.self_test\((\w+)\)", source))
    loops = re.findall(r"for quiz in \(([^)]*)\):\s*\n\s*lesson\.self_test\(quiz\)", source)
    for group in loops:
        tested |= {name.strip() for name in group.split(",") if name.strip()}
    assert quizzes <= tested, f"{notebook.name}: self-checks never exercised: {sorted(quizzes - tested)}"


def test_the_generated_table_of_contents_is_current():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import update_lesson_toc
    finally:
        sys.path.remove(str(REPO / "scripts"))
    assert update_lesson_toc.main(["--check"]) == 0, "run `python scripts/update_lesson_toc.py`"


def test_the_self_checks_defined_out_of_sight_give_feedback_and_pass_only_their_answer():
    from checker import lesson
    from checker.lesson.quizzes import self_check_names

    used = {name for twin in TWINS for name in re.findall(r"^lesson\.self_check\(\"([^\"]+)\"", twin.read_text(), re.MULTILINE)}
    assert used and used <= set(self_check_names())
    for name in self_check_names():
        lesson.self_test(lesson.self_check(name))
