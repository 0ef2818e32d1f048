"""`make bench`: measure, write bench/results.json and bench/RESULTS.md, exit 1 if a goal is missed.

    python -m bench              sizes, lower bound, rebuilds, checker cost (about 15 minutes on 2 cores)
    python -m bench --classroom  the same plus bench/classroom.py: a class of 30 graded twice (slow)
    python -m bench --ci-cost    the same plus the course CI's own wall time (slow: runs the test suite)
    python -m bench checker      only the checker's speed goals (grade / bare, class throughput, lint): minutes
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from checker import engine, images

from . import goals as goal_rules
from . import measure, report
from .lab import BENCH_LABEL, Lab, machine

HERE = Path(__file__).resolve().parent
SECTIONS = ("sizes", "bound", "import", "bone", "rebuild", "checker")
BENCH_BUDGET_S = 20 * 60


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["checker"]:
        from . import checker_goals

        return checker_goals.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--ci-cost", action="store_true", help="also time the course CI (setup, pytest, nbval): slow")
    parser.add_argument("--classroom", action="store_true",
                        help="also run bench/classroom.py (30 submissions graded serially and in parallel): slow")
    parser.add_argument("--ci-runs", type=int, default=measure.SLOW_RUNS, help="runs of each CI part (default 3)")
    parser.add_argument("--ci-warmup", type=int, default=1,
                        help="unmeasured runs of each CI part first (default 1; 0 right after a full test run)")
    parser.add_argument("--skip", default="", help=f"comma-separated sections to skip, of {','.join(SECTIONS)} (for development)")
    parser.add_argument("--out", type=Path, default=HERE, help="where results.json and RESULTS.md go")
    parser.add_argument("--clean", action="store_true", help="only remove what any earlier bench run left on the engine")
    parser.add_argument("--render", action="store_true", help="only re-render RESULTS.md from an existing results.json")
    args = parser.parse_args(argv)
    if args.render:
        results = json.loads((args.out / "results.json").read_text())
        (args.out / "RESULTS.md").write_text(report.render(results))
        print(f"bench: rendered {args.out / 'RESULTS.md'} from {args.out / 'results.json'}")
        return 0
    if args.clean:
        removed = engine.remove_containers(BENCH_LABEL), engine.remove_images(BENCH_LABEL)
        print(f"bench: removed {removed[0]} containers and {removed[1]} images labelled {BENCH_LABEL}")
        return 0
    # A TERM (a CI job's timeout) unwinds like Ctrl-C, so the clean-up below still runs.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    started = time.perf_counter()
    say = lambda text: print(f"[bench {time.perf_counter() - started:6.0f}s] {text}", flush=True)
    settings_ = Lab().settings
    results: dict = {"generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "errors": []}
    try:
        results["engine"] = vars(engine.info())
    except engine.EngineError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    results["machine"] = machine()
    results["base_images"] = [images.describe(ref).to_dict() for ref in settings_.course_images]
    missing = [b["ref"] for b in results["base_images"] if not b["available"] and b["ref"] != settings_.alpine_image]
    if missing:
        print(f"bench: base images {missing} are not on this engine: run `make setup` first", file=sys.stderr)
        return 2

    lab = Lab(settings=settings_, log=say)
    built: dict = {}
    try:
        if "sizes" not in skip:
            say("1. image sizes (and the reference's cold builds)")
            built = _section(results, "sizes", lambda: measure.images_and_cold_builds(lab, results)) or {}
        if "bound" not in skip and "reference" in built:
            say("2. lower bound and techniques")
            _section(results, "bound", lambda: measure.bound_and_techniques(lab, results, built))
        if "import" not in skip and "reference" in built:
            say("2b. import time with and without .pyc")
            _section(results, "import", lambda: measure.import_time(lab, results, built))
        if "bone" not in skip:
            say("2c. the bone image (solutions/08-to-the-bone)")
            _section(results, "bone", lambda: measure.bone(lab, results, built))
        if "rebuild" not in skip:
            say("3. rebuild cost")
            _section(results, "rebuild", lambda: measure.rebuilds(lab, results, warm="reference" in built))
        if "checker" not in skip:
            say("4. checker cost")
            _section(results, "checker", lambda: measure.checker_cost(lab, results, classroom=args.classroom))
    finally:
        say("removing what the bench built")
        problems = lab.cleanup()
        if problems:
            results["errors"].extend(f"cleanup: {p}" for p in problems)
    results["bench_s"] = time.perf_counter() - started
    results["machine"]["load_average_1m_end"] = os.getloadavg()[0]
    if args.ci_cost:
        say("5. course CI cost (opt-in)")
        _section(results, "ci", lambda: measure.ci_cost(results, args.ci_runs, warmup=args.ci_warmup))
    else:
        results["ci"] = {"measured": False, "reason": "opt-in and not requested: run `python -m bench --ci-cost`"}

    results["duration_s"] = time.perf_counter() - started
    results["goals"] = [g.to_dict() for g in _goals(results, args.ci_cost)]
    try:  # `python -m bench checker`'s figures are its own run's: keep them
        results["checker_goals"] = json.loads((args.out / "results.json").read_text())["checker_goals"]
    except (OSError, ValueError, KeyError):
        pass
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "RESULTS.md").write_text(report.render(results))
    say(f"wrote {args.out / 'results.json'} and {args.out / 'RESULTS.md'}")
    missed = [g for g in results["goals"] if not g["met"]]
    for goal in results["goals"]:
        value = "not measured" if goal["value"] is None else f"{goal['value']:.3f}"
        print(f"  goal {goal['id']}: {goal['statement']}: {value} -> {'met' if goal['met'] else 'MISSED'} ({goal['subject']})")
    if missed:
        print("bench: goals missed: " + ", ".join(g["id"] for g in missed), file=sys.stderr)
        return 1
    return 0


def _section(results: dict, name: str, fn):
    try:
        return fn()
    except Exception as exc:  # one section's failure is reported, and the others still run
        results["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
        traceback.print_exc()
        return None


def _goals(results: dict, ci_requested: bool) -> list[goal_rules.Goal]:
    bound = results.get("bound") or {}
    sizes = {row["id"]: row for row in (results.get("sizes") or {}).get("rows", [])}
    best_name = (results.get("best_solution") or {}).get("path")
    return [
        goal_rules.at_most("reference-vs-bound", "reference image / lower bound <= 1.05",
                           bound.get("reference_over_bound"), 1.05, "the reference Dockerfile (sample_app/Dockerfile)"),
        goal_rules.size_ratio_goal(0.15, bound.get("reference_over_full"), bound.get("best_over_full"),
                                   best_name if sizes.get("best", {}).get("size") else None),
        goal_rules.at_most("bone-vs-full", "bone image / single-stage full image <= 0.08",
                           (results.get("bone") or {}).get("over_full"), 0.08, "solutions/08-to-the-bone/Dockerfile"),
        goal_rules.at_most("bench-duration", "bench wall time without --ci-cost (s) <= 1200", results.get("bench_s"),
                           BENCH_BUDGET_S, "this run, sections 1-4 without the opt-in class throughput (make bench's own part)"),
    ]


if __name__ == "__main__":
    sys.exit(main())
