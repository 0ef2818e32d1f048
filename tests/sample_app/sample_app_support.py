"""Helpers shared by the sample-app tests (kept out of conftest.py so tests can import them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SAMPLE_APP_DIR = Path(__file__).resolve().parents[2] / "sample_app"


def run_alembic(database_url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the alembic CLI from the app folder, as a learner would, with DATABASE_URL set (or not)."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=SAMPLE_APP_DIR, env=env, capture_output=True, text=True, timeout=120,
    )


def migrate(database_url: str) -> None:
    result = run_alembic(database_url, "upgrade", "head")
    assert result.returncode == 0, f"alembic upgrade head failed:\n{result.stderr}"
