"""The package's own surface: --version, lint without hadolint, the course folder setting (pure, no engine)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata

from checker import settings

from .support import REPO

BAD = "FROM python:3.13-slim\nCOPY . .\nCMD python main.py\n"


def lean_check(*args: str, env: dict[str, str] | None = None, cwd=REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={**os.environ, **(env or {})})


def test_version_prints_the_installed_distribution_version():
    done = lean_check("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"lean-check {metadata.version('lean-python-images')}"


def test_when_hadolint_is_missing_lint_runs_the_course_rules_and_says_so(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(BAD)
    done = lean_check("lint", str(dockerfile), "--format", "gnu", env={"LPI_HADOLINT": str(tmp_path / "no-hadolint")})
    assert "ran WITHOUT hadolint" in done.stderr
    assert done.returncode == 1, done.stderr
    assert "LPI" in done.stdout and "DL" not in done.stdout


def test_when_lpi_course_dir_has_no_course_then_grade_says_what_to_set(tmp_path):
    done = lean_check("grade", str(REPO / "sample_app" / "Dockerfile"), "--quiet", env={"LPI_COURSE_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert "LPI_COURSE_DIR" in done.stderr and "sample_app/" in done.stderr
    assert done.stdout == ""


def test_when_lpi_course_dir_has_no_course_then_an_exercise_lookup_says_what_to_set(tmp_path):
    done = lean_check("grade", str(REPO / "sample_app" / "Dockerfile"), "--exercise", "02", "--quiet",
                      env={"LPI_COURSE_DIR": str(tmp_path)})
    assert done.returncode == 2 and "LPI_COURSE_DIR" in done.stderr, done.stderr


def test_the_course_dir_is_the_override_then_the_checkout_then_the_package(tmp_path, monkeypatch):
    monkeypatch.delenv("LPI_COURSE_DIR", raising=False)
    assert settings.course_dir() == REPO
    (tmp_path / "sample_app").mkdir()
    (tmp_path / "exercises").mkdir()
    monkeypatch.setenv("LPI_COURSE_DIR", str(tmp_path))
    assert settings.course_dir() == tmp_path.resolve()


def test_when_python_is_older_than_the_floor_setup_says_what_to_install_and_stops(tmp_path):
    old = tmp_path / "python3"
    old.write_text("#!/bin/sh\n# a stand-in for Python 3.10: prints its version, says it is older than 3.11.2\necho 3.10.13\nexit 1\n")
    old.chmod(0o755)
    done = subprocess.run(["bash", str(REPO / "scripts" / "setup.sh"), "lab"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHON": str(old)})
    assert done.returncode == 1, done.stdout + done.stderr
    said = [line for line in done.stdout.splitlines() if "too old" in line]
    assert len(said) == 1 and "Python 3.10.13" in said[0] and "install Python 3.11.2 or newer" in said[0], done.stdout
