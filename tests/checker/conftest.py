"""Fixtures for the checker's tests: a staged copy of the sample app, the engine with the course's
base images, and a check that no container of a graded run outlives the tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.checker.support import SAMPLE_APP


@pytest.fixture(scope="session")
def app_context(tmp_path_factory) -> Path:
    """A build context holding a copy of the sample app (its .dockerignore included), made once."""
    target = tmp_path_factory.mktemp("app") / "context"
    shutil.copytree(SAMPLE_APP, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    return target


@pytest.fixture(scope="session")
def engine_ready(docker_client):
    """The engine answers and the course's base images are there (fail, do not skip, otherwise)."""
    from checker import engine
    from checker import settings as course_settings

    settings = course_settings.load()
    for ref in (settings.slim_image, settings.full_image):
        if not engine.image_exists(ref):
            pytest.fail(f"{ref} is not on the engine: run `python -m checker images` first")
    return settings


@pytest.fixture(scope="session")
def run_ids():
    """Every run id a test graded with; checked for leftovers when the session ends."""
    ids: list[str] = []
    yield ids
    if not ids:
        return
    from checker import engine
    from checker import settings as course_settings

    leftovers = []
    for run_id in ids:
        leftovers += engine.list_containers(f"{course_settings.LABEL_RUN}={run_id}")
    assert not leftovers, f"containers of graded runs were left behind: {leftovers}"
