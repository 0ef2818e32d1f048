"""`lean-check check` and `grade --output` when grading cannot happen: exit 2, one sentence, a report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def lean_check(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_when_the_exercise_is_unknown_then_check_exits_2_with_one_sentence():
    completed = lean_check("check", "no-such-exercise")
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.startswith("lean-check check: No exercise matches") and len(completed.stderr.splitlines()) == 1


def test_when_the_folder_has_no_dockerfile_then_check_exits_2_with_one_sentence(tmp_path):
    completed = lean_check("check", "01", str(tmp_path))
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr == f"lean-check check: There is no Dockerfile in {tmp_path} (a regular file named Dockerfile).\n"


def test_when_grading_cannot_happen_then_grade_output_still_gets_the_error_report(tmp_path):
    output = tmp_path / "out" / "report.json"
    completed = lean_check("grade", str(tmp_path / "Dockerfile"), "--format", "json", "--output", str(output), "--quiet")
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.startswith("lean-check grade: ") and len(completed.stderr.splitlines()) == 1
    report = json.loads(output.read_text())
    assert report["status"] == "error" and report["error"] in completed.stderr
