"""The pre-commit hook ``lean-check-lint`` runs, through pre-commit itself (pinned), on a scratch repository.

Needs the network: ``pre-commit try-repo`` installs this repository (and its dependencies, from
PyPI) into pre-commit's own environment, as a user's ``pre-commit install`` would.
"""

from __future__ import annotations

import os
import sys

import pytest

from .support import REPO, run

BAD = "FROM python:3.13-slim\nRUN apt-get update && apt-get install -y gcc libpq-dev\nCOPY . .\nCMD python main.py\n"


@pytest.fixture
def scratch(tmp_path):
    """A git repository with one committed bad Dockerfile and a README that the hook must not read."""
    repo = tmp_path / "scratch"
    repo.mkdir()
    (repo / "Dockerfile").write_text(BAD)
    (repo / "README.md").write_text("not a Dockerfile\n")
    for command in (["git", "init", "-q"], ["git", "add", "."],
                    ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "scratch"]):
        assert run(command, timeout=60, cwd=repo).returncode == 0
    return repo


@pytest.mark.slow
def test_the_lean_check_lint_hook_fails_a_bad_dockerfile_and_names_the_rules(scratch, tmp_path):
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    done = run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "lean-check-lint", "--all-files", "--verbose"],
               timeout=900, cwd=scratch, env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]
    assert "lean-check lint" in out and "Failed" in out
    assert "Dockerfile:2:1: error: LPI002" in out, out[-3000:]
    assert "README.md" not in out.split("lean-check lint", 1)[1]
