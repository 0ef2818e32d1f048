"""The composite action (action.yml): its shape, and its lint step run here as GitHub would run it.

GitHub's runner itself is not available here: the setup-python and upload-sarif steps cannot be
run. What can be is: the action's own shell step, with the environment a runner gives it
(``GITHUB_OUTPUT``, ``RUNNER_TEMP``, the input as ``DOCKERFILES``), and its SARIF validated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

from .support import REPO

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
SCHEMA = json.loads((REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def step(name: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name or s.get("id") == name)


def test_the_action_is_composite_and_uploads_the_lint_steps_sarif():
    assert ACTION["runs"]["using"] == "composite"
    upload = next(s for s in ACTION["runs"]["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "${{ steps.lint.outputs.sarif-file }}"
    assert all("shell" in s for s in ACTION["runs"]["steps"] if "run" in s), "a composite run step needs a shell"


def test_the_lint_step_annotates_and_writes_a_valid_sarif_file(tmp_path):
    output = tmp_path / "github_output"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.13-slim\nRUN apt-get update && apt-get install -y gcc\nCOPY . .\n")
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path), "DOCKERFILES": str(dockerfile),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", step("lint")["run"]], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("::error ") or done.stdout.startswith("::warning "), done.stdout
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["status"] == "1"
    sarif = json.loads(Path(outputs["sarif-file"]).read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert sarif["runs"][0]["results"]
