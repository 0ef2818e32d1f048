"""Containers the checker starts: a command run to its end, a service, an exported filesystem.

Containers run with a memory limit (no extra swap), a pids limit, every capability dropped,
``no-new-privileges``, a capped json-file log, and either no network or the default bridge with
ports published on 127.0.0.1 only. Proxy settings from the client's config are never forwarded.
Every container carries the owner label and an expiry label (``LABEL_EXPIRES``).
"""

from __future__ import annotations

import http.client
import io
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .. import settings as course_settings
from .client import (
    LABEL_EXPIRES,
    ConnectionLost,
    EngineError,
    EngineUnavailable,
    NoSuchObject,
    ReadTimeout,
    api,
    owner_labels,
    translated,
)


@dataclass(frozen=True)
class Limits:
    """What a container may use. Defaults come from Settings."""

    memory_bytes: int
    """Memory, and memory plus swap (no extra swap)."""
    pids: int
    """Processes and threads."""
    log_bytes: int = 1024 * 1024
    """The json-file log's size (one file)."""

    @classmethod
    def from_settings(cls, settings: course_settings.Settings) -> Limits:
        """The memory and pids limits of ``settings``."""
        return cls(memory_bytes=settings.memory_bytes, pids=settings.pids_limit)


def _host_config(limits: Limits, *, network: str, ports: dict | None = None):
    return api().create_host_config(
        mem_limit=limits.memory_bytes,
        memswap_limit=limits.memory_bytes,
        pids_limit=limits.pids,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        network_mode=network,
        port_bindings=ports,
        log_config={"type": "json-file", "config": {"max-size": str(limits.log_bytes), "max-file": "1"}},
        ulimits=[{"name": "nofile", "soft": 4096, "hard": 4096}],
    )


def _create(
    image: str,
    *,
    command: list[str] | None,
    entrypoint: list[str] | str | None,
    user: str | None,
    workdir: str | None,
    environment: dict[str, str] | None,
    labels: dict[str, str],
    host_config,
    exposed: list[str] | None = None,
    lifetime_s: float = 900,
) -> str:
    """Create (not start) a container; its id. ``lifetime_s`` sets its expiry label."""
    labels = {**labels, LABEL_EXPIRES: str(int(time.time() + lifetime_s))}
    with translated(f"Could not create a container from {image}", missing=f"Image {image} does not exist on this engine."):
        created = api().create_container(
            image,
            command=command,
            entrypoint=entrypoint,
            user=user,
            working_dir=workdir,
            environment=environment,
            labels=owner_labels(labels),
            host_config=host_config,
            ports=exposed,
            use_config_proxy=False,
            network_disabled=False,
        )
    return created["Id"]


def remove_container(container_id: str) -> None:
    """Remove a container (killed first, its volumes too); gone already is fine.

    Raises EngineUnavailable when the engine does not answer, EngineError when it refuses.
    """
    try:
        with translated(f"Could not remove container {container_id[:12]}"):
            api().remove_container(container_id, force=True, v=True)
    except NoSuchObject:
        pass
    except EngineUnavailable:
        raise
    except EngineError as exc:
        if "already in progress" not in str(exc):
            raise


def _logs(container_id: str, *, stdout: bool = True, stderr: bool = True, limit: int = 64 * 1024) -> str:
    """The container's output, at most ``limit`` bytes (the tail is kept)."""
    try:
        with translated("Could not read a container's output"):
            data = api().logs(container_id, stdout=stdout, stderr=stderr, stream=False, tail=2000)
    except EngineError:
        return ""
    if len(data) > limit:
        data = b"[... output cut ...]\n" + data[-limit:]
    return data.decode("utf-8", "replace")


@dataclass
class RunResult:
    """How a command run by :func:`run` ended."""

    exit_code: int | None
    """None when it timed out or never started."""
    stdout: str
    stderr: str
    """Each capped at ``run``'s ``output_limit`` bytes (the tail kept)."""
    seconds: float
    timed_out: bool = False
    oom_killed: bool = False

    @property
    def ok(self) -> bool:
        """Exited 0 within its deadline."""
        return self.exit_code == 0 and not self.timed_out


def _files_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        dirs = sorted({str(Path(name).parent) for name in files if str(Path(name).parent) not in {".", ""}})
        for directory in dirs:
            member = tarfile.TarInfo(directory)
            member.type = tarfile.DIRTYPE
            member.mode = 0o755
            tar.addfile(member)
        for name, data in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            member.mode = 0o644
            member.mtime = int(time.time())
            tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def _kill(container_id: str) -> None:
    try:
        with translated("Could not kill a container"):
            api().kill(container_id)
    except EngineError:
        pass


def run(
    image: str,
    command: list[str],
    *,
    entrypoint: list[str] | str | None = "",
    user: str | None = None,
    workdir: str | None = None,
    environment: dict[str, str] | None = None,
    files: dict[str, bytes] | None = None,
    labels: dict[str, str] | None = None,
    timeout_s: float = 60,
    limits: Limits | None = None,
    output_limit: int = 256 * 1024,
    settings: course_settings.Settings | None = None,
) -> RunResult:
    """Run a command to its end in a fresh, network-less, capability-less container.

    ``files`` (``{"relative/path": bytes}``) are copied in under ``/`` before it starts. The
    container is killed at the deadline (``timeout_s`` seconds) and always removed; stdout and
    stderr are kept up to ``output_limit`` bytes each. A command that fails or times out is a
    result; raises ImageUnavailable when ``image`` is missing, EngineError for engine trouble.
    """
    settings = settings or course_settings.load()
    limits = limits or Limits.from_settings(settings)
    container_id = _create(
        image, command=command, entrypoint=entrypoint, user=user, workdir=workdir, environment=environment,
        labels=labels or {}, host_config=_host_config(limits, network="none"), lifetime_s=timeout_s + 300,
    )
    started = time.monotonic()
    try:
        if files:
            with translated(f"Could not copy the probe into a container of {image}"):
                api().put_archive(container_id, "/", _files_tar(files))
        try:
            with translated("the container did not start"):
                api().start(container_id)
        except EngineUnavailable:
            raise
        except EngineError as exc:
            return RunResult(None, "", str(exc), time.monotonic() - started)
        timed_out = False
        exit_code = None
        try:
            status = api().wait(container_id, timeout=timeout_s)
            exit_code = int(status.get("StatusCode", -1))
        except (ReadTimeout, ConnectionLost):  # how docker-py reports the wait's deadline
            timed_out = True
            _kill(container_id)
        except BaseException:
            _kill(container_id)
            raise
        with translated(f"Could not inspect a container of {image}"):
            state = api().inspect_container(container_id).get("State", {})
        return RunResult(
            exit_code=None if timed_out else exit_code,
            stdout=_logs(container_id, stderr=False, limit=output_limit),
            stderr=_logs(container_id, stdout=False, limit=output_limit),
            seconds=time.monotonic() - started,
            timed_out=timed_out,
            oom_killed=bool(state.get("OOMKilled")),
        )
    finally:
        remove_container(container_id)


@dataclass
class Service:
    """A container started with its own command, published on 127.0.0.1 (see :func:`service`)."""

    container_id: str
    container_port: str
    """``<port>/tcp`` inside the container."""
    host_port: int | None
    """The port published on 127.0.0.1, None when the engine published none."""
    ip: str | None
    """The container's address on the bridge, None when it has none."""

    def status(self) -> tuple[str, int | None, bool]:
        """(state, exit code when exited, OOM-killed); ``("removed", None, False)`` once gone."""
        try:
            with translated("Could not inspect a service container"):
                state = api().inspect_container(self.container_id).get("State", {})
        except NoSuchObject:
            return "removed", None, False
        return str(state.get("Status")), state.get("ExitCode"), bool(state.get("OOMKilled"))

    def health(self) -> tuple[str | None, tuple[dict, ...]]:
        """The engine's verdict on the image's HEALTHCHECK: (status, last checks).

        status is ``"starting"``, ``"healthy"`` or ``"unhealthy"`` (the container's
        ``State.Health.Status``), None when the image declares no HEALTHCHECK or the container is
        gone; the checks are the engine's latest results, oldest first, each a dict with ``Start``,
        ``End``, ``ExitCode`` and ``Output``. Raises EngineError when the engine cannot say.
        """
        try:
            with translated("Could not inspect a service container"):
                state = api().inspect_container(self.container_id).get("State", {})
        except NoSuchObject:
            return None, ()
        health = state.get("Health") or {}
        return (str(health["Status"]) if health.get("Status") else None), tuple(health.get("Log") or ())

    def logs(self, limit: int = 16 * 1024) -> str:
        """Its stdout and stderr, at most ``limit`` bytes (the tail)."""
        return _logs(self.container_id, limit=limit)

    def addresses(self) -> list[tuple[str, int, str]]:
        """Where to reach the port: (host, port, how), the published port first."""
        found = []
        if self.host_port:
            found.append(("127.0.0.1", self.host_port, "published on 127.0.0.1 (docker-proxy)"))
        if self.ip:
            found.append((self.ip, int(self.container_port.split("/")[0]), "the container's bridge address"))
        return found

    def get(self, path: str, timeout_s: float = 2.0) -> tuple[int | None, str, str]:
        """GET ``path``: (status or None, body head (4 KiB) or error, how it was reached).

        An answer counts only when this container is still running after it: the engine hands a
        stopped container's bridge address (and, on some versions, its published port) to the next
        container it starts, so once this one has stopped, whatever answers there is somebody else
        (measured on Docker 20.10 and 28: the next container gets the same bridge address at once).
        Such an answer gives ``(None, why, "")``.
        """
        last_error = "no address to reach the container on"
        for host, port, how in self.addresses():
            connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
            try:
                connection.request("GET", path, headers={"Host": "localhost", "Connection": "close"})
                response = connection.getresponse()
                body = response.read(4096).decode("utf-8", "replace")
                state = self.status()[0]
                if state != "running":
                    return None, (f"an answer came from {host}:{port} ({how}), but this container had stopped "
                                  f"({state}): the address is no longer its own, so the answer is not counted"), ""
                return response.status, body, how
            except (OSError, http.client.HTTPException) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            finally:
                connection.close()
        return None, last_error, ""

    def listening(self) -> list[tuple[str, int]] | None:
        """TCP (address, port) pairs the container listens on, from its /proc/net/tcp{,6}.

        Read with ``cat`` inside the container; when the image has no ``cat``, from the host's
        /proc when the engine runs on this machine. None when neither works.
        """
        try:
            exec_id = api().exec_create(self.container_id, ["cat", "/proc/net/tcp", "/proc/net/tcp6"],
                                        stdout=True, stderr=False, user="")
            text = api().exec_start(exec_id, stream=False, demux=False).decode("ascii", "replace")
        except Exception:
            text = ""
        if "local_address" not in text:
            try:
                pid = int(api().inspect_container(self.container_id)["State"]["Pid"])
                text = "".join(Path(f"/proc/{pid}/net/{name}").read_text() for name in ("tcp", "tcp6"))
            except Exception:
                return None
        return parse_proc_net_tcp(text)

    def remove(self) -> None:
        """Remove the container now (``service`` also does when its block ends)."""
        remove_container(self.container_id)


def parse_proc_net_tcp(text: str) -> list[tuple[str, int]]:
    """The LISTEN sockets of /proc/net/tcp and tcp6 text: (address, port) pairs.

    IPv4-mapped IPv6 addresses come out as dotted IPv4, ``::1`` and ``::`` by name, others as hex.
    """
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[3] != "0A" or ":" not in fields[1]:  # 0A: LISTEN
            continue
        address, port = fields[1].split(":")
        try:
            if len(address) == 8:
                ip = ".".join(str(b) for b in reversed(bytes.fromhex(address)))
            else:
                words = [bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, 32, 8)]
                raw = b"".join(words)
                ip = (".".join(str(b) for b in raw[12:]) if raw[:12] == b"\0" * 10 + b"\xff\xff"
                      else ("::1" if raw == b"\0" * 15 + b"\1" else ("::" if raw == b"\0" * 16 else raw.hex())))
            found.append((ip, int(port, 16)))
        except ValueError:
            continue
    return found


@contextmanager
def service(
    image: str,
    *,
    port: int,
    labels: dict[str, str] | None = None,
    limits: Limits | None = None,
    lifetime_s: float = 600,
    settings: course_settings.Settings | None = None,
) -> Iterator[Service]:
    """Start ``image`` with its own ENTRYPOINT/CMD/USER/ENV, port published on 127.0.0.1 only.

    The container joins the default bridge (with dockerd's ``--iptables=false`` the bridge has no
    route out, and nothing from outside reaches it: the port is published on the loopback
    address by docker-proxy, and the host can also reach the container's bridge address).
    It is removed when the block ends. Raises EngineError when it cannot start.
    """
    settings = settings or course_settings.load()
    limits = limits or Limits.from_settings(settings)
    container_port = f"{port}/tcp"
    host_config = _host_config(limits, network="bridge", ports={container_port: ("127.0.0.1", None)})
    container_id = _create(
        image, command=None, entrypoint=None, user=None, workdir=None, environment=None,
        labels=labels or {}, host_config=host_config, exposed=[container_port], lifetime_s=lifetime_s,
    )
    try:
        with translated("The container did not start"):
            api().start(container_id)
            inspected = api().inspect_container(container_id)
        network = inspected.get("NetworkSettings") or {}
        bindings = (network.get("Ports") or {}).get(container_port) or []
        host_port = next((int(b["HostPort"]) for b in bindings if b.get("HostPort")), None)
        ip = network.get("IPAddress") or next(
            (n.get("IPAddress") for n in (network.get("Networks") or {}).values() if n.get("IPAddress")), None
        )
        yield Service(container_id, container_port, host_port, ip or None)
    finally:
        remove_container(container_id)


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (what docker-py's ``export()`` yields)."""

    def __init__(self, chunks: Iterator[bytes], first: bytes = b"") -> None:
        self._chunks = chunks
        self._pending = first

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@contextmanager
def exported_filesystem(image: str, *, labels: dict[str, str] | None = None, chunk_size: int = 1024 * 1024) -> Iterator[BinaryIO]:
    """The image's final filesystem as a tar stream (``docker export`` of a created container).

    The container is never started; it is removed when the block ends. Reads come in chunks of
    ``chunk_size`` bytes. Raises ImageUnavailable when ``image`` is missing, EngineError when the
    engine cannot export it.
    """
    container_id = _create(
        image, command=["/lpi-never-started"], entrypoint="", user=None, workdir=None, environment=None,
        labels=labels or {}, host_config=api().create_host_config(network_mode="none"), lifetime_s=1800,
    )
    try:
        # docker-py's export() sends the request now and checks its status on the first chunk.
        with translated(f"Could not export the filesystem of {image}"):
            chunks = api().export(container_id, chunk_size=chunk_size)
        try:
            with translated(f"Could not export the filesystem of {image}"):
                first = next(chunks, b"")
            yield io.BufferedReader(_ChunkReader(chunks, first), buffer_size=chunk_size)
        finally:
            chunks.close()
    finally:
        remove_container(container_id)
