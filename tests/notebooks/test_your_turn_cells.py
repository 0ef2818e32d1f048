"""Each lesson's "your turn" cell, read from the notebook: it starts with the lesson's fault, the
course checks say so, and a learner's fix changes the comment (issue 18). Pure: the notebooks are
read as files, the texts linted, the probe outcomes given; the builds are nbval's and
tests/checker/lesson/test_turns_engine.py's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from checker import lesson
from checker.lesson.turns import FAULTS, review
from checker.lesson.variants import RUNTIME_LIBS
from checker.dockerfile import parse
from checker.lint import lint

REPO = Path(__file__).resolve().parents[2]
_CALL = re.compile(r"lesson\.your_turn\(my_dockerfile, lesson=(\d+)\)")

#: A learner's fix of each starting point: the smallest edit that removes the lesson's fault.
FIXES = {
    1: lambda t: t.replace("FROM python:${PYTHON_VERSION}\n", "FROM python:${PYTHON_VERSION}-slim\n")
                  .replace("install -y libpq-dev gcc", "install -y --no-install-recommends libpq-dev gcc libc6-dev"),
    2: lambda t: t.replace("\nFROM python:${PYTHON_VERSION}-slim\n", "\nFROM python:${PYTHON_VERSION}-slim\n" + RUNTIME_LIBS),
    3: lambda t: lesson.variant("multi-stage").dockerfile(),
    4: lambda t: t.replace("FROM python:${PYTHON_VERSION}\n", "FROM python:${PYTHON_VERSION}-slim\n"),
    5: lambda t: t.replace("COPY . .\nRUN pip install", "COPY requirements.txt .\nRUN pip install", 1),
    6: lambda t: t.replace("COPY --from=builder", "RUN useradd --system --uid 10001 app\nCOPY --from=builder")
                  .replace("CMD uvicorn main:app --host 0.0.0.0 --port 8000",
                           'USER 10001\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]'),
    7: lambda t: t.replace("install -y libpq5", "install -y --no-install-recommends libpq5")
                  .replace("python -m venv /opt/venv", "python -m venv --without-pip /opt/venv")
                  .replace("RUN pip install", "RUN pip --python /opt/venv/bin/python install"),
    8: lambda t: t.replace("FROM rootfs\n", "FROM scratch\nCOPY --from=rootfs /rootfs /\n"),
}
#: What each lesson's probe answers for the starting point and for the fix (None: no probe).
PROBE = {2: (False, True), 4: (True, True), 7: (True, False), 8: (True, False)}


def _starting_point(number: int) -> str:
    notebook = next((REPO / "notebooks").glob(f"{number:02d}_*.ipynb"))
    cells = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    texts = [cell for cell in cells if cell.startswith('my_dockerfile = r"""')]
    calls = [int(found) for cell in cells for found in _CALL.findall(cell)]
    assert len(texts) == 1 and calls == [number], f"{notebook.name}: one editable cell and one call for lesson {number}"
    value = ast.literal_eval(texts[0].split("=", 1)[1].strip())
    assert isinstance(value, str)
    return value


def _said(number: int, text: str, probe_ok: bool | None):
    return review(number, lint(text, with_hadolint=False, build_args=lesson.settings.build_args), built=True,
                  probe_ok=probe_ok, size_bytes=100_000_000, reference_label="`ref`", reference_bytes=100_000_000)


@pytest.mark.parametrize("number", sorted(FAULTS))
def test_the_lessons_starting_point_still_has_its_fault_and_the_learners_fix_changes_the_comment(number):
    start = _starting_point(number)
    before, after = PROBE.get(number, (None, None))
    unfixed = _said(number, start, before)
    assert not unfixed.fixed and unfixed.lines[0] == f"**This still has the fault**: {FAULTS[number].fault}."
    edited = FIXES[number](start)
    assert edited != start, "the fix edits the text"
    fixed = _said(number, edited, after)
    assert fixed.fixed and fixed.lines[0].startswith("**Fixed**"), fixed.lines
    assert "Hint:" in str(unfixed) and "Hint:" not in str(fixed)


@pytest.mark.parametrize("number", sorted(FAULTS))
def test_the_starting_point_reuses_the_lessons_cached_steps(number):
    """Every instruction of the starting point but the faulty ones is one some lesson variant already builds."""
    start = _starting_point(number)
    built = {instruction.raw for spec in lesson.VARIANTS.values() for instruction in parse(spec.dockerfile()).instructions}
    new = [instruction.raw for instruction in parse(start).instructions if instruction.raw not in built]
    assert len(new) <= 2, f"lesson {number}'s starting point builds {new} that no lesson variant has"
