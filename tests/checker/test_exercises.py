"""checker.exercises: finding an exercise, and grading one answer in the shared context."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import exercises, rubric
from checker.report import Report


def make_exercises(root: Path, *names: str) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "rubric.toml").write_text("[[checks]]\nid = \"builds\"\npoints = 1\n")
    return root


def test_an_exercise_is_found_by_its_name_or_a_unique_part_of_it(tmp_path):
    root = make_exercises(tmp_path, "02-multi-stage", "05-cache-order")
    assert exercises.find_exercise("02-multi-stage", root).name == "02-multi-stage"
    assert exercises.find_exercise("cache", root).name == "05-cache-order"
    assert exercises.find_exercise(root / "05-cache-order", root).name == "05-cache-order"


def test_exercise_names_resolve_to_exactly_one_exercise(tmp_path):
    root = make_exercises(tmp_path, "02-multi-stage", "05-cache-order", "12-multi-arch")
    assert exercises.find_exercise("cache", root).name == "05-cache-order"
    assert exercises.find_exercise("02-multi-stage", root).name == "02-multi-stage"
    with pytest.raises(exercises.ExerciseError, match="several"):
        exercises.find_exercise("multi", root)


@pytest.mark.parametrize("name, message", [("99", "No exercise matches"), ("0", "matches several"),
                                           ("  ", "needs a name")])
def test_when_no_single_exercise_matches_then_the_error_says_why(tmp_path, name, message):
    root = make_exercises(tmp_path, "02-multi-stage", "05-cache-order")
    with pytest.raises(exercises.ExerciseError, match=message) as raised:
        exercises.find_exercise(name, root)
    assert isinstance(raised.value, rubric.RubricError), "the grade command reports it as a rubric problem"


def test_the_course_exercises_have_their_solutions():
    exercise = exercises.find_exercise("02")
    assert exercise.parent == exercises.EXERCISES_DIR
    assert (exercises.solution_dir(exercise) / "Dockerfile").is_file()


def test_an_answer_is_graded_in_the_assembled_context_with_the_exercises_rubric(tmp_path, monkeypatch):
    answer = tmp_path / "answer"
    answer.mkdir()
    (answer / "Dockerfile").write_text("FROM scratch\n")
    (answer / "notes.txt").write_text("not for the image")
    seen = {}

    def fake_grade(dockerfile, *, context, rubric, on_line, **options):
        seen.update(names={p.name for p in Path(context).iterdir()}, rubric=Path(rubric), options=options,
                    dockerfile=Path(dockerfile).read_text(), on_line=on_line)
        return Report(dockerfile=str(dockerfile), context=str(context), rubric="r", rubric_path=str(rubric))

    monkeypatch.setattr("checker.grading.grade", fake_grade)
    report = exercises.grade_answer("04", answer, on_line=print, timeout=5)
    assert isinstance(report, Report)
    assert seen["rubric"] == exercises.find_exercise("04") / "rubric.toml"
    assert seen["dockerfile"] == "FROM scratch\n" and seen["on_line"] is print and seen["options"] == {"timeout": 5}
    assert "main.py" in seen["names"] and "notes.txt" not in seen["names"]
    assert not Path(report.context).exists(), "the temporary context is removed afterwards"


def test_when_the_answer_has_no_regular_dockerfile_then_it_is_not_graded(tmp_path):
    with pytest.raises(exercises.ExerciseError, match="There is no Dockerfile in"):
        exercises.grade_answer("02", tmp_path)
    (tmp_path / "Dockerfile").symlink_to("/etc/passwd")
    with pytest.raises(exercises.ExerciseError):
        exercises.answer_dockerfile(tmp_path)
