"""Shared test plumbing: the real engine, and a registry of what each test created."""

from __future__ import annotations

import os
import signal

import pytest

#: ``LPI_TEST_ENGINE=modern-containerd`` (a name ``python -m checker engines list`` prints) runs the
#: engine tests against that engine: DOCKER_HOST is set to its socket for the whole session.
TEST_ENGINE = os.environ.get("LPI_TEST_ENGINE", "").strip()


def _select_test_engine() -> str:
    """Point DOCKER_HOST at ``$LPI_TEST_ENGINE``; a clear UsageError when that engine does not answer."""
    from checker import modern_engines

    found = {engine.name: engine.docker_host for engine in modern_engines.available()}
    if TEST_ENGINE not in found:
        raise pytest.UsageError(
            f"LPI_TEST_ENGINE={TEST_ENGINE}: no such engine answers (answering: {', '.join(found) or 'none'}). "
            "Start the modern engines with `python -m checker engines up`."
        )
    os.environ["DOCKER_HOST"] = found[TEST_ENGINE]
    return found[TEST_ENGINE]


def pytest_report_header(config):
    return f"engine under test: {TEST_ENGINE or 'default'} ({os.environ.get('DOCKER_HOST', 'the default socket')})"


def pytest_configure(config):
    if TEST_ENGINE:
        _select_test_engine()
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
