"""Failed builds on the real engine (issue 16, kinds 7 and 9): the report keeps the line that explains
the failure with the cause's hint, and a build the grading machine's own network broke is not the
learner's score (status ``error``, exit 2); a ``debian:trixie-slim`` stage reaches PyPI like the
Python stand-ins do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from checker import engine, grading
from checker import settings as course_settings
from checker.reporters import render

from tests.checker.support import REPO

pytestmark = pytest.mark.docker

#: The issue's input: the sample app's requirements on python:3.13-slim, no libpq-dev, no gcc.
ISSUE_PG_CONFIG = "FROM python:3.13-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "checker", "grade", *args, "--quiet"], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=timeout)


def test_a_failed_build_reports_the_pg_config_line_and_the_libpq_dev_hint(engine_ready, app_context, run_ids, tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(ISSUE_PG_CONFIG)
    report = grading.grade(dockerfile, context=app_context, keep_cache=False)
    run_ids.append(report.run_id)
    assert report.status == "failed" and report.exit_code == 1 and report.score == 0
    assert report.build is not None and report.build.cause == "pg_config"
    assert any("pg_config executable not found" in line for line in report.build.error_lines)
    for fmt in ("text", "markdown", "html", "junit"):
        shown = render(report, fmt)
        assert "pg_config executable not found" in shown and "libpq-dev" in shown, fmt
    assert "libpq-dev" in report.check("builds").message


@pytest.mark.parametrize("index", ["https://127.0.0.1:9/simple", "https://pypi.lpi-unreachable.invalid/simple"])
def test_a_build_through_an_unreachable_package_index_is_exit_2_not_score_0(engine_ready, app_context, tmp_path, index):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM python:3.13-slim\nRUN pip install --timeout 5 --index-url {index} six\n"
                          "CMD [\"python\"]\n")
    completed = cli(str(dockerfile), "--context", str(app_context), "--format", "json")
    assert completed.returncode == 2, (completed.stdout[-2000:], completed.stderr)
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "could not reach a package index" in lines[0], completed.stderr
    assert "not your Dockerfile's fault" in lines[0]


def test_a_debian_trixie_slim_stage_pip_installs_from_pypi_through_the_hosts_proxy(engine_ready, tmp_path):
    settings = course_settings.load()
    debian = f"debian:{settings.debian_suite}-slim"
    if not engine.image_exists(debian):
        pytest.fail(f"{debian} is not on the engine: run `python -m checker images` first")
    (tmp_path / "Dockerfile").write_text(
        f"FROM {debian}\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends python3-pip python3-venv "
        "&& rm -rf /var/lib/apt/lists/*\n"
        "RUN python3 -m venv /venv && /venv/bin/pip install --no-cache-dir six==1.17.0\n"
        "RUN pip3 install --no-cache-dir --break-system-packages six==1.17.0\n"
    )
    run = {course_settings.LABEL_RUN: f"test-debian-pip-{uuid.uuid4().hex[:8]}"}
    result = engine.build(tmp_path, tag=f"lpi-build/test-debian-pip-{uuid.uuid4().hex[:8]}:latest", labels=run,
                          timeout_s=900, settings=settings)
    try:
        assert result.ok, f"{result.failed_step}: {result.error}\n{result.failed_output}"
    finally:
        engine.discard_build(result)
        engine.remove_by_run_prefix(run[course_settings.LABEL_RUN])
