"""Plain HTTP to a Docker engine over its unix socket (``http.client``): no ``docker`` package here.

Only :mod:`checker.engine` imports the ``docker`` package; the engine manager needs just three
read-only calls (``/_ping``, ``/version``, ``/info``), so it speaks HTTP itself.
"""

from __future__ import annotations

import http.client
import json
import socket


class EngineUnreachable(OSError):
    """The engine at a DOCKER_HOST did not answer (no socket, refused, timeout, or an HTTP error)."""


class _UnixConnection(http.client.HTTPConnection):
    """An HTTP connection whose transport is a unix stream socket at ``path``."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def socket_path(docker_host: str) -> str:
    """The file of a ``unix://`` DOCKER_HOST: ``unix:///run/x.sock`` -> ``/run/x.sock``.

    Raises :class:`ValueError` for any other scheme (tcp://, ssh://, npipe://): the manager only
    provisions and probes local unix sockets.
    """
    if not docker_host.startswith("unix://"):
        raise ValueError(f"only unix:// engines can be probed here, not {docker_host!r}")
    return docker_host[len("unix://"):]


def get(docker_host: str, path: str, *, timeout: float = 5.0) -> bytes:
    """The body of ``GET path`` on the engine at ``docker_host`` (a ``unix://`` URL), as bytes.

    ``timeout`` is in seconds, for connecting and for each read. Raises :class:`EngineUnreachable`
    when the socket is absent or refuses, on a timeout, or when the status is not 2xx.
    """
    connection = _UnixConnection(socket_path(docker_host), timeout)
    try:
        connection.request("GET", path, headers={"Host": "docker"})
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise EngineUnreachable(f"{docker_host} does not answer {path}: {exc}") from exc
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise EngineUnreachable(f"{docker_host} answered {path} with HTTP {response.status}: {body[:200]!r}")
    return body


def get_json(docker_host: str, path: str, *, timeout: float = 5.0) -> dict:
    """``GET path`` decoded from JSON (``/version``, ``/info``). Raises :class:`EngineUnreachable`."""
    body = get(docker_host, path, timeout=timeout)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise EngineUnreachable(f"{docker_host} answered {path} with something that is not JSON") from exc


def answers(docker_host: str, *, timeout: float = 2.0) -> bool:
    """True when ``GET /_ping`` on ``docker_host`` returns 2xx within ``timeout`` seconds."""
    try:
        get(docker_host, "/_ping", timeout=timeout)
    except (EngineUnreachable, ValueError):
        return False
    return True
