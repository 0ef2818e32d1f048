"""What the BuildKit cache budget asks the engine (pure: a recording stand-in for the API client)."""

from __future__ import annotations

import json

import pytest

from checker.engine import buildkit, cleanup


class _Client:
    def __init__(self, api_version: str) -> None:
        self.api_version = api_version
        self.params: dict | None = None

    def _url(self, path: str) -> str:
        return path

    def _post(self, url: str, params: dict) -> dict:
        self.params = params
        return {"SpaceReclaimed": 42}

    def _result(self, response: dict, json: bool) -> dict:
        return response


@pytest.mark.parametrize("version, key", [("1.51", "max-used-space"), ("1.41", "keep-storage")])
def test_the_budget_takes_only_records_idle_long_enough(monkeypatch, version, key):
    client = _Client(version)
    monkeypatch.setattr(cleanup, "api", lambda: client)
    assert cleanup.prune_build_cache(8 * 1024**3, idle_s=1800) == 42
    assert client.params[key] == str(8 * 1024**3)
    assert json.loads(client.params["filters"]) == {"until": ["1800s"]}


def test_after_each_build_the_budget_spares_what_was_used_within_the_idle_time(monkeypatch):
    client = _Client("1.51")
    monkeypatch.setattr(cleanup, "api", lambda: client)
    buildkit._keep_cache_in_budget()
    assert json.loads(client.params["filters"]) == {"until": [f"{buildkit.CACHE_IDLE_S}s"]}
    assert buildkit.CACHE_IDLE_S >= 600, "long enough for a lesson's edit-and-rebuild"


def test_clean_prunes_everything_without_a_filter(monkeypatch):
    client = _Client("1.51")
    monkeypatch.setattr(cleanup, "api", lambda: client)
    cleanup.prune_build_cache()
    assert client.params == {"all": "1"}
