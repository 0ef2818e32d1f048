"""Answers built from an exercise's hints, so the tests can check that following a hint pays.

A hint's listing is the first fenced block of its level in ``hints.md``; the capstone's Level 2
holds the ``.dockerignore`` a learner would copy.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from checker.lesson.exercise import hint_levels

ROOT = Path(__file__).resolve().parents[2]
CAPSTONE = ROOT / "exercises" / "06-production-ready"


def hint_listings(exercise: Path, level: str) -> list[str]:
    """The fenced code blocks of hint ``level`` (e.g. "Level 2"), in order; [] when it has none."""
    body = dict(hint_levels(exercise))[level]
    return re.findall(r"```[a-z]*\n(.*?)```", body, flags=re.DOTALL)


def capstone_hint_dockerignore() -> str:
    """The .dockerignore that exercise 06's Level 2 hint tells the learner to write."""
    listings = hint_listings(CAPSTONE, "Level 2")
    assert len(listings) == 1, "exercise 06's Level 2 hint shows exactly one listing, the .dockerignore"
    return listings[0]


def capstone_answer_from_hints(folder: Path) -> Path:
    """Write into ``folder`` the capstone answer a learner gets by following the hints.

    The Dockerfile is the reference solution, whose user and HEALTHCHECK lines are the hints'
    (tests/exercises/test_exercise_files.py checks that); the .dockerignore is the hint's listing.
    Returns ``folder``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "solutions" / CAPSTONE.name / "Dockerfile", folder / "Dockerfile")
    (folder / ".dockerignore").write_text(capstone_hint_dockerignore())
    return folder
