"""`python -m bench checker`: the checker's three speed goals (issue 21), measured in one run, in minutes.

1. a full grade of the reference Dockerfile on a warm cache, over the bare ``engine.build`` + run
   + ``GET /health`` of the same Dockerfile: at most 1.2. The two are measured in alternation
   (bare, grade, bare, grade...), so load from other work on the machine falls on both alike;
   the figure is the median of each grade's ratio to the bare run just before it (min-max: the
   extreme pairs);
2. a class of 30 (bench/classroom.py's mix) graded by ``grade-class`` with its default jobs: at
   least 30 submissions a minute, the serial and the parallel grades agreeing;
3. static lint under hadolint's own time on the same Dockerfile: lint / hadolint at most 1.

Writes the figures into ``bench/results.json`` (key ``checker_goals``) and re-renders
``bench/RESULTS.md``; exits 1 when a goal is missed, 2 when nothing could be measured.
``--only grade,lint`` (any of ``grade``, ``class``, ``lint``) measures only those goals and
prints their verdicts, for a check in a minute or two while working on one: such a partial run
writes nothing (the record is a whole run's), and exits 1 only when one of those goals is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import goals as goal_rules
from . import report, stats
from .lab import Lab, machine

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
APP = REPO / "sample_app"

GRADE_OVER_BARE = 1.2
SUBMISSIONS_PER_MINUTE = 30.0
LINT_OVER_HADOLINT = 1.0
PARTS = ("grade", "class", "lint")
"""What ``--only`` may name: the goals' measurements, in the order they run."""
_GOAL_OF_PART = {"grade": "grade-vs-bare", "class": "class-throughput", "lint": "lint-vs-hadolint"}


def goals(measured: dict) -> list[goal_rules.Goal]:
    """The three goals judged on ``measured`` (what :func:`measure` returns); a missing figure is a missed goal.

    The class goal is stated as minutes per submission (at most 1/30), so that every goal reads
    "at most"; its value is None when serial and parallel grades disagree.
    """
    ratio = (measured.get("grade_over_bare") or {}).get("median")
    lint = (measured.get("lint_over_hadolint") or {}).get("median")
    room = measured.get("classroom") or {}
    rate = (room.get("parallel") or {}).get("submissions_per_minute")
    agree = room.get("serial_and_parallel_grades_agree")
    return [
        goal_rules.at_most("grade-vs-bare", f"full grade / bare build + run + health <= {GRADE_OVER_BARE:g}", ratio,
                           GRADE_OVER_BARE, "the reference Dockerfile (sample_app/Dockerfile), warm cache"),
        goal_rules.at_most("class-throughput", f"class of 30: minutes per submission <= 1/{SUBMISSIONS_PER_MINUTE:g} "
                           f"(>= {SUBMISSIONS_PER_MINUTE:g} a minute)",
                           (1 / rate) if (rate and agree) else None, 1 / SUBMISSIONS_PER_MINUTE,
                           f"grade-class with its default jobs ({room.get('jobs', '?')}); "
                           f"{rate if rate else 'no'} submissions a minute; serial and parallel agree: {agree}"),
        goal_rules.at_most("lint-vs-hadolint", f"static lint / hadolint <= {LINT_OVER_HADOLINT:g}", lint,
                           LINT_OVER_HADOLINT, "the reference Dockerfile (sample_app/Dockerfile)"),
    ]


def measure(lab: Lab, *, runs: int = 5, students: int = 30, jobs: int | None = None, say=print,
            parts: tuple[str, ...] = PARTS) -> dict:
    """Measure the figures of ``parts`` (of :data:`PARTS`); returns a JSON-ready dict (errors are recorded, never raised)."""
    import importlib

    from checker.grading import grade

    lint_module = importlib.import_module("checker.lint")  # the module (``checker.lint`` is also a function)

    out: dict = {"runs": runs}
    dockerfile = APP / "Dockerfile"
    if "lint" in parts:
        say("lint and hadolint")
        _lint(out, dockerfile, lint_module, runs)
    if "grade" in parts:
        say(f"grade vs bare, {runs} of each in alternation (warm cache)")
        _grade_vs_bare(out, lab, dockerfile, grade, runs)
    if "class" in parts:
        say(f"a class of {students} with grade-class's default jobs (and serially, to compare)")
        out["classroom"] = classroom(students=students, jobs=jobs)
    return out


def _lint(out: dict, dockerfile: Path, lint_module, runs: int) -> None:
    """Static lint and hadolint on ``dockerfile``, ``runs`` times each: into ``out`` (or ``lint_error``)."""
    try:
        lint_stat, _ = stats.timed(lambda: lint_module.lint(dockerfile, with_hadolint=False), runs, warmup=1)
        out["lint"] = lint_stat.to_dict()
        hadolint = Path(sys.executable).parent / "hadolint"
        if not hadolint.exists():
            raise RuntimeError(f"no hadolint binary at {hadolint}")
        had_stat, _ = stats.timed(lambda: subprocess.run([str(hadolint), "--no-fail", str(dockerfile)],
                                                         capture_output=True, timeout=60), runs, warmup=1)
        out["hadolint"] = had_stat.to_dict()
        out["lint_over_hadolint"] = stats.ratio(lint_stat, had_stat).to_dict()
    except Exception as exc:
        out["lint_error"] = f"{type(exc).__name__}: {exc}"


def _grade_vs_bare(out: dict, lab: Lab, dockerfile: Path, grade, runs: int) -> None:
    """``runs`` bare runs and grades in alternation, warm cache: into ``out`` (or ``grade_error``)."""
    try:
        context = lab.stage(APP, "grade")
        text = dockerfile.read_text()
        lab.build("bare", context, text)  # warm the build cache
        grade(dockerfile, context=APP, keep_cache=False)  # warm what the grader keeps
        bare_s: list[float] = []
        grade_s: list[float] = []
        timings: list[dict] = []
        for _ in range(runs):
            started = time.perf_counter()
            built = lab.build("bare", context, text)
            lab.serve_and_probe(built.tag)
            bare_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            graded = grade(dockerfile, context=APP, keep_cache=False)
            grade_s.append(time.perf_counter() - started)
            if graded.status == "error":
                raise RuntimeError(f"the grade failed: {graded.error}")
            timings.append({key: round(value, 3) for key, value in graded.timings.items()})
        out["bare"] = stats.of(bare_s, "s").to_dict()
        out["grade"] = stats.of(grade_s, "s").to_dict()
        out["grade_timings"] = timings
        # Each grade over the bare run just before it: load from other work drifts, and a pair
        # shares it. The goal's figure is the median of these ratios, their min and max its range.
        out["grade_over_bare"] = stats.of([g / b for g, b in zip(grade_s, bare_s)], "x").to_dict()
    except Exception as exc:
        out["grade_error"] = f"{type(exc).__name__}: {exc}"


def classroom(*, students: int = 30, jobs: int | None = None) -> dict:
    """bench/classroom.py's class, graded serially (one at a time, none ahead), then with ``jobs`` builds at once.

    ``jobs`` defaults to grade-class's own default, as does the number of gradings started ahead.
    """
    import inspect

    from checker import classroom as room
    from checker import exercises

    from . import classroom as bench_class

    parameters = inspect.signature(room.grade_class).parameters
    default_jobs = parameters["jobs"].default
    ahead = parameters["ahead"].default if "ahead" in parameters else 0
    jobs = jobs or default_jobs
    exercise = exercises.find_exercise("04-runtime-deps")
    try:
        with tempfile.TemporaryDirectory(prefix="lpi-bench-class-") as tmp:
            work = Path(tmp)
            warm = work / "warm"
            bench_class.make_class(exercise, warm, len(bench_class.sources(exercise)), distinct=False)
            warm_s, _ = bench_class.timed(warm, exercise.name, work / "warm-out", jobs)
            kinds = bench_class.make_class(exercise, work / "class", students)
            serial_s, serial = bench_class.timed(work / "class", exercise.name, work / "serial-out", 1, ahead=0)
            parallel_s, parallel = bench_class.timed(work / "class", exercise.name, work / "parallel-out", jobs)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    agree = {r.student: (r.score, r.passed) for r in serial} == {r.student: (r.score, r.passed) for r in parallel}
    phases: dict[str, list[float]] = {}
    for graded in parallel:  # where one grading's time goes, from each child's own report
        for name, seconds in ((graded.report or {}).get("timings") or {}).items():
            phases.setdefault(name, []).append(float(seconds))
    return {
        "phase_medians_parallel": {name: round(stats.of(values, "s").median, 2) for name, values in sorted(phases.items())},
        "grade_seconds_parallel": stats.of([r.grade_seconds for r in parallel], "s").to_dict(),
        "exercise": exercise.name, "students": students, "jobs": jobs, "default_jobs": default_jobs, "ahead": ahead,
        "mix": {kind: list(kinds.values()).count(kind) for kind in sorted(set(kinds.values()))},
        "warmup_seconds": round(warm_s, 1),
        "serial": {"wall_seconds": round(serial_s, 1), "submissions_per_minute": round(60 * students / serial_s, 2)},
        "parallel": {"wall_seconds": round(parallel_s, 1),
                     "submissions_per_minute": round(60 * students / parallel_s, 2)},
        "serial_and_parallel_grades_agree": agree,
        "passed": sum(r.passed for r in parallel),
        "not_graded": sum(r.status != "graded" for r in parallel),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure, store, render, print the verdicts; 1 when a goal is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench checker", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="grades and bare runs, each (default 5)")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=None, help="grade-class jobs (default: its own default)")
    parser.add_argument("--out", type=Path, default=HERE, help="where results.json and RESULTS.md are")
    parser.add_argument("--only", default="", metavar="PART[,PART]",
                        help=f"measure only these of {','.join(PARTS)} and print their verdicts; writes nothing")
    args = parser.parse_args(argv)
    parts = tuple(part for part in PARTS if part in {p.strip() for p in args.only.split(",")}) if args.only else PARTS
    unknown = {p.strip() for p in args.only.split(",") if p.strip()} - set(PARTS)
    if unknown or not parts:
        parser.error(f"--only takes some of {', '.join(PARTS)} (not {', '.join(sorted(unknown)) or 'nothing'})")
    started = time.perf_counter()
    say = lambda text: print(f"[bench checker {time.perf_counter() - started:5.0f}s] {text}", flush=True)
    lab = Lab(log=say)
    load_start = os.getloadavg()[0]
    try:
        measured = measure(lab, runs=args.runs, students=args.students, jobs=args.jobs, say=say, parts=parts)
    finally:
        lab.cleanup()
    measured["seconds"] = round(time.perf_counter() - started, 1)
    measured["machine"] = {**machine(), "load_average_1m_start": load_start, "load_average_1m_end": os.getloadavg()[0]}
    measured["generated"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    judged = goals(measured)
    if parts != PARTS:  # a partial run: its verdicts only, nothing written
        judged = [goal for goal in judged if goal.id in {_GOAL_OF_PART[part] for part in parts}]
        for key in ("grade", "bare", "grade_over_bare", "lint", "hadolint", "lint_over_hadolint"):
            if key in measured:
                print(f"  {key}: {report.format_stat(stats.Stat.from_dict(measured[key]))}")
        for row in measured.get("grade_timings") or []:
            print(f"  grade phases: {row}")
        return _verdicts(judged)
    measured["goals"] = [goal.to_dict() for goal in judged]
    results_file = args.out / "results.json"
    try:
        results = json.loads(results_file.read_text())
    except (OSError, ValueError):
        results = {}
    results["checker_goals"] = measured
    args.out.mkdir(parents=True, exist_ok=True)
    results_file.write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "RESULTS.md").write_text(report.render(results))
    return _verdicts(judged)


def _verdicts(judged: list[goal_rules.Goal]) -> int:
    """Print each goal's verdict; 1 when one is missed, else 0."""
    for goal in judged:
        value = "not measured" if goal.value is None else f"{goal.value:.3f}"
        print(f"  goal {goal.id}: {goal.statement}: {value} -> {goal.verdict()} ({goal.subject})")
    missed = goal_rules.missed(judged)
    if missed:
        print("bench checker: goals missed: " + ", ".join(goal.id for goal in missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
