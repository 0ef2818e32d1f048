"""The bench's sections. Each takes the Lab and returns a plain dict for results.json.

A section that cannot run says why in its dict (``"error"``) instead of raising: one missing
piece (a module another helper has not written yet, a base image) never hides the other figures.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from checker import engine, images, probes
from checker import settings as course_settings

from . import dockerfiles, stats
from .bound import BoundError, lower_bound
from .lab import BenchError, Built, Lab

REPO = course_settings.REPO_ROOT
APP = REPO / "sample_app"

#: The article's published figures (seed/multi-stage-builds-article.txt), for the comparison column.
ARTICLE = {
    "single-full": "1.2 GB (table; its text says 1.1 GB, its intro 800 MB)",
    "single-slim": "350 MB",
    "reference": "180 MB",
    "alpine": "120 MB",
}

FAST_RUNS = 5
SLOW_RUNS = 3


def best_solution() -> Path | None:
    candidates = sorted((REPO / "solutions").glob("04-*/Dockerfile"))
    return candidates[0] if candidates else None


def size_row(row_id: str, label: str, dockerfile: str, built: list[Built] | None, note: str = "") -> dict:
    return {
        "id": row_id, "label": label, "dockerfile": dockerfile, "article": ARTICLE.get(row_id),
        "size": stats.of([b.size_bytes for b in built], "B").to_dict() if built else None, "note": note,
    }


# -- 1 + 3a: sizes, and the cold builds of the reference --------------------------------------


def images_and_cold_builds(lab: Lab, results: dict) -> dict[str, Built]:
    """Build every image the size table needs; the reference three times from scratch."""
    built: dict[str, Built] = {}
    rows: list[dict] = []
    reference_text = (APP / "Dockerfile").read_text()
    single_text = (APP / "Dockerfile.single").read_text()
    context = lab.stage(APP, "app")
    results["context"] = {"files": sorted(p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file())}

    cold: list[Built] = []
    for n in range(SLOW_RUNS):
        lab.log(f"  reference, cold build {n + 1}/{SLOW_RUNS} (nocache)")
        cold.append(lab.build("reference", context, reference_text, nocache=True))
    built["reference"] = cold[-1]
    results["cold_build"] = {"seconds": stats.of([b.seconds for b in cold], "s").to_dict(),
                             "note": "docker build with nocache=True of sample_app/Dockerfile; "
                                     "apt and PyPI downloads included (no proxy cache)"}

    for row_id, text, label in (("single-full", single_text, "single stage, full image"),
                                ("single-slim", dockerfiles.on_slim(single_text), "single stage, slim image")):
        lab.log(f"  {row_id}")
        try:
            built[row_id] = lab.build(row_id, context, text)
        except BenchError as exc:
            results.setdefault("errors", []).append(str(exc))

    rows.append(size_row("single-full", "single stage, full image", "sample_app/Dockerfile.single",
                         [built["single-full"]] if "single-full" in built else None))
    rows.append(size_row("single-slim", "single stage, slim image", "sample_app/Dockerfile.single on -slim",
                         [built["single-slim"]] if "single-slim" in built else None))
    rows.append(size_row("reference", "multi-stage slim + venv (the course's reference)", "sample_app/Dockerfile",
                         cold, "built 3 times from scratch: the sizes of the three builds"))

    solution = best_solution()
    if solution is None:
        rows.append(size_row("best", "best exercise solution", "solutions/04-*/Dockerfile", None,
                             "not measured: solutions/04-*/Dockerfile does not exist yet"))
    else:
        rel = solution.relative_to(REPO).as_posix()
        lab.log(f"  best solution {rel}")
        try:
            built["best"] = lab.build("best", context, solution.read_text())
            uses = dockerfiles.techniques_used(solution.read_text())
            rows.append(size_row("best", "best exercise solution", rel, [built["best"]],
                                 "uses: " + (", ".join(uses) if uses else "none of no-pip/strip/no-pyc")))
            results["best_solution"] = {"path": rel, "techniques": uses}
        except BenchError as exc:
            rows.append(size_row("best", "best exercise solution", rel, None, f"not measured: the build failed ({str(exc).splitlines()[0]})"))

    settings = lab.settings
    alpine = images.describe(settings.alpine_image)
    if alpine.available:
        rows.append(size_row("alpine", "multi-stage alpine", "(not built by the bench)", None,
                             f"{settings.alpine_image} is present but the course has no alpine recipe of the app"))
    else:
        rows.append(size_row("alpine", "multi-stage alpine", "-", None,
                             f"not measured: {settings.alpine_image} is not available on this engine (no registry "
                             "is reachable, and Alpine's packages come from Alpine's mirrors, which this network "
                             "does not reach)"))
    results["sizes"] = {"rows": rows}
    return built


# -- 2: distance to the lower bound, techniques, import time -----------------------------------


def bound_and_techniques(lab: Lab, results: dict, built: dict[str, Built]) -> None:
    settings = lab.settings
    reference = built["reference"]
    base = probes.scan_layers(engine.image_info(settings.slim_image).id)
    try:
        bound = lower_bound(base.size_bytes, len(base.layers), reference.layers)
    except BoundError as exc:
        results["bound"] = {"error": str(exc)}
        return
    full = built.get("single-full")
    out = {**bound.to_dict(), "reference_bytes": reference.size_bytes,
           "reference_over_bound": reference.size_bytes / bound.bytes,
           "reference_over_full": reference.size_bytes / full.size_bytes if full else None,
           "full_bytes": full.size_bytes if full else None}
    if "best" in built:
        out["best_bytes"] = built["best"].size_bytes
        out["best_over_bound"] = built["best"].size_bytes / bound.bytes
        out["best_over_full"] = built["best"].size_bytes / full.size_bytes if full else None
    results["bound"] = out

    reference_text = (APP / "Dockerfile").read_text()
    context = lab.stage(APP, "techniques")
    rows = []
    variants = [((t.id,), t.title) for t in dockerfiles.TECHNIQUES]
    variants += [(("no-pip", "strip"), "lean, keeps .pyc (no pip + stripped)"),
                 (("no-pip", "strip", "bytecode-only"), "lean, keeps .pyc, no sources (no pip + stripped + bytecode only)"),
                 (("no-pip", "strip", "no-pyc"), "lean, no .pyc (no pip + stripped + no bytecode)")]
    used = set((results.get("best_solution") or {}).get("techniques", []))
    for ids, title in variants:
        name = "variant-" + "-".join(ids)
        lab.log(f"  {name}")
        try:
            variant = lab.build(name, context, dockerfiles.with_techniques(reference_text, ids))
        except (BenchError, dockerfiles.VariantError) as exc:
            rows.append({"id": "+".join(ids), "title": title, "error": str(exc).splitlines()[0]})
            continue
        built[name] = variant
        rows.append({
            "id": "+".join(ids), "title": title, "size_bytes": variant.size_bytes,
            "saved_bytes": reference.size_bytes - variant.size_bytes,
            "over_full": variant.size_bytes / full.size_bytes if full else None,
            "over_bound": variant.size_bytes / bound.bytes,
            "used_by_best": all(i in used for i in ids) if "best" in built else None,
        })
    results["techniques"] = {"rows": rows, "note": "each variant is the reference Dockerfile with the technique's "
                             "RUN added after `pip install` in the builder stage; saved = reference - variant"}


_IMPORT_TIMER = (
    "import json, subprocess, sys, time\n"
    "runs = []\n"
    "for i in range({n} + 1):\n"
    "    t = time.perf_counter()\n"
    "    subprocess.run([sys.executable, '-c', 'import main'], check=True)\n"
    "    runs.append(time.perf_counter() - t)\n"
    "print('LPI-BENCH ' + json.dumps(runs[1:]))\n"
)


def import_times(lab: Lab, image: str, runs: int = FAST_RUNS) -> stats.Stat:
    """`python -c "import main"` timed inside one container (one unmeasured warm-up first)."""
    output = lab.run(image, ["python", "-c", _IMPORT_TIMER.format(n=runs)])
    for line in output.splitlines():
        if line.startswith("LPI-BENCH "):
            return stats.of(json.loads(line[len("LPI-BENCH "):]), "s")
    raise BenchError(f"the import timer printed no result:\n{output[-1000:]}")


def import_time(lab: Lab, results: dict, built: dict[str, Built]) -> None:
    out: dict = {"note": "python -c \"import main\" in /app, timed inside the container by a Python loop "
                         "(one warm-up, then 5 runs); PYTHONDONTWRITEBYTECODE=1 as in the reference"}
    for key, name in (("with_pyc", "reference"), ("without_pyc", "variant-no-pyc"),
                      ("bytecode_only", "variant-bytecode-only")):
        if name not in built:
            out[key] = None
            continue
        try:
            out[key] = import_times(lab, built[name].tag).to_dict()
        except BenchError as exc:
            out[key] = None
            out.setdefault("errors", []).append(str(exc).splitlines()[0])
    if out.get("with_pyc") and out.get("without_pyc"):
        out["ratio"] = stats.ratio(stats.Stat.from_dict(out["without_pyc"]), stats.Stat.from_dict(out["with_pyc"])).to_dict()
    results["import_time"] = out


# -- 3: rebuild after a source-only change ----------------------------------------------------


def _edit(context: Path, n: int) -> None:
    main = context / "main.py"
    main.write_text(main.read_text() + f"# bench edit {n} {time.time_ns()}\n")


def rebuilds(lab: Lab, results: dict, *, warm: bool = False) -> None:
    """``warm``: the reference was just built, so its layers are in the cache."""
    reference_text = (APP / "Dockerfile").read_text()
    out: dict = {"note": "rebuild after appending a comment to main.py, with a warm cache"}
    for key, text in (("right_order", reference_text), ("wrong_order", dockerfiles.wrong_order(reference_text))):
        context = lab.stage(APP, key)
        if key == "right_order" or not warm:
            # The wrong order needs no warm-up once the reference is built: every step before its
            # `COPY . .` is shared with the reference and cached, and everything after it reruns on
            # any source change anyway (the cache column shows it).
            lab.log(f"  {key}: warming the cache")
            lab.build(f"rebuild-{key}", context, text)
        seconds, steps = [], []
        for n in range(SLOW_RUNS):
            _edit(context, n)
            lab.log(f"  {key}: rebuild {n + 1}/{SLOW_RUNS}")
            b = lab.build(f"rebuild-{key}", context, text)
            seconds.append(b.seconds)
            steps.append(f"{b.cached_steps} of {b.steps} steps from cache")
        out[key] = {"seconds": stats.of(seconds, "s").to_dict(), "cache": sorted(set(steps))}
    out["ratio"] = stats.ratio(stats.Stat.from_dict(out["wrong_order"]["seconds"]),
                               stats.Stat.from_dict(out["right_order"]["seconds"])).to_dict()
    out["wrong_order_dockerfile"] = "sample_app/Dockerfile with the builder's `COPY requirements.txt .` replaced by `COPY . .`"
    results["rebuild"] = out


# -- 4: the checker's own cost -----------------------------------------------------------------


def _hadolint() -> str | None:
    candidate = Path(sys.executable).parent / "hadolint"
    return str(candidate) if candidate.exists() else None


def checker_cost(lab: Lab, results: dict, *, classroom: bool = False) -> None:
    classroom_requested = classroom
    out: dict = {}
    dockerfile = APP / "Dockerfile"
    # static analysis
    try:
        lint_module = importlib.import_module("checker.lint")
        lint = lint_module.lint
        stat, _ = stats.timed(lambda: lint(dockerfile, with_hadolint=False), FAST_RUNS, warmup=1)
        out["lint"] = stat.to_dict()
    except Exception as exc:  # a missing module or a crash: reported, never fatal
        out["lint"] = None
        out["lint_error"] = f"{type(exc).__name__}: {exc}"
    hadolint = _hadolint()
    if hadolint:
        run = lambda: subprocess.run([hadolint, "--no-fail", str(dockerfile)], capture_output=True, timeout=60)
        stat, _ = stats.timed(run, FAST_RUNS, warmup=1)
        out["hadolint"] = stat.to_dict()
    else:
        out["hadolint"] = None
        out["hadolint_error"] = "no hadolint binary next to the interpreter"
    if out.get("lint") and out.get("hadolint"):
        out["lint_over_hadolint"] = stats.ratio(stats.Stat.from_dict(out["lint"]), stats.Stat.from_dict(out["hadolint"])).to_dict()

    # full grade vs bare build + run + health, both on a warm cache
    context = lab.stage(APP, "grade")
    text = dockerfile.read_text()
    try:
        lab.build("bare", context, text)  # warm the cache
        def bare() -> None:
            b = lab.build("bare", context, text)
            lab.serve_and_probe(b.tag)
        stat, _ = stats.timed(bare, FAST_RUNS)
        out["bare"] = stat.to_dict()
    except BenchError as exc:
        out["bare"] = None
        out["bare_error"] = str(exc).splitlines()[0]
    try:
        grade = _grade_callable()
        def graded() -> object:
            # keep_cache=False: the grader's own images go; the layers stay cached (the bare image holds them).
            return grade(dockerfile, context=APP, keep_cache=False)
        graded()  # warm whatever the grader caches
        stat, reports = stats.timed(graded, SLOW_RUNS)
        out["grade"] = stat.to_dict()
        out["grade_result"] = _summary(reports[-1])
    except Exception as exc:
        out["grade"] = None
        out["grade_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if out.get("grade") and out.get("bare"):
        out["grade_over_bare"] = stats.ratio(stats.Stat.from_dict(out["grade"]), stats.Stat.from_dict(out["bare"])).to_dict()

    if classroom_requested:
        out["classroom"] = run_classroom()
    else:
        out["classroom"] = {"not_requested": "opt-in (`python -m bench --classroom`): grading 30 submissions twice, "
                            "serially and in parallel, takes longer than the whole rest of the bench"}
    results["checker"] = out


def _grade_callable():
    """``checker.grade`` (the package's front door), else ``checker.grading.grade``."""
    checker = importlib.import_module("checker")
    grade = getattr(checker, "grade", None)
    if grade is None:
        try:
            grade = importlib.import_module("checker.grading").grade
        except (ImportError, AttributeError) as exc:
            raise RuntimeError("neither checker.grade nor checker.grading.grade exists yet") from exc
    return grade


def _summary(report: object) -> object:
    for attr in ("to_dict",):
        if hasattr(report, attr):
            data = getattr(report, attr)()
            return {k: v for k, v in data.items() if isinstance(v, (int, float, str, bool)) or v is None}
    return repr(report)[:300]


def run_classroom() -> dict:
    script = REPO / "bench" / "classroom.py"
    if not script.exists():
        return {"error": "bench/classroom.py does not exist yet (owned by the exercises helper)"}
    started = time.perf_counter()
    try:
        completed = subprocess.run([sys.executable, "-m", "bench.classroom"], cwd=REPO, capture_output=True,
                                   text=True, timeout=3600)
    except subprocess.TimeoutExpired:
        return {"error": "bench/classroom.py did not finish within 3600 s"}
    seconds = time.perf_counter() - started
    data = _last_json(completed.stdout)
    if completed.returncode != 0 or data is None:
        last = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or [""]
        return {"error": f"bench/classroom.py exited {completed.returncode}: {last[0][:300]}", "seconds": seconds}
    return {"seconds": seconds, "report": data}


def _last_json(text: str) -> dict | None:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
            if isinstance(value, dict):
                return value
        except json.JSONDecodeError:
            continue
    return None


# -- 5: the course's CI cost (opt-in) ----------------------------------------------------------


def ci_cost(results: dict, runs: int = SLOW_RUNS, *, warmup: int = 1) -> None:
    python = sys.executable
    commands = {
        "setup": ["scripts/setup.sh", "test"],
        "pytest": [python, "-m", "pytest", "tests", "-p", "no:cacheprovider", "-q"],
        "nbval": [python, "-m", "pytest", "notebooks", "--nbval-lax", "-p", "no:cacheprovider", "-q"],
    }
    note = (f"warm: {warmup} unmeasured run(s) of each first" if warmup
            else "warm: measured right after a full test run, no extra warm-up")
    out: dict = {"measured": True, "note": note}
    for key, command in commands.items():
        outcomes = []
        def run() -> None:
            done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=3600)
            outcomes.append(done.returncode)
        stat, _ = stats.timed(run, runs, warmup=warmup)
        out[key] = {"seconds": stat.to_dict(), "exit_codes": outcomes}
    results["ci"] = out


def signature_of(fn) -> str:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "?"


# -- 2c: the bone image (exercise 08's reference answer, lesson 8) -----------------------------


def bone(lab: Lab, results: dict, built: dict[str, Built], runs: int = SLOW_RUNS) -> None:
    """solutions/08-to-the-bone beside the reference: size, its ratios, import time, cold start to /health 200.

    Builds the reference and the single-stage full image itself (from cache) when the sizes
    section did not run, so ``--skip sizes,bound,import,rebuild,checker`` measures this part alone.
    """
    path = REPO / "solutions" / "08-to-the-bone" / "Dockerfile"
    rel = path.relative_to(REPO).as_posix()
    out: dict = {"dockerfile": rel, "note": f"cold start: container start to the first GET /health 200, {runs} runs "
                 "each, the bone image and the reference alternating; import time as in 2b, measured here for both"}
    results["bone"] = out
    if not path.is_file():
        out["error"] = f"not measured: {rel} does not exist"
        return
    context = lab.stage(APP, "bone")
    for name, text in (("reference", (APP / "Dockerfile").read_text()), ("single-full", (APP / "Dockerfile.single").read_text())):
        if name not in built:
            lab.log(f"  {name} (from cache, for the bone image's ratios)")
            built[name] = lab.build(name, context, text)
    lab.log(f"  bone image {rel}")
    image = built["bone"] = lab.build("bone", context, path.read_text())
    full, reference = built["single-full"], built["reference"]
    bound_bytes = (results.get("bound") or {}).get("bytes")
    if bound_bytes is None:
        base = probes.scan_layers(engine.image_info(lab.settings.slim_image).id)
        try:
            bound_bytes = lower_bound(base.size_bytes, len(base.layers), reference.layers).bytes
        except BoundError as exc:
            out["bound_error"] = str(exc)
    out.update({"size_bytes": image.size_bytes, "reference_bytes": reference.size_bytes, "full_bytes": full.size_bytes,
                "over_full": image.size_bytes / full.size_bytes, "over_reference": image.size_bytes / reference.size_bytes,
                "bound_bytes": bound_bytes, "over_bound": image.size_bytes / bound_bytes if bound_bytes else None})
    lab.log("  import time: bone, then reference")
    try:
        out["import_time"] = import_times(lab, image.tag).to_dict()
        out["reference_import_time"] = import_times(lab, reference.tag).to_dict()
    except BenchError as exc:
        out["import_error"] = str(exc).splitlines()[0]
    starts: dict[str, list[float]] = {"bone": [], "reference": []}
    try:
        for n in range(runs):
            lab.log(f"  cold start {n + 1}/{runs}: bone, then reference")
            starts["bone"].append(lab.serve_and_probe(image.tag))
            starts["reference"].append(lab.serve_and_probe(reference.tag))
    except BenchError as exc:
        out["start_error"] = str(exc).splitlines()[0]
    if starts["bone"] and starts["reference"]:
        out["cold_start"] = {name: stats.of(values, "s").to_dict() for name, values in starts.items()}
        out["cold_start"]["ratio"] = stats.ratio(stats.of(starts["bone"], "s"), stats.of(starts["reference"], "s")).to_dict()
