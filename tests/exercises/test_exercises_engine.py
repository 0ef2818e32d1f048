"""On the real engine: every solution scores full marks, every starter fails, and every
wrong-answer fixture fails the check its ``expect`` file names.

Each exercise's answers (solution, starter, wrong answers) are graded together as one small
class through ``grade-class`` with two jobs: the same path a teacher uses, and the builds share
the layer cache (the answers share their build-stage prefix).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from checker import classroom, exercises
from exercise_hints import CAPSTONE, capstone_answer_from_hints

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
WRONG = ROOT / "tests" / "exercises" / "wrong"
#: Other correct answers, each of which must score full marks (e.g. the capstone without lesson 7's trims).
RIGHT = ROOT / "tests" / "exercises" / "right"
EXERCISES = sorted(p.parent.name for p in (ROOT / "exercises").glob("[0-9][0-9]-*/rubric.toml"))


def answers(exercise: str, scratch: Path) -> dict[str, Path]:
    """Student name -> folder holding the answer (Dockerfile and maybe .dockerignore).

    Exercise 06 also gets the answer its hints lead to, written under ``scratch``.
    """
    found = {"solution": ROOT / "solutions" / exercise, "starter": ROOT / "exercises" / exercise}
    if exercise == CAPSTONE.name:
        found["followed-the-hints"] = capstone_answer_from_hints(scratch / "followed-the-hints")
    for folder in sorted((WRONG / exercise).glob("*/")):
        if (folder / "Dockerfile").is_file():
            found[f"wrong-{folder.name}"] = folder
    for folder in sorted((RIGHT / exercise).glob("*/")):
        if (folder / "Dockerfile").is_file():
            found[f"right-{folder.name}"] = folder
    return found


_graded: dict[str, dict[str, classroom.StudentResult]] = {}
#: Results are kept here between runs, keyed like grade-class's cache (answer, rubric, app, base
#: image ids and the checker's own source): a rerun with nothing changed grades nothing again.
#: LPI_TEST_GRADES_CACHE="" turns it off.
GRADES_CACHE = os.environ.get("LPI_TEST_GRADES_CACHE", str(ROOT / ".cache" / "test-grades"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory, docker_client):
    def grade(exercise: str) -> dict[str, classroom.StudentResult]:
        if exercise not in _graded:
            submissions = tmp_path_factory.mktemp(f"class-{exercise}")
            for student, folder in answers(exercise, tmp_path_factory.mktemp(f"hints-{exercise}")).items():
                (submissions / student).mkdir()
                for name in exercises.SUBMISSION_FILES:
                    if (folder / name).is_file():
                        shutil.copyfile(folder / name, submissions / student / name)
            out = Path(GRADES_CACHE) / exercise if GRADES_CACHE else submissions / "_grades"
            results = classroom.grade_class(submissions, exercise, out=out, jobs=2, extra_key=classroom.checker_digest() + os.environ.get("DOCKER_HOST", ""),
                                            progress=lambda line: print(f"[{exercise}] {line}"))
            _graded[exercise] = {result.student: result for result in results}
        return _graded[exercise]

    return grade


def explain(result: classroom.StudentResult) -> str:
    checks = (result.report or {}).get("checks") or []
    lines = [f"{result.student}: {result.status} {result.score}/{result.max_score} {result.message}"]
    lines += [f"  {c.get('id')}: {'pass' if c.get('passed') else 'FAIL'} {c.get('message') or c.get('detail') or ''}" for c in checks]
    return "\n".join(lines)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_solution_scores_full_marks(graded, exercise):
    result = graded(exercise)["solution"]
    assert result.status == "graded", explain(result)
    assert result.passed and result.score == result.max_score > 0, explain(result)


def test_following_the_capstones_hints_scores_full_marks(graded):
    # The hint's .dockerignore once lacked venv, **/__pycache__ and .pytest_cache: LPI013 failed, two points below the pass mark.
    result = graded(CAPSTONE.name)["followed-the-hints"]
    assert result.status == "graded", explain(result)
    assert result.passed and result.score == result.max_score > 0, explain(result)


RIGHT_CASES = [(p.parent.name, p.name) for p in sorted(RIGHT.glob("*/*/")) if (p / "Dockerfile").is_file()]


@pytest.mark.parametrize(("exercise", "answer"), RIGHT_CASES, ids=[f"{e}/{a}" for e, a in RIGHT_CASES])
def test_another_correct_answer_scores_full_marks(graded, exercise, answer):
    # 06's size limit is relative to a reference with lesson 7's trims: an answer made of what
    # lessons 2 to 6 teach must still fit it, since exercise 07 comes after.
    result = graded(exercise)[f"right-{answer}"]
    assert result.status == "graded", explain(result)
    assert result.passed and result.score == result.max_score > 0, explain(result)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_starter_does_not_pass(graded, exercise):
    result = graded(exercise)["starter"]
    assert result.status == "graded", explain(result)
    assert not result.passed, explain(result)


WRONG_CASES = [(p.parent.name, p.name) for p in sorted(WRONG.glob("*/*/")) if (p / "Dockerfile").is_file()]


@pytest.mark.parametrize(("exercise", "mistake"), WRONG_CASES, ids=[f"{e}/{m}" for e, m in WRONG_CASES])
def test_a_wrong_answer_fails_the_check_it_gets_wrong_and_does_not_pass(graded, exercise, mistake):
    result = graded(exercise)[f"wrong-{mistake}"]
    expected = (WRONG / exercise / mistake / "expect").read_text().split()
    assert result.status == "graded", explain(result)
    assert set(expected) <= set(result.failed_checks), explain(result)
    # a wrong answer loses points, or fails a required check worth none (LPI014: a secret fails whatever the score)
    required_failed = {c.get("id") for c in (result.report or {}).get("checks") or []
                       if c.get("required") and not c.get("passed")}
    assert not result.passed and (result.score < result.max_score or required_failed), explain(result)
