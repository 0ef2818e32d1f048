"""Shared test plumbing: the real engine, and a registry of what each test created."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    # Tests that need the engine fail with a clear reason when none answers; they are never skipped.
    pass


@pytest.fixture(scope="session")
def docker_client():
    """The real engine. Fails (not skips) with a clear reason when none answers."""
    import docker

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as exc:  # any failure to reach the engine means the same thing here
        pytest.fail(f"No Docker engine answers ({exc}). Run `make setup-test` (it starts one) and try again.")
    return client
