"""Fixtures of the robustness suite: the private fault engine, a per-case accounting, the figures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import lpi_robust as rb

FIGURES_FILE = Path(os.environ.get("LPI_ROBUSTNESS_FIGURES", "")) if os.environ.get("LPI_ROBUSTNESS_FIGURES") else None
_FAULT: rb.FaultEngine | None = None


@pytest.fixture(scope="session")
def main_engine(docker_client):
    """The engine everyone uses (checked to answer, with its docker0 bridge present)."""
    rb.ensure_docker0()
    return None


@pytest.fixture(scope="session")
def fault_engine():
    """A private dockerd (see FaultEngine); stopped and removed when the session ends."""
    global _FAULT
    if not shutil.which("dockerd") or os.geteuid() != 0:
        pytest.fail("The robustness suite needs root and dockerd to start its private fault engine.")
    engine = rb.FaultEngine()
    if engine.answers():  # left running by an interrupted session: adopt nothing, start clean
        rb.purge_private_engine(engine.host, set())
    else:
        engine.start()
    engine.ensure_base_image()
    _FAULT = engine
    yield engine
    engine.destroy()
    rb.ensure_docker0()


@pytest.fixture
def healthy_fault_engine(fault_engine):
    """The fault engine, answering (a fault test before may have stopped it), with its base image."""
    if not fault_engine.answers():
        fault_engine.start()
    fault_engine.ensure_base_image()
    # Each test accounts for its own leftovers; what an earlier one left must not fail this one.
    rb.purge_private_engine(fault_engine.host, base_images_of(fault_engine))
    return fault_engine


_BASE: set[str] = set()


def base_images_of(engine: rb.FaultEngine) -> set[str]:
    if not _BASE:
        _BASE.update(image["Id"] for image in rb.client(engine.host).api.images(all=True))
    return _BASE


@pytest.fixture(scope="session")
def base_images(fault_engine):
    return base_images_of(fault_engine)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if not rb.FIGURES.cases:
        return
    totals = rb.FIGURES.totals()
    terminalreporter.section("robustness figures")
    for line in rb.format_totals(totals):
        terminalreporter.write_line(line)
    if FIGURES_FILE is not None:
        rb.FIGURES.write(FIGURES_FILE)
        terminalreporter.write_line(f"(written to {FIGURES_FILE})")


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001
    if FIGURES_FILE is not None and rb.FIGURES.cases:
        rb.FIGURES.write(FIGURES_FILE)
    if _FAULT is not None:
        try:
            _FAULT.destroy()
        except Exception:
            pass
    rb.ensure_docker0()
