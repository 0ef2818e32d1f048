"""Shared test plumbing: the real engine, and a registry of what each test created."""

from __future__ import annotations

import signal

import pytest


def pytest_configure(config):
    # Started in the background by a non-interactive shell (nohup, some CI runners), the run
    # inherits SIGINT ignored, and so would every grader it starts: the tests that press Ctrl-C
    # on a grader would then test nothing. Handled signals reset to default across exec.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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
