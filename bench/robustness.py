"""Robustness figures: run the hostile corpus and the faults, print what a teacher can rely on.

    python -m bench.robustness                 everything in tests/robustness (about 8-10 minutes on 2 cores)
    python -m bench.robustness -k corpus       a subset (pytest -k expression)
    python -m bench.robustness --json out.json also keep the figures as JSON

It runs ``pytest tests/robustness`` (the same tests CI runs), which records every case, and prints:
cases tried, verdicts as expected, tracebacks (must be 0), leftovers on the engine, in TMPDIR
or in the process table (must be 0), host data leaked (must be 0), and the longest time any
single hostile case took against the deadline it ran into. Exit status: 0 when every figure is
as it must be and pytest passed, else 1.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "robustness"))

import lpi_robust  # noqa: E402  (the suite's own plumbing formats the figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.robustness", description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="select", default="", help="only the cases matching this pytest -k expression")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="lpi-bench-robust-") as tmp:
        figures_file = Path(tmp) / "figures.json"
        command = [sys.executable, "-m", "pytest", "tests/robustness", "-q", "-p", "no:cacheprovider", "--no-header"]
        if args.select:
            command += ["-k", args.select]
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env={**os.environ, "LPI_ROBUSTNESS_FIGURES": str(figures_file)},
                              capture_output=True, text=True)
        seconds = time.monotonic() - started
        if not figures_file.is_file():
            print(done.stdout[-4000:], done.stderr[-2000:], sep="\n", file=sys.stderr)
            print("bench.robustness: the suite recorded no figures (see its output above).", file=sys.stderr)
            return 1
        data = json.loads(figures_file.read_text())
    totals = data["totals"]
    summary_line = next((line for line in reversed(done.stdout.splitlines())
                         if "passed" in line or "failed" in line or "error" in line), "")
    print("Robustness of the grader (tests/robustness, real engine)")
    for line in lpi_robust.format_totals(totals):
        print("  " + line)
    print(f"  suite wall time:       {seconds:.0f} s ({summary_line.strip('= ')})")
    slowest = sorted((c for c in data["cases"] if c.get("deadline_s")), key=lambda c: c["seconds"] / c["deadline_s"],
                     reverse=True)[:5]
    if slowest:
        print("  slowest against their deadline:")
        for case in slowest:
            print(f"    {case['name']}: {case['seconds']:.1f} s / {case['deadline_s']:g} s")
    if args.json:
        args.json.write_text(json.dumps({**data, "suite_seconds": round(seconds, 1), "pytest_exit": done.returncode},
                                        indent=2))
    healthy = (done.returncode == 0 and totals["tracebacks"] == 0 and totals["leftovers"] == 0
               and totals["host_data_leaked"] == 0 and totals["verdicts_as_expected"] == totals["cases_tried"])
    if not healthy and done.returncode != 0:
        print("\n".join(done.stdout.splitlines()[-30:]), file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
