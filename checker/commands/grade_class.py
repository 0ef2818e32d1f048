"""`python -m checker grade-class SUBMISSIONS --exercise NAME`: grade one folder per student."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import classroom, engine, exercises


def _default_jobs() -> int:
    """One grading per core, at most 2 (a build is CPU-bound), at least one."""
    return max(1, min(os.cpu_count() or 2, 2))


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``grade-class`` on ``subparsers``; returns its parser."""
    parser = subparsers.add_parser(
        "grade-class",
        help="grade a class: one folder per student, in parallel, resumable; writes a CSV gradebook",
        description=(
            "Grade every student folder in SUBMISSIONS (each holding a Dockerfile, and a .dockerignore if the "
            "exercise asks for one) against an exercise's rubric. The build context is the sample app's source "
            "plus the student's Dockerfile and .dockerignore. Writes OUT/gradebook.csv, OUT/results/STUDENT.json "
            "and OUT/reports/STUDENT.md. A rerun reuses every unchanged result (same submission, rubric, app and "
            "base images); an interrupted run loses no finished result."
        ),
    )
    parser.add_argument("submissions", type=Path, help="folder with one sub-folder per student")
    parser.add_argument("--exercise", required=True, help="exercise name or part of it (02, multi-stage, 02-multi-stage)")
    parser.add_argument("--jobs", type=int, default=_default_jobs(), help="builds at once, with one more grading started ahead (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=None, help="where results go (default: SUBMISSIONS/_grades)")
    parser.add_argument("--shard", default=None, metavar="i/n",
                        help="grade only the i-th of n slices of the class (for splitting across CI jobs)")
    parser.add_argument("--engines", default="", metavar="A,B",
                        help="spread the class over these engines, each with --jobs builds at once: names from "
                             "`python -m checker engines list` (default, modern-containerd...) or DOCKER_HOST values "
                             "(default: this engine only)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds one submission may take in all (default: build + run limits + a margin)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Grade the class; 0 when every submission got a verdict, 2 on a bad argument, 130 interrupted."""
    progress = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    out = args.out or args.submissions / "_grades"
    try:
        results = classroom.grade_class(
            args.submissions, args.exercise, out=out, jobs=max(1, args.jobs), shard=args.shard,
            progress=progress, grade_timeout_s=args.timeout, engines=args.engines.split(","),
        )
    except (classroom.ClassroomError, exercises.ExerciseError, engine.EngineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted: finished results are in {out}; run the same command again to grade the rest",
              file=sys.stderr)
        return 130
    graded = [r for r in results if r.status == "graded"]
    passed = sum(r.passed for r in results)
    problems = len(results) - len(graded)
    cached = sum(r.from_cache for r in results)
    print(f"{len(results)} submission(s): {passed} passed, {len(graded) - passed} not passed, "
          f"{problems} not graded; {cached} from cache. Gradebook: {out / 'gradebook.csv'}")
    # A student's failing grade is a result, not an error: exit 0 when every submission got a verdict.
    return 0
