"""The cache budget's image inventory is taken only when the kept builds may exceed it (pure: inventory faked)."""

from __future__ import annotations

import pytest

from checker.grading import cache as grading_cache


@pytest.fixture
def inventories(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("DOCKER_HOST", "unix:///test.sock")
    taken = []

    def enforce(budget, protect):
        taken.append(budget)
        return [], 600

    monkeypatch.setattr(grading_cache, "_enforce", enforce)
    return taken


def test_when_the_kept_images_stay_within_the_budget_then_no_inventory_is_taken_after_the_first(inventories):
    for _ in range(3):
        grading_cache.enforce_cache_budget_when_due(1000, added_bytes=100)
    assert len(inventories) == 1, "measured once (600 bytes), then 700 and 800 are within 1000"
    grading_cache.enforce_cache_budget_when_due(1000, added_bytes=300)
    assert len(inventories) == 2, "800 + 300 may exceed the budget: measured again"


def test_an_unknown_size_always_measures(inventories):
    grading_cache.enforce_cache_budget_when_due(1000, added_bytes=100)
    grading_cache.enforce_cache_budget_when_due(1000, added_bytes=None)
    assert len(inventories) == 2


def test_each_engine_has_its_own_count(inventories, monkeypatch):
    grading_cache.enforce_cache_budget_when_due(1000, added_bytes=100)
    monkeypatch.setenv("DOCKER_HOST", "unix:///other.sock")
    grading_cache.enforce_cache_budget_when_due(1000, added_bytes=100)
    assert len(inventories) == 2
