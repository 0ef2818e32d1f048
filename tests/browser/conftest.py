"""Fixtures for the browser tests: one JupyterLab over a learner's copy of the course, one Chromium.

The server and the browser live for the whole session (starting them costs seconds, and the
suite must stay within minutes on two cores); each test gets a fresh browser context and a fresh
JupyterLab workspace, and its kernels are shut down when it ends.

Artifacts (screenshots of every step, a screenshot at the moment of a failure, the JupyterLab
log) go to ``artifacts/browser/`` at the repo root, which git ignores. With
``LPI_UPDATE_SCREENSHOTS=1`` the few screenshots the README shows are refreshed in
``docs/screenshots/``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness_notebooks import HARNESS_FOLDER, write_harness_notebooks
from labpage import LabPage
from labserver import REPO_ROOT, WIDGET_MANAGER_EXTENSION, JupyterLabServer, LabServerError, prepare_course

CHROMIUM = Path(os.environ.get("LPI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
DOCS_SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
#: Playwright's wait for one UI step; cell runs and grading pass their own, longer limits.
UI_TIMEOUT_MS = 30_000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}. The browser tests drive a real Chromium: "
            "run `apt-get install -y --no-install-recommends chromium fonts-dejavu-core` "
            "(`make test` does it through scripts/setup.sh). Never `playwright install`.",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts_root() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _course_copy(prefix: str) -> Path:
    """A learner's copy of the course, as `make lab` prepares it, plus the harness notebooks.

    It lives under ``artifacts/`` (git-ignored) inside the checkout, as ``my-course/`` does, so the
    exercise notebooks find the course's ``checker/`` by walking up from their folder.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=ARTIFACTS))
    prepare_course(root)
    write_harness_notebooks(root / HARNESS_FOLDER)
    return root


def _serve(root: Path, log: Path, disabled: tuple[str, ...] = ()) -> Iterator[JupyterLabServer]:
    """Start JupyterLab over ``root``; stop it and delete ``root`` and its state at the end."""
    state = Path(tempfile.mkdtemp(prefix="lpi-lab-state-"))
    server = JupyterLabServer(root_dir=root, state_dir=state, log_path=log, disabled_extensions=disabled)
    try:
        try:
            server.start()
        except LabServerError as error:
            pytest.fail(str(error), pytrace=False)
        yield server
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def lab_root() -> Path:
    """The shared server's root: a temp copy of the course, which tests may run and edit freely.

    Created here, removed when ``lab_server`` stops (the real files are never touched).
    """
    return _course_copy("lpi-lab-root-")


@pytest.fixture(scope="session")
def lab_server(lab_root, artifacts_root) -> Iterator[JupyterLabServer]:
    yield from _serve(lab_root, artifacts_root / "jupyterlab.log")


@pytest.fixture(scope="session")
def widgetless_lab_server(artifacts_root) -> Iterator[JupyterLabServer]:
    """JupyterLab with the ipywidgets manager disabled, as after `jupyter labextension disable`."""
    yield from _serve(
        _course_copy("lpi-widgetless-root-"),
        artifacts_root / "jupyterlab-widgetless.log",
        disabled=(WIDGET_MANAGER_EXTENSION,),
    )


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_executable), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_lab_page(browser, server: JupyterLabServer, folder: Path) -> Iterator[tuple[LabPage, list[str]]]:
    """A fresh browser context on ``server``; its screenshots go to ``folder``. Yields the page and its console log."""
    shutil.rmtree(folder, ignore_errors=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"[{message.type}] {message.text}"))
    try:
        yield LabPage(page, server, folder), console
    finally:
        context.close()
        server.shutdown_kernels()


def _lab_page(request, browser, server: JupyterLabServer, artifacts_root: Path) -> Iterator[LabPage]:
    folder = artifacts_root / re.sub(r"[^\w.-]+", "_", request.node.name)
    with open_lab_page(browser, server, folder) as (lab, console):
        yield lab
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            try:
                lab.shot("FAILED")
            except Exception:
                pass
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "browser-console.log").write_text("\n".join(console))


@pytest.fixture
def lab(request, browser, lab_server, artifacts_root) -> Iterator[LabPage]:
    """A learner's browser tab on the shared JupyterLab (fresh context, fresh workspace)."""
    yield from _lab_page(request, browser, lab_server, artifacts_root)


@pytest.fixture
def widgetless_lab(request, browser, widgetless_lab_server, artifacts_root) -> Iterator[LabPage]:
    yield from _lab_page(request, browser, widgetless_lab_server, artifacts_root)


@pytest.fixture(scope="session")
def publish_screenshot():
    """Copy a screenshot to docs/screenshots/ (as a small palette PNG) when LPI_UPDATE_SCREENSHOTS=1."""

    def publish(source: Path, name: str, max_width: int = 1100) -> None:
        if os.environ.get("LPI_UPDATE_SCREENSHOTS") != "1":
            return
        from PIL import Image

        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with Image.open(source) as image:
            image = image.convert("RGB")
            if image.width > max_width:
                image = image.resize((max_width, round(image.height * max_width / image.width)), Image.LANCZOS)
            image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
                DOCS_SCREENSHOTS / name, optimize=True
            )

    return publish


@pytest.fixture(scope="module")
def module_lab(request, browser, lab_server, artifacts_root) -> Iterator[LabPage]:
    """One browser tab shared by a module's tests (for a notebook that is run once, then inspected)."""
    folder = artifacts_root / Path(request.node.name).stem
    with open_lab_page(browser, lab_server, folder) as (lab, console):
        yield lab
        (folder / "browser-console.log").parent.mkdir(parents=True, exist_ok=True)
        (folder / "browser-console.log").write_text("\n".join(console))
