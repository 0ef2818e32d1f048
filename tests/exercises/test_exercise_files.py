"""The exercise set is complete and consistent (no engine needed).

Every exercise has its pieces, the generated notebooks match the template, solutions and
starters follow the course's Dockerfile conventions, the solutions share their build-stage
prefix (so the layer cache is shared), and every wrong-answer fixture names a check its
rubric has.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from checker import exercises
from checker.dockerfile import parse

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = sorted(p.parent for p in (ROOT / "exercises").glob("[0-9][0-9]-*/rubric.toml"))
WRONG = ROOT / "tests" / "exercises" / "wrong"
NAMES = [p.name for p in EXERCISES]
#: One exercise per lesson that teaches a skill, numbered after its lesson (lesson 1 shows the problem only).
EXPECTED = ["02-multi-stage", "03-virtualenv", "04-runtime-deps", "05-cache-order", "06-production-ready",
            "07-smaller-still", "08-to-the-bone"]


def rubric(exercise: Path) -> dict:
    return tomllib.loads((exercise / "rubric.toml").read_text())


def check_ids(exercise: Path) -> list[str]:
    return [check["id"] for check in rubric(exercise)["checks"]]


def wrong_answers() -> list[Path]:
    return sorted(p.parent for p in WRONG.glob("*/*/Dockerfile"))


def test_the_seven_exercises_exist_in_lesson_order():
    assert NAMES == EXPECTED


@pytest.mark.parametrize("exercise", EXERCISES, ids=NAMES)
def test_each_exercise_has_readme_starter_hints_rubric_notebook_and_solution(exercise):
    for name in ("README.md", "Dockerfile", "hints.md", "rubric.toml", f"{exercise.name}.ipynb"):
        assert (exercise / name).is_file(), f"{exercise.name} lacks {name}"
    assert (exercises.solution_dir(exercise) / "Dockerfile").is_file()
    readme = (exercise / "README.md").read_text()
    assert "Learning goal" in readme and "Check your answer" in readme


@pytest.mark.parametrize("exercise", EXERCISES, ids=NAMES)
def test_hints_come_in_at_least_three_levels(exercise):
    from checker.lesson.exercise import hint_levels

    levels = hint_levels(exercise)
    assert [title for title, _ in levels][:3] == ["Level 1", "Level 2", "Level 3"]
    assert all(body for _, body in levels)


def test_generated_notebooks_match_the_template():
    result = subprocess.run([sys.executable, str(ROOT / "exercises/_template/make_notebooks.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("exercise", EXERCISES, ids=NAMES)
def test_rubric_loads_with_the_checkers_format_and_the_pass_mark_is_reachable(exercise):
    from checker import rubric as rubrics

    loaded = rubrics.load(exercise / "rubric.toml")  # validates ids and parameters
    assert loaded.ids() == check_ids(exercise)
    assert 0 < loaded.pass_score < loaded.max_score
    assert loaded.reference is not None and loaded.baseline is not None


def course_dockerfiles() -> list[Path]:
    files = [e / "Dockerfile" for e in EXERCISES] + [exercises.solution_dir(e) / "Dockerfile" for e in EXERCISES]
    right = sorted(p.parent for p in (ROOT / "tests" / "exercises" / "right").glob("*/*/Dockerfile"))
    return files + [w / "Dockerfile" for w in wrong_answers() + right]


@pytest.mark.parametrize("path", course_dockerfiles(), ids=lambda p: str(p.relative_to(ROOT)))
def test_course_dockerfiles_declare_the_python_version_before_the_first_from(path):
    dockerfile = parse(path.read_text())
    assert [arg.name for arg in dockerfile.global_args] == ["PYTHON_VERSION"]
    assert dockerfile.global_args[0].default == "3.13"
    # Exercise 08's final stage starts from nothing (scratch); every other stage from the course's python.
    assert all(stage.base.startswith("python:${PYTHON_VERSION}") or stage.base == "scratch"
               or stage.base in {s.name for s in dockerfile.stages} for stage in dockerfile.stages)


def builder_prefix(path: Path) -> list[str]:
    dockerfile = parse(path.read_text())
    return [f"{i.keyword} {i.args}" for i in dockerfile.stages[0].instructions]


def test_solutions_share_their_build_stage_with_the_reference_so_the_cache_is_shared():
    reference = builder_prefix(ROOT / "sample_app" / "Dockerfile")
    for name in ("02-multi-stage", "03-virtualenv", "04-runtime-deps", "05-cache-order"):
        assert builder_prefix(ROOT / "solutions" / name / "Dockerfile") == reference, name
    smaller = builder_prefix(ROOT / "solutions" / "07-smaller-still" / "Dockerfile")
    capstone = builder_prefix(ROOT / "solutions" / "06-production-ready" / "Dockerfile")
    # 04 adds one step (bytecode without sources) after the builder it shares with 05.
    assert smaller[: len(capstone)] == capstone and len(smaller) == len(capstone) + 1
    assert smaller[0] == reference[0], "the apt layer is the same in every builder"


def test_solution_07_keeps_pyc_files_and_trims_in_the_build_stage():
    text = (ROOT / "solutions/07-smaller-still/Dockerfile").read_text()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "PYTHONDONTWRITEBYTECODE" not in code and "--no-compile" not in code
    assert "--without-pip" in code and "strip" in code
    # __pycache__ may go only once compileall -b has put each module's bytecode beside it.
    assert "__pycache__" not in code or code.index("compileall -q -b") < code.index("__pycache__")


def test_every_exercise_has_at_least_three_wrong_answers():
    counts = {name: len(list((WRONG / name).glob("*/Dockerfile"))) for name in NAMES}
    assert all(count >= 3 for count in counts.values()), counts


@pytest.mark.parametrize("answer", wrong_answers(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_wrong_answer_expects_a_check_its_rubric_has(answer):
    expected = (answer / "expect").read_text().split()
    assert expected, "the expect file names the check that must fail"
    exercise = ROOT / "exercises" / answer.parent.name
    assert set(expected) <= set(check_ids(exercise))


def test_the_exercise_notebook_panel_shows_hints_solution_and_a_streamed_report(tmp_path):
    import ipywidgets  # noqa: F401 - part of the course set: a missing one is a failure, not a skip
    from checker.lesson.exercise import ExercisePanel

    class FakeReport:
        def _repr_html_(self):
            return "<table><tr><td>builds</td><td>pass</td></tr></table>"

    seen = []

    def fake_grader(exercise_dir, dockerfile, *, on_line, on_phase):
        seen.append((exercise_dir.name, dockerfile.name))
        # The classic builder's lines for this Dockerfile: every instruction, then the course's LABEL.
        instructions = parse(dockerfile.read_text()).instructions
        total = len(instructions) + 1
        for number, instruction in enumerate(instructions, start=1):
            on_line(f"Step {number}/{total} : {instruction.keyword} {instruction.raw}")
        on_line(f"Step {total}/{total} : LABEL org.lean-python-images.run=r")
        return FakeReport()

    panel = ExercisePanel("04", grader=fake_grader)
    assert panel.hint_button.description == "Show a hint"
    panel.next_hint()
    assert "Level 1" in panel.hint_area.value and "Level 2" not in panel.hint_area.value
    panel.next_hint()
    panel.next_hint()
    assert panel.hint_button.disabled
    panel.solution_toggle.value = True
    assert "libpq5" in panel.solution_area.value and "solutions/04-runtime-deps/Dockerfile" in panel.solution_area.value
    panel.solution_toggle.value = False
    assert panel.solution_area.value == ""

    panel.check(wait=True)
    assert seen == [("04-runtime-deps", "Dockerfile")]
    assert "<table>" in panel.report.value
    own = [i for i in parse(panel.dockerfile.read_text()).instructions if i.keyword not in ("FROM", "ARG")]
    assert (panel.progress.value, panel.progress.max) == (len(own), len(own)), "the course's one step count"
    assert any("LABEL org.lean-python-images.run=r" in out.get("text", "") for out in panel.build_output.outputs)
    assert not panel.check_button.disabled and panel.check_button.description == "Check my Dockerfile"


def test_when_the_check_cannot_run_the_panel_says_why_instead_of_raising():
    import ipywidgets  # noqa: F401 - part of the course set: a missing one is a failure, not a skip
    from checker.lesson.exercise import ExercisePanel

    def broken(exercise_dir, dockerfile, *, on_line, on_phase):
        raise RuntimeError("No Docker engine answers")

    panel = ExercisePanel("02", grader=broken)
    panel.check(wait=True)
    assert "could not run" in panel.status.value and "No Docker engine answers" in panel.status.value
    assert not panel.check_button.disabled


def instructions(path: Path) -> list[str]:
    return [f"{i.keyword} {i.args}" for i in parse(path.read_text()).instructions]


def test_starters_that_reuse_an_earlier_file_stay_in_sync_with_it():
    # 04 starts from 03's answer; the capstone starts from the very first starter.
    assert instructions(ROOT / "exercises/07-smaller-still/Dockerfile") == instructions(ROOT / "solutions/04-runtime-deps/Dockerfile")
    assert instructions(ROOT / "exercises/06-production-ready/Dockerfile") == instructions(ROOT / "exercises/02-multi-stage/Dockerfile")


def test_the_capstone_solution_ships_a_dockerignore_and_the_context_takes_it(tmp_path):
    solution = ROOT / "solutions/06-production-ready"
    assert (solution / ".dockerignore").is_file()
    context = exercises.assemble_context(solution, tmp_path / "ctx")
    assert (context / ".dockerignore").read_text() == (solution / ".dockerignore").read_text()


def test_the_capstone_hints_lines_are_the_ones_the_solution_uses():
    from checker.lesson.exercise import hint_levels
    from exercise_hints import CAPSTONE, hint_listings

    solution = (ROOT / "solutions/06-production-ready/Dockerfile").read_text()
    level2 = dict(hint_levels(CAPSTONE))["Level 2"]
    useradd = level2.split("(`", 1)[1].split("`)", 1)[0]
    assert useradd.startswith("useradd ") and f"RUN {useradd}" in solution
    assert "`USER 10001`" in level2 and "\nUSER 10001\n" in solution
    healthcheck = hint_listings(CAPSTONE, "Level 3")[0].strip()
    assert healthcheck.startswith("HEALTHCHECK ")
    assert healthcheck.split(" CMD ", 1)[1] in solution


def test_when_a_learner_copies_the_capstone_hints_dockerignore_then_lpi013_passes(tmp_path):
    from checker.lint import lint
    from exercise_hints import capstone_answer_from_hints

    answer = capstone_answer_from_hints(tmp_path / "answer")
    context = exercises.assemble_context(answer, tmp_path / "ctx")
    result = lint(context / "Dockerfile", context_dir=context, with_hadolint=False)
    assert result.rule_results["LPI013"].passed, result.rule_results["LPI013"]


def test_when_the_hints_dockerignore_lacks_a_line_lpi013_names_it(tmp_path):
    # The guard the test above relies on: the same answer minus `venv` fails, so LPI013 did read the hint's file.
    from checker.lint import lint
    from exercise_hints import capstone_answer_from_hints

    answer = capstone_answer_from_hints(tmp_path / "answer")
    ignore = answer / ".dockerignore"
    ignore.write_text("\n".join(line for line in ignore.read_text().splitlines() if line != "venv") + "\n")
    context = exercises.assemble_context(answer, tmp_path / "ctx")
    result = lint(context / "Dockerfile", context_dir=context, with_hadolint=False)
    assert not result.rule_results["LPI013"].passed


def test_a_docker_run_with_a_glob_in_the_exercises_text_runs_it_through_a_shell():
    # `docker run IMAGE du -sh dir/*` cannot work: docker execs du directly, so no shell in the container expands the *.
    texts = [p for e in EXERCISES for p in (e / "README.md", e / "hints.md")]
    runs = [line for path in texts for line in path.read_text().splitlines() if "docker run" in line and "*" in line]
    assert runs, "exercise 07 shows how to weigh each package with docker run"
    for line in runs:
        command = line.split("docker run", 1)[1]
        assert "sh -c '" in command and command.index("sh -c '") < command.index("*"), line


def size_limit_in_words(ratio: float) -> str:
    """How a README states ``max_ratio_to_reference``: "at most 25 % larger" or "at most 0.93 times"."""
    return f"at most {round((ratio - 1) * 100)} % larger" if ratio > 1 else f"at most {ratio:.2f} times"


@pytest.mark.parametrize("exercise", EXERCISES, ids=NAMES)
def test_each_readme_states_the_pass_mark_and_size_limit_its_rubric_grades(exercise):
    from checker import rubric as rubrics

    loaded = rubrics.load(exercise / "rubric.toml")
    readme = " ".join((exercise / "README.md").read_text().split())
    mark = f"The pass mark is {loaded.pass_score:g} of {loaded.max_score:g} points"
    percent = f"The pass mark is {rubric(exercise)['rubric']['pass_mark']:g} % of the points"
    assert mark in readme or percent in readme, f"{exercise.name}: README must say '{mark}' (or '{percent}')"
    for check in loaded.checks:
        ratio = (check.params or {}).get("max_ratio_to_reference") if check.id == "image_size" else None
        if ratio:
            assert size_limit_in_words(float(ratio)) in readme, f"{exercise.name}: the size limit {ratio}"


@pytest.mark.parametrize("exercise", NAMES)
def test_an_exercise_notebook_neither_names_its_solution_nor_sends_the_learner_to_itself(exercise):
    import json

    notebook = ROOT / "exercises" / exercise / f"{exercise}.ipynb"
    text = "".join("".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"]
                   if cell["cell_type"] == "markdown")
    assert f"solutions/{exercise}" not in text, "the solution's path is on the learner's first screen"
    assert f"in `{exercise}.ipynb`" not in text, "the notebook tells the learner to go to the notebook they are in"
    assert f"python -m checker check {exercise}" in text, "the terminal equivalent of the check button is shown"


#: How a README states each check the course's rubrics grade: phrases its text must hold (case and
#: Markdown emphasis ignored). A rubric check with no entry here fails the test below, so a check
#: added to a rubric comes with the README line that tells the learner about it.
README_WORDING: dict[str, tuple[str, ...]] = {
    "builds": ("builds",),
    "health": ("`GET /health`",),
    "LPI001": ("build stage",),
    "LPI003": ("-dev",),
    "LPI005": ("`COPY . .`", "before the dependency install"),
    "LPI007": ("apt lists removed in the same layer",),
    "LPI008": ("--no-install-recommends",),
    "LPI009": ("pinned", "never `latest`"),
    "LPI010": ("slim",),
    "LPI011": ("exec-form `CMD`",),
    "LPI012": ("`USER`", "unprivileged user"),
    "LPI013": ("`.dockerignore`", "`.git`", "`venv`", "`**/__pycache__`", "`.pytest_cache`"),
    "LPI014": ("no secret", "`ARG` or `ENV`"),
    "no_compilers": ("no compiler",),
    "no_headers": ("headers",),
    "native_libs": ("shared librar",),
    "cache_reuse": ("dependency install", "from the cache"),
    "image_user": ("non-root", "user"),
    "healthcheck": ("`HEALTHCHECK`",),
    "no_secret_files": ("no `.env`", "keys", "caches"),
    "command:app-imports": ("module importing as the image's user",),
    "pyc_kept": ("`.pyc` files",),
    "no_pip_in_app_env": ("no `pip` inside `/opt/venv`",),
    "wasted_bytes": ("deleted in a later layer",),
    "app_imports": ("the app imports",),
    "command:ca-bundle": ("CA bundle", "`SSL_CERT_FILE`"),
    "file_absent:shell": ("no shell", "`/bin/sh`"),
    "file_absent:package-manager": ("no package manager", "`dpkg`"),
    "same_python": ("the same python",),
    "image_size": (),  # its thresholds are checked by the test below
    "file_exists:venv": ("`/opt/venv/pyvenv.cfg`",),
    "command:venv-on-path": ("`python` on the image's `PATH` is the venv's", "prints `/opt/venv`"),
    "file_contains:venv-scripts": ("`/opt/venv/bin/uvicorn`", "`#!/opt/venv/bin/python`"),
    "file_absent:system-site-packages": ("`/usr/local/lib/python3*/site-packages/fastapi`",),
}


def plain_words(readme: str) -> str:
    """A README as one line of lower-case words, without bold marks (``**/__pycache__`` kept)."""
    return " ".join(re.sub(r"(?<!`)\*\*(?!/)", "", readme).split()).lower()


def threshold_wordings(check) -> list[str]:
    """How a README states a check's numeric thresholds (size ratios, shares, byte limits)."""
    params = check.params or {}
    if check.id == "image_size":
        wordings = [size_limit_in_words(float(params["max_ratio_to_reference"]))]
        baseline = float(params["max_ratio_to_baseline"])
        wordings.append("at most half" if baseline == 0.5 else f"at most {baseline:g} of")
        return wordings
    if check.id == "pyc_kept":
        return [f"at least {round(float(params['min_fraction']) * 100)} %"]
    if check.id == "wasted_bytes":
        return [f"at most {float(params['max_bytes']) / 1e6:g} mb"]
    return []


def unstated(exercise: Path, readme: str) -> list[str]:
    """The rubric's checks and thresholds that ``readme`` does not state, as "check id: phrase"."""
    from checker import rubric as rubrics

    words, missing = plain_words(readme), []
    for check in rubrics.load(exercise / "rubric.toml").checks:
        assert check.id in README_WORDING, f"{exercise.name}: add how the README states {check.id} to README_WORDING"
        wanted = [phrase.lower() for phrase in README_WORDING[check.id]] + threshold_wordings(check)
        missing += [f"{check.id}: {phrase!r}" for phrase in wanted if phrase not in words]
    return missing


@pytest.mark.parametrize("exercise", EXERCISES, ids=NAMES)
def test_each_readme_states_every_check_its_rubric_grades_and_its_thresholds(exercise):
    missing = unstated(exercise, (exercise / "README.md").read_text())
    assert not missing, f"{exercise.name}'s README does not state: " + "; ".join(missing)


def test_a_readme_that_leaves_a_check_out_fails_the_wording_test():
    # The guard of the test above: exercise 03's README without its PATH requirement, or its size
    # limits changed in exercise 02's, is caught.
    venv = ROOT / "exercises" / "03-virtualenv"
    assert unstated(venv, (venv / "README.md").read_text()) == []
    edited = (venv / "README.md").read_text().replace("prints `/opt/venv`", "prints the venv's path")
    assert unstated(venv, edited) == ["command:venv-on-path: 'prints `/opt/venv`'"]
    multi = ROOT / "exercises" / "02-multi-stage"
    edited = (multi / "README.md").read_text().replace("at most half", "at most 60 %")
    assert unstated(multi, edited) == ["image_size: 'at most half'"]
