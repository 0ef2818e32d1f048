"""``lean-check check EXERCISE [FOLDER]``: grade one learner's answer to an exercise.

Grades ``FOLDER/Dockerfile`` (default: the exercise's own folder, where the learner edits the
starter) in the context every grader uses: the sample app plus the answer's Dockerfile and
.dockerignore, with the exercise's rubric (:func:`checker.exercises.grade_answer`). The report
options and exit status are ``lean-check grade``'s. Before grading it says on standard error
which .dockerignore the build context gets (:func:`dockerignore_note`), unless ``--quiet``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .grade import add_report_options, grade_and_report


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``check`` on ``subparsers``; returns its parser."""
    parser = subparsers.add_parser(
        "check",
        help="grade your answer to an exercise (its rubric, the sample app as context)",
        description=(
            "Grade the Dockerfile (and .dockerignore) in FOLDER as an answer to EXERCISE: the build context is the "
            "sample app plus those two files, the rubric is exercises/EXERCISE/rubric.toml."
        ),
    )
    parser.add_argument("exercise", metavar="EXERCISE", help="exercise name or part of it (02, multi-stage)")
    parser.add_argument("folder", metavar="FOLDER", type=Path, nargs="?", default=None,
                        help="the folder holding your Dockerfile, or the Dockerfile (default: the exercise's folder)")
    add_report_options(parser)
    parser.set_defaults(run=run)
    return parser


def dockerignore_note(answer: Path) -> str:
    """One sentence: which .dockerignore the build context of ``answer`` (a folder, or its Dockerfile) gets.

    Only the answer's own ``.dockerignore`` is used (a regular file beside the Dockerfile; a symbolic
    link is not copied); the sample app's is never used for a learner's answer, so without one the
    context has none.
    """
    folder = answer if answer.is_dir() else answer.parent
    own = folder / ".dockerignore"
    if own.is_file() and not own.is_symlink():
        return f"the build context uses {own} (the sample app's own .dockerignore is not used for your answer)."
    why = "is a symbolic link, which is not copied" if own.is_symlink() else "does not exist"
    return (f"{own} {why}, so the build context has no .dockerignore: the sample app's own one is not used for your "
            f"answer. Add a .dockerignore beside your Dockerfile to keep .git, virtualenvs and caches out (LPI013).")


def run(args: argparse.Namespace) -> int:
    """Grade the answer; returns 0 passed, 1 not passed, 2 could not grade (one sentence on stderr)."""
    from .. import exercises

    try:
        exercise = exercises.find_exercise(args.exercise)
        folder = args.folder or exercise
        exercises.answer_dockerfile(folder)
    except exercises.ExerciseError as exc:
        print(f"lean-check check: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"lean-check check: {dockerignore_note(Path(folder))}", file=sys.stderr, flush=True)
    return grade_and_report(args, lambda **options: exercises.grade_answer(exercise, folder, **options))
