"""What the learner's own terminal would do with the commands the lessons show: is there a ``docker``
CLI on ``PATH``, and does it find the buildx plugin that makes its ``docker build`` use BuildKit?

The lessons build through the course's own client (BuildKit through a buildx plugin it finds, see
:func:`checker.engine.choose_builder`). A terminal's ``docker build`` uses BuildKit only when *its*
CLI finds a buildx plugin (in ``~/.docker/cli-plugins`` or the system's plugin folders); without
one it falls back to the classic builder, prints a deprecation notice, and cannot build
``RUN --mount``. Measured by running ``docker buildx version``, never assumed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from ..engine.client import buildx_plugin, plugin_dirs


@dataclass(frozen=True)
class Terminal:
    """The ``docker`` CLI a terminal here would run, and the buildx plugin it finds."""

    docker: str | None
    """Path of ``docker`` on ``PATH``; None when there is none."""
    buildx: str | None
    """First line of ``docker buildx version`` (``github.com/docker/buildx 0.29.1 ...``); None when the CLI finds no plugin."""
    course_plugin: str
    """Path of the buildx plugin the course's own builds use; ``""`` when it found none."""

    def advice(self, lesson_builder: str) -> str:
        """One or two sentences: does this terminal build as the lessons do (``lesson_builder``: ``buildkit``
        or ``classic``), and if not, the command that makes it."""
        if self.docker is None:
            return ("There is no `docker` command on this machine's PATH: the commands the lessons show run "
                    "wherever Docker's CLI is installed and talks to this engine.")
        if self.buildx is not None:
            said = f"Your terminal's `docker` ({self.docker}) finds the buildx plugin ({self.buildx}): its `docker build` uses BuildKit"
            if lesson_builder == "buildkit":
                return said + ", as the lessons do."
            return (said + ", where the lessons used the classic builder: the commands they show start with "
                    "`DOCKER_BUILDKIT=0` so that yours builds the same way.")
        said = (f"Your terminal's `docker` ({self.docker}) finds no buildx plugin, so its `docker build` uses the "
                "classic builder (it prints a deprecation notice first) and cannot build `RUN --mount`.")
        if lesson_builder == "buildkit" and self.course_plugin:
            said += (" The lessons use BuildKit through the course's plugin; to make your terminal match: "
                     f"`mkdir -p ~/.docker/cli-plugins && ln -s {self.course_plugin} ~/.docker/cli-plugins/docker-buildx`.")
        return said


def terminal(timeout_s: float = 10) -> Terminal:
    """Measure this machine's terminal: the ``docker`` on ``PATH`` and whether ``docker buildx version``
    answers within ``timeout_s`` seconds. Never raises (a CLI that fails or hangs finds no plugin)."""
    docker = shutil.which("docker")
    course_plugin = buildx_plugin(plugin_dirs())
    version = None
    if docker is not None:
        try:
            answer = subprocess.run([docker, "buildx", "version"], capture_output=True, text=True,
                                    timeout=timeout_s, stdin=subprocess.DEVNULL)
            if answer.returncode == 0 and answer.stdout.strip():
                version = answer.stdout.strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError):
            version = None
    return Terminal(docker, version, course_plugin)
