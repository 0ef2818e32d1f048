"""`make lab`'s copy of the course (scripts/lab.py): what it holds, and how a refresh treats the learner's work.

The learner works in a git-ignored copy, so running lessons and editing exercise Dockerfiles never
dirties the tracked files. These tests use a small fake course in a temp folder (files only: no
engine, no server); the browser tests start the real thing.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("lpi_lab_script", REPO / "scripts" / "lab.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


lab = _load()


def _notebook(*sources: str, output: str | None = None) -> str:
    cells = [{"cell_type": "code", "execution_count": 1 if output else None, "metadata": {}, "source": source,
              "outputs": [{"output_type": "stream", "name": "stdout", "text": output}] if output else []}
             for source in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture
def course(tmp_path) -> Path:
    repo = tmp_path / "repo"
    files = {
        "notebooks/00_intro.ipynb": _notebook("print(1)"),
        "notebooks/README.md": "# lessons\n",
        "notebooks/src/00_intro.py": "# %%\nprint(1)\n",
        "notebooks/jupytext.toml": "formats = 'ipynb,src//py:percent'\n",
        "exercises/README.md": "# exercises\n",
        "exercises/01-first/Dockerfile": "FROM python:3.13-slim\n",
        "exercises/01-first/01-first.ipynb": _notebook("exercise_panel('01-first')"),
        "exercises/_template/make_notebooks.py": "",
        "sample_app/main.py": "app = None\n",
        "sample_app/__pycache__/main.cpython-311.pyc": "",
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    return repo


def test_the_copy_holds_what_a_learner_opens_and_not_the_maintainers_files(course):
    assert list(lab.course_files(course)) == [
        "exercises/01-first/01-first.ipynb", "exercises/01-first/Dockerfile", "exercises/README.md",
        "notebooks/00_intro.ipynb", "notebooks/README.md", "sample_app/main.py",
    ]


def test_the_real_course_copy_has_every_lesson_and_exercise_and_no_jupytext_sources():
    files = list(lab.course_files())
    lessons = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert lessons and set(lessons) <= set(files)
    assert {f"exercises/{d.name}/{d.name}.ipynb" for d in (REPO / "exercises").glob("[0-9][0-9]-*")} <= set(files)
    assert not [f for f in files if f.startswith("notebooks/src/") or f.endswith("jupytext.toml") or "_template" in f]


def test_first_run_copies_everything_and_a_second_run_changes_nothing(course, tmp_path):
    copy = tmp_path / "my-course"
    first = lab.prepare(copy, course)
    assert len(first.copied) == 6 and not first.updated and not first.kept
    assert (copy / "exercises/01-first/Dockerfile").read_text() == "FROM python:3.13-slim\n"
    second = lab.prepare(copy, course)
    assert (second.copied, second.updated, second.kept) == ([], [], [])
    assert second.summary() == ""


def test_a_refresh_brings_course_updates_but_keeps_what_the_learner_changed(course, tmp_path):
    copy = tmp_path / "my-course"
    lab.prepare(copy, course)
    # The learner solves the exercise, runs the lesson (outputs saved), and deletes the app's README.
    (copy / "exercises/01-first/Dockerfile").write_text("FROM python:3.13-slim AS build\n")
    (copy / "notebooks/00_intro.ipynb").write_text(_notebook("print(1)", output="1\n"))
    # The course changes the same Dockerfile, the lesson and the app.
    (course / "exercises/01-first/Dockerfile").write_text("ARG PYTHON_VERSION=3.13\nFROM python:3.13-slim\n")
    (course / "notebooks/00_intro.ipynb").write_text(_notebook("print(2)"))
    (course / "sample_app/main.py").write_text("app = 'new'\n")

    refresh = lab.prepare(copy, course)
    assert refresh.kept == ["exercises/01-first/Dockerfile"]
    assert (copy / "exercises/01-first/Dockerfile").read_text() == "FROM python:3.13-slim AS build\n"
    assert refresh.updated == ["notebooks/00_intro.ipynb", "sample_app/main.py"], "running a lesson is no edit"
    assert "print(2)" in (copy / "notebooks/00_intro.ipynb").read_text()
    assert "kept your version of exercises/01-first/Dockerfile" in refresh.summary()
    # Kept on every later run too (and said each time, while the two versions differ).
    assert lab.prepare(copy, course).kept == ["exercises/01-first/Dockerfile"]


def test_a_learner_edit_to_a_lesson_cell_is_kept(course, tmp_path):
    copy = tmp_path / "my-course"
    lab.prepare(copy, course)
    (copy / "notebooks/00_intro.ipynb").write_text(_notebook("print('my try')"))
    (course / "notebooks/00_intro.ipynb").write_text(_notebook("print(2)"))
    assert lab.prepare(copy, course).kept == ["notebooks/00_intro.ipynb"]
    assert "my try" in (copy / "notebooks/00_intro.ipynb").read_text()


def test_a_deleted_file_comes_back(course, tmp_path):
    copy = tmp_path / "my-course"
    lab.prepare(copy, course)
    (copy / "sample_app/main.py").unlink()
    assert lab.prepare(copy, course).copied == ["sample_app/main.py"]


def test_the_jupyter_command_serves_the_copy_on_the_lesson_list_with_the_course_settings(tmp_path):
    command = lab.jupyter_command(tmp_path, ["--port=1"])
    assert command[0] == str(Path(sys.executable).parent / "jupyter") and command[1] == "lab"
    assert f"--ServerApp.root_dir={tmp_path}" in command and command[-1] == "--port=1"
    assert "--LabApp.default_url=/lab/tree/notebooks/README.md" in command
    env = lab.jupyter_environment({"JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert env["JUPYTER_CONFIG_PATH"].split(":") == [str(REPO / "jupyter-config"), "/elsewhere"]


def test_the_shipped_settings_silence_the_news_and_render_markdown():
    overrides = json.loads((REPO / "jupyter-config/labconfig/default_setting_overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["markdown"] == "Markdown Preview"


def test_make_lab_runs_the_script_and_git_ignores_the_copy():
    recipe = subprocess.run(["make", "-n", "lab"], cwd=REPO, capture_output=True, text=True, timeout=60).stdout
    assert "scripts/lab.py" in recipe and "--notebook-dir" not in recipe, recipe
    ignored = subprocess.run(["git", "check-ignore", "-q", "my-course/notebooks/00_environment.ipynb"], cwd=REPO)
    assert ignored.returncode == 0, "my-course/ must be git-ignored"
