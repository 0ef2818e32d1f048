"""`lean-check check` and `grade --output` when grading cannot happen: exit 2, one sentence, a report."""

from __future__ import annotations

import argparse
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
    completed = lean_check("check", "02", str(tmp_path))
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr == f"lean-check check: There is no Dockerfile in {tmp_path} (a regular file named Dockerfile).\n"


def test_when_grading_cannot_happen_then_grade_output_still_gets_the_error_report(tmp_path):
    output = tmp_path / "out" / "report.json"
    completed = lean_check("grade", str(tmp_path / "Dockerfile"), "--format", "json", "--output", str(output), "--quiet")
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.startswith("lean-check grade: ") and len(completed.stderr.splitlines()) == 1
    report = json.loads(output.read_text())
    assert report["status"] == "error" and report["error"] in completed.stderr


def test_check_says_which_dockerignore_the_answers_context_gets_and_never_the_sample_apps(tmp_path):
    from checker.commands.check import dockerignore_note

    assert (ROOT / "sample_app" / ".dockerignore").is_file(), "the sample app has its own .dockerignore"
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\n")
    note = dockerignore_note(tmp_path)
    assert note.startswith(f"{tmp_path / '.dockerignore'} does not exist, so the build context has no .dockerignore")
    assert "the sample app's own one is not used" in note
    assert dockerignore_note(tmp_path / "Dockerfile") == note, "a Dockerfile's path names its folder"
    (tmp_path / ".dockerignore").symlink_to(ROOT / "sample_app" / ".dockerignore")
    assert "is a symbolic link, which is not copied" in dockerignore_note(tmp_path)
    (tmp_path / ".dockerignore").unlink()
    (tmp_path / ".dockerignore").write_text(".git\n")
    assert dockerignore_note(tmp_path) == (f"the build context uses {tmp_path / '.dockerignore'} (the sample app's own "
                                           ".dockerignore is not used for your answer).")


def test_check_prints_the_dockerignore_note_before_grading_unless_quiet(tmp_path, monkeypatch, capsys):
    from checker import exercises
    from checker.commands import check
    from checker.report import Report

    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\n")
    monkeypatch.setattr(exercises, "grade_answer", lambda *args, **kwargs: Report(
        dockerfile="Dockerfile", context=".", rubric="r", rubric_path="r.toml", status="passed", passed=True))
    args = argparse.Namespace(exercise="02", folder=tmp_path, quiet=False, timeout=None, no_keep=True, format="json",
                              output=tmp_path / "report.json", command="check")
    assert check.run(args) == 0
    assert capsys.readouterr().err == f"lean-check check: {check.dockerignore_note(tmp_path)}\n"
    args.quiet = True
    assert check.run(args) == 0 and capsys.readouterr().err == ""
