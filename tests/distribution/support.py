"""Shared by the packaging tests: the repository, the pins, running a command with a reason on failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONSTRAINTS = REPO / "requirements" / "constraints.txt"
#: The Pythons the set-up supports: the floor (Debian 12's system python3), Ubuntu 24.04's, Debian 13's,
#: and the newest 3.12 and 3.13 the resolver knows.
SUPPORTED_PYTHONS = ("3.11.2", "3.12.3", "3.13.5", "3.12", "3.13")


def run(command: list[str], *, timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (text output captured); fail the test, with its output, when it cannot start or times out."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except FileNotFoundError as exc:
        pytest.fail(f"{command[0]} is not installed ({exc}); run `make setup-test`.")
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(map(str, command))} did not finish in {timeout:g} s: {exc.stdout}\n{exc.stderr}")


def uv() -> list[str]:
    """The pinned uv of the test environment, as a command."""
    return [sys.executable, "-m", "uv"]


def pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a requirements text as ``{normalised name: version}``."""
    found = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, _, version = line.partition("==")
            found[name.strip().lower().replace("_", "-").replace(".", "-")] = version.strip().split(";")[0].strip()
    return found
