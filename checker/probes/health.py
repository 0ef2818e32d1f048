"""The health probe: start the image as a platform would and wait for ``GET /health`` to answer 200."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from checker import engine
from checker import settings as course_settings

POLL_S = 0.05
"""Seconds between two ``GET`` attempts: the first 200 is seen at most this late (plus the request's own time)."""
STATUS_EVERY_S = 0.25
"""Seconds between two looks at the container's state (an inspect on the engine): how late a stopped one is noticed."""


@dataclass
class HealthFacts:
    """What the health probe saw: the first answer to ``GET path``, or why none came."""

    ok: bool
    status: int | None = None
    seconds: float = 0.0
    """From the container's start to the first 200 (or to giving up)."""
    port: int = 8000
    path: str = "/health"
    reached_via: str = ""
    error: str | None = None
    logs: str = ""
    """The end of the container's output (capped)."""
    exit_code: int | None = None
    oom_killed: bool = False
    machine: bool = False
    """True when the probe itself failed (a bug of the checker's), not the container: ``error`` says how, and
    the health check is then not judged, at no cost to the learner."""


def container_port(info: engine.ImageInfo, preferred: int) -> int:
    """The port to probe: ``preferred`` when exposed or nothing is exposed, else the first EXPOSE."""
    exposed = [int(p.split("/")[0]) for p in info.exposed_ports if p.endswith("/tcp") and p.split("/")[0].isdigit()]
    if not exposed or preferred in exposed:
        return preferred
    return exposed[0]


def probe_health(
    image: str,
    *,
    port: int,
    path: str = "/health",
    deadline_s: float = 30,
    labels: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
    settings: course_settings.Settings | None = None,
) -> HealthFacts:
    """Start the image as it is and wait for ``GET path`` to answer 200.

    ``GET`` is tried every :data:`POLL_S` seconds (so ``seconds`` is the start-up time to that
    precision, and a grade does not wait on the poll), the container's state looked at every
    :data:`STATUS_EVERY_S` seconds. ``cancel`` (set by the grader on Ctrl-C) ends the wait early;
    the container is removed whatever happens.
    """
    facts = HealthFacts(ok=False, port=port, path=path)
    started = time.monotonic()
    cancel = cancel or threading.Event()
    state_seen = started - STATUS_EVERY_S  # the state is looked at after the first attempt
    try:
        with engine.service(image, port=port, labels=labels, settings=settings) as service:
            last = ""
            while True:
                if cancel.is_set():
                    facts.error = "The health probe was interrupted."
                    break
                status, body, how = service.get(path, timeout_s=2)
                if status is not None:
                    facts.status, facts.reached_via = status, how
                    if status == 200:
                        facts.ok = True
                        break
                    last = f"GET {path} answered {status}: {body[:200]}"
                else:
                    last = body
                past_deadline = time.monotonic() - started > deadline_s
                if past_deadline or time.monotonic() - state_seen >= STATUS_EVERY_S:
                    state_seen = time.monotonic()
                    state, exit_code, oom = service.status()
                    if state in {"exited", "dead", "removed"}:
                        facts.exit_code, facts.oom_killed = exit_code, oom
                        facts.error = f"The container stopped (exit code {exit_code}{', killed for using too much memory' if oom else ''}) before answering GET {path}."
                        break
                if past_deadline:
                    facts.error = f"No 200 from GET {path} on port {port} within {deadline_s:.0f} s ({last})."
                    loopback = [ip for ip, bound in (service.listening() or []) if bound == port
                                and (ip.startswith("127.") or ip == "::1")]
                    if loopback:
                        facts.error += (f" The server listens on {loopback[0]}:{port} inside the container, which only the"
                                        f" container itself can reach: bind it to 0.0.0.0 (for example --host 0.0.0.0).")
                    break
                cancel.wait(POLL_S)
            facts.seconds = time.monotonic() - started
            facts.logs = service.logs(limit=8 * 1024)
    except engine.EngineUnavailable:
        raise
    except engine.EngineError as exc:
        facts.error = str(exc)
        facts.seconds = time.monotonic() - started
    return facts
