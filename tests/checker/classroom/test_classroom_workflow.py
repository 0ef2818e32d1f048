"""The GitHub Classroom workflow's grading step, run here as the runner would run it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / ".github" / "workflows" / "classroom.yml"


def grade_step() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["grade"]["steps"]
    return next(step for step in steps if step.get("id") == "grade")


def test_the_workflow_reports_through_the_classroom_reporter_with_the_grade_steps_output():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["grade"]["steps"]
    reporter = next(step for step in steps if "autograding-grading-reporter" in step.get("uses", ""))
    assert reporter["with"]["runners"] == "grade"
    assert reporter["env"]["GRADE_RESULTS"] == "${{ steps.grade.outputs.result }}"
    assert workflow["permissions"]["checks"] == "write"


@pytest.mark.docker
def test_the_grade_step_writes_the_points_of_the_starter_for_the_reporter(tmp_path, docker_client):
    output = tmp_path / "github_output"
    env = {**os.environ, "EXERCISE": "04-runtime-deps", "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output),
           "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(ROOT)}
    try:
        result = subprocess.run(["bash", "-e", "-c", grade_step()["run"]], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=1200)
    finally:
        (ROOT / "classroom-result.b64").unlink(missing_ok=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    line = next(line for line in output.read_text().splitlines() if line.startswith("result="))
    payload = json.loads(base64.b64decode(line[len("result="):]))
    assert payload["max_score"] == 10
    assert payload["status"] == "fail", "the starter does not pass"
    names = [test["name"].split(":")[0] for test in payload["tests"]]
    assert "no_compilers" in names and "health" in names
    assert sum(test["score"] for test in payload["tests"]) < payload["max_score"]
