"""`make lab` (the README's open-course command) really serves JupyterLab."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker  # `make lab` runs the set-up, which needs the engine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_lab_serves_the_lab_page_with_the_lessons():
    port = free_port()
    token = uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_TOKEN": token, "LAB_PORT": str(port), "LAB_ARGS": "--no-browser"}
    process = subprocess.Popen(
        ["make", "lab"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300
        page = ""
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"`make lab` exited early:\n{process.stdout.read().decode(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as response:
                    assert response.status == 200
                    page = response.read().decode("utf-8", "replace")
                    break
            except OSError:
                time.sleep(1)
        assert "JupyterLab" in page, "the /lab page never answered"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/notebooks?token={token}", timeout=10) as response:
            listing = response.read().decode()
        assert "00_environment.ipynb" in listing, "the lab does not serve the learner's copy (my-course/) with notebooks/"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
