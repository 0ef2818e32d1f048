"""A throwaway JupyterLab server for the browser tests, started as `make lab` starts it.

It runs the command ``scripts/lab.py`` builds for `make lab` (the project's own ``.venv/bin/jupyter
lab``, the course's ``jupyter-config/``, the start page), over a learner's copy of the course that
``scripts/lab.py`` prepared in a folder the test owns, on a free localhost port, with a token
chosen by the test. Every Jupyter and JupyterLab directory that could
carry state between runs (config, data, runtime, settings, workspaces) points into a temp dir, so
a learner's own ``~/.jupyter`` never changes what the tests see, and the tests never change it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_lab_script():
    """``scripts/lab.py`` (what `make lab` runs) as a module."""
    spec = importlib.util.spec_from_file_location("lpi_lab_script", REPO_ROOT / "scripts" / "lab.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


lab_script = _load_lab_script()
VENV_JUPYTER = REPO_ROOT / ".venv" / "bin" / "jupyter"
WIDGET_MANAGER_EXTENSION = "@jupyter-widgets/jupyterlab-manager"

# The one user setting the robot adds to what `make lab` ships (jupyter-config/): every cell stays
# in the DOM (no windowing), so off-screen outputs can be inspected. The news pop-up and the
# Markdown viewer are left to the course's own settings, which the tests check.
_LAB_SETTINGS = {
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
        env = lab_script.jupyter_environment(env)
        env["PATH"] = f"{VENV_JUPYTER.parent}{os.pathsep}{env.get('PATH', '')}"
        for extension in self.disabled_extensions:
            # The learner's own command, at user level, i.e. in our private JUPYTER_CONFIG_DIR only.
            subprocess.run(
                [str(VENV_JUPYTER), "labextension", "disable", "--level=user", extension],
                env=env, check=True, capture_output=True, timeout=120,
            )
        command = lab_script.jupyter_command(self.root_dir, [
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            # jupyter_server 2 spells ServerApp.token this way (the old name is deprecated).
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.terminals_enabled=False",
            # Lets the tests read kernel state from the page; learners' `make lab` does not set it.
            "--LabApp.expose_app_in_browser=True",
        ])
        assert command[0] == str(VENV_JUPYTER), command
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


def prepare_course(destination: Path) -> Path:
    """A learner's copy of the course in ``destination``, made by `make lab`'s own code (real files untouched)."""
    lab_script.prepare(destination)
    return destination
