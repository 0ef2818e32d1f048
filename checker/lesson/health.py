"""Watch an image's HEALTHCHECK at work: start the image, read the engine's health status until it settles.

The engine runs the check inside the container (``State.Health`` of ``docker inspect``); this
module only reads it, as often as ``poll_s``, and keeps each change with the time it happened, so
a lesson can show ``starting`` turning into ``healthy`` or ``unhealthy`` and how long it took.
The container is started as a platform would (``checker.engine.service``: its own CMD, USER and
ENV, the course's labels and limits) and removed when the watch ends.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from .. import engine
from .. import settings as course_settings
from . import cli

#: The statuses that end a watch unless told otherwise: the engine's verdicts after ``starting``.
SETTLED = ("healthy", "unhealthy")


@dataclass(frozen=True)
class HealthWatch:
    """What the engine reported about one container's health, from its start to the end of the watch."""

    image: str
    changes: tuple[tuple[float, str | None], ...]
    """(seconds since the container started, status) at each change, the first reading included;
    status is ``"starting"``, ``"healthy"``, ``"unhealthy"`` or None (no HEALTHCHECK)."""
    state: str
    """The container's own state at the end (``"running"``, ``"exited"``...): health does not change it."""
    checks: tuple[dict, ...]
    """The engine's latest check results at the end, oldest first (``ExitCode``, ``Output``...)."""
    seconds: float
    """How long the watch lasted."""

    @property
    def final(self) -> str | None:
        """The last status seen (None: the image has no HEALTHCHECK)."""
        return self.changes[-1][1] if self.changes else None

    def seconds_to(self, status: str) -> float | None:
        """Seconds from the start until ``status`` was first seen; None if it never was."""
        return next((at for at, seen in self.changes if seen == status), None)

    def statuses(self) -> list[str | None]:
        """The statuses in the order they were seen, each once per change."""
        return [seen for _, seen in self.changes]

    def last_output(self) -> str:
        """What the last check printed (its ``Output``, stripped), or an empty string."""
        return str(self.checks[-1].get("Output") or "").strip() if self.checks else ""

    def __str__(self) -> str:
        steps = " -> ".join(f"{seen} ({at:.1f} s)" for at, seen in self.changes)
        return f"{self.image}: {steps}; the container is {self.state}"


def watch_health(image: str, *, port: int = 8000, until: Sequence[str] = SETTLED, deadline_s: float = 60,
                 poll_s: float = 0.25, show: bool = True,
                 settings: course_settings.Settings | None = None) -> HealthWatch:
    """Start ``image`` and read its health status every ``poll_s`` seconds until it is one of ``until``.

    Stops at ``deadline_s`` seconds at the latest, or as soon as the image turns out to have no
    HEALTHCHECK (status None) or the container stops. With ``show``, the equivalent
    ``docker run -d`` / ``docker inspect`` commands are shown first. The container is removed when
    the watch ends. Raises ``engine.EngineError`` when the container cannot start.
    """
    if show:
        cli.display_command(cli.docker_health(image, port))
    settings = settings or course_settings.load()
    changes: list[tuple[float, str | None]] = []
    checks: tuple[dict, ...] = ()
    state = "created"
    with engine.service(image, port=port, settings=settings) as app:
        started = time.perf_counter()
        while True:
            elapsed = time.perf_counter() - started
            status, checks = app.health()
            state = app.status()[0]
            if not changes or changes[-1][1] != status:
                changes.append((elapsed, status))
            if status in until or status is None or state != "running" or elapsed >= deadline_s:
                break
            time.sleep(poll_s)
    return HealthWatch(image, tuple(changes), state, checks, time.perf_counter() - started)
