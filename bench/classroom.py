"""Benchmark: grading throughput of `grade-class` for a class of 30 mixed submissions.

    python bench/classroom.py [--students 30] [--jobs 2] [--exercise 04-runtime-deps]

One run measures, on warm base images and a warm build cache:

* ``serial``: the class graded one by one (``--jobs 1``);
* ``parallel``: the same class with ``--jobs N`` (default 2, one per core);
* ``resume``: the parallel run again on the same output folder: every result is reused.

A warm-up pass first grades each distinct Dockerfile once (not timed), so both timed passes
meet the same build cache. Submissions are the exercise's solution, its starter and its wrong
answers from ``tests/exercises/wrong/``, cycled, each with a comment naming its student (a
comment changes the submission's hash, so no result is reused across students, but not the
engine's layer cache). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import classroom, exercises  # noqa: E402


def sources(exercise: Path) -> list[tuple[str, Path]]:
    """(kind, folder) for each distinct answer we can hand in for this exercise."""
    found = [("solution", exercises.solution_dir(exercise)), ("starter", exercise)]
    wrong = ROOT / "tests" / "exercises" / "wrong" / exercise.name
    found += [(f"wrong-{p.name}", p) for p in sorted(wrong.iterdir()) if (p / "Dockerfile").is_file()] if wrong.is_dir() else []
    return found


def make_class(exercise: Path, dest: Path, students: int, *, distinct: bool = True) -> dict[str, str]:
    """Write ``students`` folders under ``dest`` cycling :func:`sources`; returns student -> kind.

    ``distinct`` adds a comment naming the student, so no two submissions hash the same.
    """
    kinds = {}
    answers = sources(exercise)
    for number in range(students):
        kind, folder = answers[number % len(answers)]
        student = f"student-{number + 1:02d}"
        target = dest / student
        target.mkdir(parents=True)
        text = (folder / "Dockerfile").read_text()
        if distinct:
            text = f"# submitted by {student}\n{text}"
        (target / "Dockerfile").write_text(text)
        if (folder / ".dockerignore").is_file():
            shutil.copyfile(folder / ".dockerignore", target / ".dockerignore")
        kinds[student] = kind
    return kinds


def timed(submissions: Path, exercise: str, out: Path, jobs: int,
          **options) -> tuple[float, list[classroom.StudentResult]]:
    """Grade the class once (``options`` go to ``grade_class``, e.g. ``ahead=0``); returns (wall-clock seconds, results)."""
    started = time.monotonic()
    results = classroom.grade_class(submissions, exercise, out=out, jobs=jobs, progress=lambda line: None, **options)
    return time.monotonic() - started, results


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--exercise", default="04-runtime-deps")
    args = parser.parse_args(argv)
    exercise = exercises.find_exercise(args.exercise)
    with tempfile.TemporaryDirectory(prefix="lpi-bench-class-") as tmp:
        work = Path(tmp)
        warm = work / "warm"
        make_class(exercise, warm, len(sources(exercise)), distinct=False)
        warm_seconds, _ = timed(warm, exercise.name, work / "warm-out", args.jobs)
        kinds = make_class(exercise, work / "class", args.students)
        serial_seconds, serial = timed(work / "class", exercise.name, work / "serial-out", 1, ahead=0)
        parallel_seconds, parallel = timed(work / "class", exercise.name, work / "parallel-out", args.jobs)
        resume_seconds, resumed = timed(work / "class", exercise.name, work / "parallel-out", args.jobs)
    agree = {r.student: (r.score, r.passed) for r in serial} == {r.student: (r.score, r.passed) for r in parallel}
    report = {
        "benchmark": "classroom",
        "exercise": exercise.name,
        "students": args.students,
        "jobs": args.jobs,
        "cpu_count": os.cpu_count(),
        "mix": {kind: list(kinds.values()).count(kind) for kind in sorted(set(kinds.values()))},
        "warmup_seconds": round(warm_seconds, 1),
        "serial": {"wall_seconds": round(serial_seconds, 1),
                   "submissions_per_minute": round(60 * args.students / serial_seconds, 2)},
        "parallel": {"wall_seconds": round(parallel_seconds, 1),
                     "submissions_per_minute": round(60 * args.students / parallel_seconds, 2)},
        "speedup_over_serial": round(serial_seconds / parallel_seconds, 2),
        "resume_all_cached": {"wall_seconds": round(resume_seconds, 1),
                              "from_cache": sum(r.from_cache for r in resumed)},
        "serial_and_parallel_grades_agree": agree,
        "passed": sum(r.passed for r in parallel),
        "not_graded": sum(r.status != "graded" for r in parallel),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
