"""The course's exercises, and grading one answer to one of them.

An exercise is a folder ``exercises/NN-name/`` holding a ``rubric.toml`` (and the learner's
starter ``Dockerfile``); its reference answer is ``solutions/NN-name/``. An answer is graded in
the same build context everywhere (the notebook's "Check my Dockerfile", ``lean-check check``,
``lean-check grade-class``): the sample app's source plus the answer's ``Dockerfile`` and
``.dockerignore`` (:func:`assemble_context`), so sizes compare fairly and nothing else from the
learner's folder reaches the engine.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from .rubric import RubricError
from .settings import PACKAGED_COURSE_DIR, REPO_ROOT, CourseFilesMissing, course_dir

try:
    #: Where the course's files are: a checkout, ``$LPI_COURSE_DIR`` or the package's copy (:func:`checker.settings.course_dir`).
    COURSE_DIR = course_dir()
    #: None when :data:`COURSE_DIR` was found; else why not (said when an exercise is looked up).
    COURSE_MISSING: str | None = None
except CourseFilesMissing as _missing:
    COURSE_DIR, COURSE_MISSING = PACKAGED_COURSE_DIR, str(_missing)
EXERCISES_DIR = COURSE_DIR / "exercises"
SOLUTIONS_DIR = COURSE_DIR / "solutions"
SAMPLE_APP_DIR = COURSE_DIR / "sample_app"
#: Files of sample_app/ that are not the app's source (they belong to the reference build).
APP_EXCLUDED_NAMES = frozenset({"Dockerfile", ".dockerignore", "README.md", "__pycache__", ".venv", "venv",
                                ".pytest_cache", ".mypy_cache", ".ruff_cache"})
APP_EXCLUDED_SUFFIXES = (".pyc", ".pyo")
#: What an answer's folder may contribute to the build context.
SUBMISSION_FILES = ("Dockerfile", ".dockerignore")


class ExerciseError(RubricError):
    """No exercise (or no answer) to grade: the message says which and what exists.

    A :class:`checker.rubric.RubricError`, since the exercise's rubric is what cannot be found.
    """


def find_exercise(name: str | Path, exercises_dir: Path = EXERCISES_DIR) -> Path:
    """The exercise folder named ``name`` or whose name contains it (``02``, ``multi-stage``).

    An exercise folder is one with a ``rubric.toml``. A ``Path`` to such a folder is returned
    as is. Raises :class:`ExerciseError` when no exercise or several match.
    """
    if isinstance(name, Path) and (name / "rubric.toml").is_file():
        return name
    name = str(name).strip().strip("/")
    if not name:
        raise ExerciseError("--exercise needs a name (for example 02 or multi-stage).")
    if not exercises_dir.is_dir():
        raise ExerciseError(COURSE_MISSING if COURSE_MISSING and exercises_dir == EXERCISES_DIR
                            else f"There is no exercises folder at {exercises_dir}.")
    exact = exercises_dir / name
    if (exact / "rubric.toml").is_file():
        return exact
    matches = sorted(p.parent for p in exercises_dir.glob(f"*{name}*/rubric.toml") if p.is_file())
    if not matches:
        available = sorted(p.parent.name for p in exercises_dir.glob("*/rubric.toml"))
        raise ExerciseError(f"No exercise matches {name!r} (exercises with a rubric: {', '.join(available) or 'none'}).")
    if len(matches) > 1:
        raise ExerciseError(f"{name!r} matches several exercises: {', '.join(p.name for p in matches)}; be more specific.")
    return matches[0]


def solution_dir(exercise: Path) -> Path:
    """The reference answer of an exercise folder: ``solutions/<same name>/``."""
    return SOLUTIONS_DIR / exercise.name


def app_files(app_dir: Path = SAMPLE_APP_DIR) -> list[Path]:
    """The sample app's source files, relative to ``app_dir``, sorted."""
    found = []
    for path in sorted(app_dir.rglob("*")):
        rel = path.relative_to(app_dir)
        if any(part in APP_EXCLUDED_NAMES or part.startswith("Dockerfile.") for part in rel.parts):
            continue
        if path.is_file() and not path.name.endswith(APP_EXCLUDED_SUFFIXES):
            found.append(rel)
    return found


def answer_dockerfile(answer: Path) -> Path:
    """The Dockerfile of an answer: ``answer`` itself when it is a file, else ``answer/Dockerfile``.

    Raises :class:`ExerciseError` when that is not a regular file (a symbolic link is not
    followed, as :func:`assemble_context` does not copy one).
    """
    dockerfile = answer if answer.is_file() else answer / "Dockerfile"
    if not dockerfile.is_file() or dockerfile.is_symlink():
        raise ExerciseError(f"There is no Dockerfile in {answer} (a regular file named Dockerfile).")
    return dockerfile


def assemble_context(submission: Path, dest: Path, *, app_dir: Path = SAMPLE_APP_DIR) -> Path:
    """Build context = the sample app's source + the submission's Dockerfile and .dockerignore.

    ``submission`` is a folder holding a ``Dockerfile`` (or the path of the Dockerfile itself).
    Symbolic links in the submission are not followed: only regular files are copied. Returns
    ``dest`` (created when missing).
    """
    folder = submission if submission.is_dir() else submission.parent
    dockerfile = submission if submission.is_file() else submission / "Dockerfile"
    dest.mkdir(parents=True, exist_ok=True)
    for rel in app_files(app_dir):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(app_dir / rel, target)
    for name, source in (("Dockerfile", dockerfile), (".dockerignore", folder / ".dockerignore")):
        if source.is_file() and not source.is_symlink():
            shutil.copyfile(source, dest / name)
    return dest


def grade_answer(exercise: str | Path, answer: Path, *, on_line=None, **grade_options: Any):
    """Grade one answer to an exercise on the engine; returns the :class:`checker.report.Report`.

    ``exercise`` is a name for :func:`find_exercise` or an exercise folder; ``answer`` is a folder
    holding a ``Dockerfile`` (and maybe a ``.dockerignore``) or the Dockerfile itself. The
    context is :func:`assemble_context`'s, in a temporary folder removed afterwards; the rubric
    is the exercise's ``rubric.toml``. ``on_line`` receives the build's output line by line;
    ``grade_options`` go to :func:`checker.grading.grade` (``on_phase``, ``timeout`` in seconds,
    ``keep_cache``...). Like ``grade``, never raises for the answer's mistakes or the engine's
    (``report.status == "error"``); raises :class:`ExerciseError` when the exercise is unknown or
    the answer has no Dockerfile (:func:`answer_dockerfile`).
    """
    from .grading import grade

    exercise_dir = find_exercise(exercise)
    answer_dockerfile(Path(answer))
    with tempfile.TemporaryDirectory(prefix="lpi-check-") as tmp:
        context = assemble_context(Path(answer), Path(tmp) / "context")
        return grade(context / "Dockerfile", context=context, rubric=exercise_dir / "rubric.toml", on_line=on_line,
                     **grade_options)
