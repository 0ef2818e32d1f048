"""A stand-in for `python -m checker grade --format json` that needs no engine.

It reads directives from comments in the Dockerfile it is given:

    # fake: score=7 max=10 passed=yes fail=health,size size=123000000 seconds=4.5
    # fake: sleep=30        (takes that long: an endless build, or a slow one)
    # fake: crash           (dies without a report, like a grader bug)

and appends one line per invocation to $FAKE_GRADER_LOG, so tests can count rebuilds; with
$FAKE_GRADER_HOSTS set, it also appends ``start|end <first line> <DOCKER_HOST> <time>`` there, so
tests can see which engine graded whom and how many ran at once on each.
"""

import json
import os
import sys
import time
from pathlib import Path

args = sys.argv[1:]
dockerfile = Path(args[0])
output = Path(args[args.index("--output") + 1]) if "--output" in args else None
text = dockerfile.read_text()
options = {}
for line in text.splitlines():
    if line.startswith("# fake:"):
        for word in line[len("# fake:"):].split():
            key, _, value = word.partition("=")
            options[key] = value
log = os.environ.get("FAKE_GRADER_LOG")
if log:
    with open(log, "a") as handle:
        handle.write(text.splitlines()[0] + "\n")
hosts = os.environ.get("FAKE_GRADER_HOSTS")


def _mark(event: str) -> None:
    if hosts:
        with open(hosts, "a") as handle:
            handle.write(f"{event} {text.splitlines()[0].lstrip('# ')} {os.environ.get('DOCKER_HOST', '-')} {time.time():.6f}\n")


_mark("start")
time.sleep(float(options.get("sleep", "0")))
_mark("end")
if "crash" in options:
    print("Traceback (most recent call last):\nRuntimeError: the grader fell over", file=sys.stderr)
    sys.exit(3)
failed = [name for name in options.get("fail", "").split(",") if name]
checks = [{"id": name, "passed": name not in failed, "max_points": 2, "points": 0 if name in failed else 2,
           "message": "fake"} for name in ("builds", "health", "size") + tuple(f for f in failed if f not in ("builds", "health", "size"))]
report = {
    "score": float(options.get("score", "6")),
    "max_score": float(options.get("max", "6")),
    "passed": options.get("passed", "yes") == "yes",
    "status": "passed" if options.get("passed", "yes") == "yes" else "failed",
    "checks": checks,
    "image": {"size_bytes": int(options.get("size", "150000000"))},
    "build": {"seconds": float(options.get("seconds", "1.5"))},
}
text = json.dumps(report)
if output:
    output.write_text(text)
else:
    print(text)
sys.exit(0 if report["passed"] else 1)
