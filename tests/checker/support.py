"""Paths and the golden-file comparison shared by the checker's tests (plain names, no fixtures)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE_APP = REPO / "sample_app"
FIXTURES = Path(__file__).with_name("fixtures")
GOLDEN = REPO / "tests" / "golden"


def compare_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME exactly; LPI_UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("LPI_UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if os.environ.get("LPI_UPDATE_GOLDEN") != "1":
            pytest.fail(f"golden file {path} did not exist; it was written now: review it and run again")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file (LPI_UPDATE_GOLDEN=1 rewrites it after review)"
