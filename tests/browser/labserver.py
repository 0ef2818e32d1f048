"""A throwaway JupyterLab server for the browser tests.

It runs the project's own ``.venv/bin/jupyter lab`` (so the kernel is the venv's ipykernel and the
widget extension is the one the course ships), on a free localhost port, with a token chosen by
the test, over a root directory the test owns. Every Jupyter and JupyterLab directory that could
carry state between runs (config, data, runtime, settings, workspaces) points into a temp dir, so
a learner's own ``~/.jupyter`` never changes what the tests see, and the tests never change it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_JUPYTER = REPO_ROOT / ".venv" / "bin" / "jupyter"
WIDGET_MANAGER_EXTENSION = "@jupyter-widgets/jupyterlab-manager"

# User settings that keep JupyterLab quiet and deterministic for a robot:
# - no "Would you like to receive Jupyter news?" toast covering the notebook;
# - every cell stays in the DOM (no windowing), so off-screen outputs can be inspected.
_LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
    },
}


class LabServerError(RuntimeError):
    """JupyterLab did not start or did not answer; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_isolated_dirs(state_dir: Path) -> dict[str, str]:
    """Create private Jupyter dirs under ``state_dir``; return the environment that selects them."""
    config = state_dir / "config"
    settings = state_dir / "lab-settings"
    for relative, values in _LAB_SETTINGS.items():
        path = settings / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))
    config.mkdir(parents=True, exist_ok=True)
    for name in ("data", "runtime", "workspaces", "ipython"):
        (state_dir / name).mkdir(parents=True, exist_ok=True)
    return {
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(state_dir / "data"),
        "JUPYTER_RUNTIME_DIR": str(state_dir / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(state_dir / "workspaces"),
        "IPYTHONDIR": str(state_dir / "ipython"),
        # The venv's kernelspec and extensions come first even if the user has their own.
        "JUPYTER_PREFER_ENV_PATH": "1",
    }


@dataclass
class JupyterLabServer:
    """One running ``jupyter lab``; use :meth:`start` and :meth:`stop` (or ``with``)."""

    root_dir: Path
    state_dir: Path
    log_path: Path
    disabled_extensions: tuple[str, ...] = ()
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{separator}token={self.token}"

    def start(self, timeout_s: float = 90) -> JupyterLabServer:
        if not VENV_JUPYTER.exists():
            raise LabServerError(f"{VENV_JUPYTER} is missing: run `make setup-test` to create the project's venv.")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
        env.update(write_isolated_dirs(self.state_dir))
        env["PATH"] = f"{VENV_JUPYTER.parent}{os.pathsep}{env.get('PATH', '')}"
        for extension in self.disabled_extensions:
            # The learner's own command, at user level, i.e. in our private JUPYTER_CONFIG_DIR only.
            subprocess.run(
                [str(VENV_JUPYTER), "labextension", "disable", "--level=user", extension],
                env=env, check=True, capture_output=True, timeout=120,
            )
        command = [
            str(VENV_JUPYTER), "lab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            # jupyter_server 2 spells ServerApp.token this way (the old name is deprecated).
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.terminals_enabled=False",
            # Lets the tests read kernel state from the page; learners' `make lab` does not set it.
            "--LabApp.expose_app_in_browser=True",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=self.root_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LabServerError(f"jupyter lab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "api/status", timeout=2)
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.3)
        self.stop()
        raise LabServerError(f"jupyter lab did not answer within {timeout_s:.0f}s:\n{self.log_tail()}")

    def api(self, method: str, path: str, timeout: float = 30):
        request = urllib.request.Request(
            f"{self.base_url}/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Stop every kernel (a finished test must not leave a kernel burning a core)."""
        try:
            for session in self.api("GET", "api/sessions"):
                self.api("DELETE", f"api/sessions/{session['id']}")
            for kernel in self.api("GET", "api/kernels"):
                self.api("DELETE", f"api/kernels/{kernel['id']}")
        except (OSError, urllib.error.URLError):
            pass

    def stop(self, timeout_s: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.shutdown_kernels()
        try:
            self.api("POST", "api/shutdown", timeout=5)
        except (OSError, urllib.error.URLError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> JupyterLabServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


#: What a learner's checkout needs for the notebooks to run. checker/ is copied too (not linked)
#: because the notebooks find it by walking up from their folder, and it finds the exercises
#: next to itself: a link would send the grader back to the real exercises/ folder.
COURSE_PARTS = ("notebooks", "exercises", "solutions", "sample_app", "checker")


def copy_course_tree(destination: Path, parts: tuple[str, ...] = COURSE_PARTS) -> Path:
    """Copy the learner-facing folders of the repo into ``destination`` (the real files stay untouched)."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".pytest_cache")
    for part in parts:
        source = REPO_ROOT / part
        if source.exists():
            shutil.copytree(source, destination / part, ignore=ignore, symlinks=True)
    return destination
