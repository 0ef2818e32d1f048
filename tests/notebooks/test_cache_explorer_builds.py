"""Lesson 5's cache explorer with real builds, driven here (the lesson leaves it to the learner).

Before issue 22 the lesson itself predicted and built from code, so nbval checked this; now the
learner's Run All leaves the explorer untouched and this test does what a learner's clicks do.
The lesson images are kept as cache, so after lesson 5 ran this takes seconds.
"""

from __future__ import annotations

import pytest

from checker.lesson.explorers import CacheExplorer

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1800)]


def test_predicting_with_the_cache_rule_is_right_and_a_dockerignored_edit_rebuilds_nothing():
    explorer = CacheExplorer()
    explorer.choose(order="right", changed="main.py")
    steps = explorer.steps()
    first_miss = max(number for number, instruction in steps if instruction == "COPY . .")
    explorer.predict(rebuilt=[number for number, _ in steps if number >= first_miss])
    outcome = explorer.run()
    assert outcome.correct, [(row.instruction, row.predicted, row.rebuilt) for row in outcome.mismatches]
    assert "RUN pip install --no-cache-dir -r requirements.txt" not in outcome.rebuilt
    assert explorer.outcome is outcome

    explorer.choose(order="wrong", changed="README.md")
    assert explorer.outcome is None, "the new choice cleared the last result"
    explorer.predict(rebuilt=[])
    ignored = explorer.run()
    assert ignored.correct and ignored.rebuilt == [], "a file .dockerignore excludes never reaches the build"
