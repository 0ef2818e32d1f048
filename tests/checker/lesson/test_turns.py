"""The "your turn" comment (checker/lesson/turns.py), pure: lint results of fixed and unfixed texts
and probe outcomes in, the comment out. No engine; the notebooks' own starting points are read
from the lessons in tests/notebooks/test_your_turn_cells.py."""

from __future__ import annotations

import pytest

from checker import lesson
from checker.lint import lint
from checker.rules import all_rules
from checker.lesson.turns import FAULTS, YourTurn, review

ARGS = lesson.settings.build_args


def _lint(text: str):
    return lint(text, with_hadolint=False, build_args=ARGS)


def test_every_lesson_from_1_to_8_has_a_fault_with_known_rules_and_a_reference_variant():
    known = {r.id for r in all_rules()}
    assert sorted(FAULTS) == [1, 2, 3, 4, 5, 6, 7, 8]
    for number, fault in FAULTS.items():
        assert fault.lesson == number and fault.rules and set(fault.rules) <= known, fault
        assert fault.reference in lesson.VARIANTS, fault
        assert bool(fault.probe) == bool(fault.probe_says), "a probe says what it shows"


def test_when_the_usr_local_copy_is_replaced_by_the_venv_then_the_lesson_3_comment_says_fixed():
    unfixed = review(3, _lint(lesson.variant("usr-local").dockerfile()), built=True, size_bytes=300_000_000,
                     reference_label="`lpi-lesson/multi-stage:latest`", reference_bytes=200_000_000)
    fixed = review(3, _lint(lesson.variant("multi-stage").dockerfile()), built=True, size_bytes=200_000_000,
                   reference_label="`lpi-lesson/multi-stage:latest`", reference_bytes=200_000_000)
    assert not unfixed.fixed and unfixed.lines[0].startswith("**This still has the fault**")
    assert any(line.startswith("LPI004 (line ") for line in unfixed.lines) and "Hint:" in str(unfixed)
    assert "Size: 300 MB, 150% of the lesson's `lpi-lesson/multi-stage:latest` (200 MB)." in unfixed.lines
    assert fixed.fixed and fixed.lines[0].startswith("**Fixed**") and "LPI004" not in str(fixed) and "Hint" not in str(fixed)


def test_lesson_2_is_judged_by_its_probe_when_no_rule_can_see_the_missing_library():
    text = _lint(lesson.variant("multi-stage").dockerfile())
    broken = review(2, text, built=True, probe_ok=False)
    works = review(2, text, built=True, probe_ok=True)
    assert not broken.fixed and "Measured: `import psycopg2` fails in the image." in broken.lines
    assert works.fixed and "Measured: `python -c ...` works in the image." in works.lines


def test_lesson_2_flags_a_dev_package_installed_where_the_runtime_library_belongs():
    dev = lesson.variant("multi-stage").dockerfile().replace("install -y libpq5", "install -y libpq-dev")
    said = review(2, _lint(dev), built=True, probe_ok=True)
    assert not said.fixed and any(line.startswith("LPI003") for line in said.lines)


def test_lesson_4_is_not_fixed_by_an_alpine_runtime_stage_whose_import_fails():
    multi = lesson.variant("multi-stage").dockerfile()
    alpine = multi.replace("\nFROM python:${PYTHON_VERSION}-slim\n", "\nFROM python:${PYTHON_VERSION}-alpine\n")
    said = review(4, _lint(alpine), built=True, probe_ok=False)
    assert not said.fixed and any(line.startswith("Measured: `import psycopg2` fails") for line in said.lines)
    assert review(4, _lint(multi), built=True, probe_ok=True).fixed


def test_lesson_7_is_fixed_only_when_pip_is_gone_from_the_image_too():
    production = _lint(lesson.variant("production").dockerfile())
    assert review(7, production, built=True, probe_ok=False).fixed
    still = review(7, production, built=True, probe_ok=True)
    assert not still.fixed and "Measured: `import pip` still works in the image." in still.lines


def test_lesson_8_is_fixed_when_no_shell_runs_in_the_image():
    bone = _lint(lesson.variant("bone").dockerfile())
    assert review(8, bone, built=True, probe_ok=False).fixed
    still = review(8, bone, built=True, probe_ok=True)
    assert not still.fixed and "Measured: a shell still runs in the image." in still.lines


def test_a_failed_build_is_never_called_fixed_and_names_the_engines_last_words_and_buildkit_lines():
    text = "FROM python:3.13-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask\nUSER 10001\n"
    said = review(6, _lint(text), built=False, build_error="Unknown flag: mount")
    assert not said.fixed and said.lines[0] == "**The build failed**, so nothing could be measured: Unknown flag: mount"
    assert any(line.startswith("Line 2 needs BuildKit") for line in said.lines)
    assert not any(line.startswith("Size:") for line in said.lines)
    on_buildkit = review(6, _lint(text), built=False, build_error="pip failed", builder="buildkit")
    assert not any("BuildKit" in line for line in on_buildkit.lines)


def test_when_lesson_1s_fix_forgets_libc6_dev_the_failed_build_names_the_rule_that_explains_it():
    text = lesson.variant("full-single").dockerfile().replace("FROM python:${PYTHON_VERSION}\n", "FROM python:${PYTHON_VERSION}-slim\n")
    text = text.replace("install -y libpq-dev gcc", "install -y --no-install-recommends libpq-dev gcc")
    said = review(1, _lint(text), built=False, build_error="returned a non-zero code: 1")
    assert not said.fixed and said.lines[0].startswith("**The build failed**")
    assert any(line.startswith("LPI020 (line ") for line in said.lines), said.lines
    assert "libc6-dev" in FAULTS[1].fix


def test_a_text_that_does_not_parse_says_so_and_nothing_else():
    said = review(5, _lint("FROM python:3.13-slim\nFROOM x\n"), built=False)
    assert not said.fixed and len(said.lines) == 1 and said.lines[0].startswith("**This Dockerfile does not parse**")


def test_an_unknown_lesson_is_a_clear_error():
    with pytest.raises(KeyError, match="no 'your turn' for lesson 0; lessons with one: 1, 2, 3, 4, 5, 6, 7, 8"):
        review(0, _lint("FROM scratch\n"), built=True)


def test_the_notebook_shows_the_comment_as_html_with_its_emphasis_and_code():
    findings = _lint(lesson.variant("usr-local").dockerfile())
    shown = YourTurn(review(3, findings, built=True, size_bytes=2, reference_label="`lpi-lesson/multi-stage:latest`",
                            reference_bytes=1), findings, None)._repr_html_()
    assert shown.startswith("<p><b>This still has the fault</b>: the runtime stage copies")
    assert "<code>lpi-lesson/multi-stage:latest</code>" in shown and "**" not in shown
