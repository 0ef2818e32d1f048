"""The only module that talks to the Docker engine (through the docker SDK).

Everything above it sees our own types: ``BuildResult``, ``ImageInfo``, ``RunResult``, ``Service``
and the small ``EngineError`` family. Engine errors are translated here, in one place, and keep the
build log or the container's output.

Builds use the classic builder (what engine 20.10 without buildx runs). Their wall-clock deadline is
enforced here by the checker, not by an HTTP timeout: the build stream is read in a worker thread;
at the deadline (or on Ctrl-C, or when the caller's ``should_stop`` says so) the HTTP connection's
socket is shut down. The engine sees the client go away, cancels the build, kills the step's
container and removes it; we then wait until that container is gone and force-remove it if the
engine did not. (Closing the SDK's generator from another thread does nothing while the worker is
blocked reading it; shutting the socket down is what unblocks both sides.)

Containers run with a memory limit (no extra swap), a pids limit, every capability dropped,
``no-new-privileges``, a capped json-file log, and either no network or the default bridge with
ports published on 127.0.0.1 only. Proxy settings from the client's config are never forwarded.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
import tarfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import docker
import docker.errors
import requests.exceptions
from docker.utils import kwargs_from_env

from . import settings as course_settings

LineCallback = Callable[[str], None]


class EngineError(Exception):
    """Something about the engine (not the learner's Dockerfile) stopped the work."""


class EngineUnavailable(EngineError):
    """No engine answers."""


class ImageUnavailable(EngineError):
    """A base image is neither present nor obtainable."""


# ----------------------------------------------------------------------------------------------
# connection


@lru_cache(maxsize=1)
def _client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise EngineUnavailable(
            "No Docker engine answers. Run `make setup` (it starts one on Debian as root), "
            "or start Docker Desktop, then try again."
        ) from exc
    return client


def reset_connection() -> None:
    """Forget the cached client (after the engine restarted)."""
    _client.cache_clear()


def ping() -> None:
    """Raise EngineUnavailable unless an engine answers."""
    _call(_client().ping)


@dataclass(frozen=True)
class EngineInfo:
    server_version: str
    api_version: str
    storage_driver: str
    operating_system: str
    buildkit: bool
    """Whether builds here may use BuildKit-only syntax (classic builder: False)."""


def info() -> EngineInfo:
    client = _client()
    data = _call(client.info)
    version = _call(client.version)
    return EngineInfo(
        server_version=str(data.get("ServerVersion", "?")),
        api_version=str(version.get("ApiVersion", "?")),
        storage_driver=str(data.get("Driver", "?")),
        operating_system=str(data.get("OperatingSystem", "?")),
        # The SDK's build endpoint drives the classic builder; BuildKit needs buildx/the session API.
        buildkit=False,
    )


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except requests.exceptions.ConnectionError as exc:
        reset_connection()
        raise EngineUnavailable(f"The Docker engine stopped answering: {exc}") from exc


def _owner_labels(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {course_settings.LABEL_OWNER: course_settings.OWNER_VALUE, **(extra or {})}


#: On every container the checker creates: the time (epoch seconds) after which it is certainly
#: abandoned (its grader was killed with SIGKILL, say). :func:`reap_expired_containers` removes those.
LABEL_EXPIRES = "org.lean-python-images.expires"


# ----------------------------------------------------------------------------------------------
# images


@dataclass(frozen=True)
class Layer:
    size_bytes: int
    created_by: str


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...]
    size_bytes: int
    """Uncompressed size as the engine reports it (classic image store: sum of layer sizes)."""
    labels: dict[str, str]
    layers: tuple[Layer, ...]
    env: tuple[str, ...]
    user: str
    cmd: tuple[str, ...] | None
    entrypoint: tuple[str, ...] | None
    exposed_ports: tuple[str, ...]
    created: str
    workdir: str = ""
    parent: str = ""

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "tags": list(self.tags),
            "size_bytes": self.size_bytes,
            "layers": [{"size_bytes": layer.size_bytes, "created_by": layer.created_by} for layer in self.layers],
        }

    def env_dict(self) -> dict[str, str]:
        values = {}
        for entry in self.env:
            name, _, value = entry.partition("=")
            values[name] = value
        return values


def image_exists(ref: str) -> bool:
    try:
        _call(_client().images.get, ref)
        return True
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as exc:
        raise EngineError(f"Could not look up image {ref}: {exc.explanation}") from exc


def image_info(ref: str) -> ImageInfo:
    try:
        image = _call(_client().images.get, ref)
        history = _call(image.history)
    except docker.errors.ImageNotFound as exc:
        raise ImageUnavailable(f"Image {ref} does not exist on this engine.") from exc
    except docker.errors.APIError as exc:
        raise EngineError(f"Could not inspect image {ref}: {exc.explanation}") from exc
    attrs = image.attrs
    config = attrs.get("Config") or {}
    layers = tuple(
        Layer(size_bytes=int(entry.get("Size") or 0), created_by=_clean_created_by(entry.get("CreatedBy", "")))
        for entry in reversed(history)
    )
    return ImageInfo(
        id=image.id,
        tags=tuple(image.tags),
        size_bytes=int(attrs.get("Size") or 0),
        labels=dict(config.get("Labels") or {}),
        layers=layers,
        env=tuple(config.get("Env") or ()),
        user=str(config.get("User") or ""),
        cmd=tuple(config["Cmd"]) if config.get("Cmd") else None,
        entrypoint=tuple(config["Entrypoint"]) if config.get("Entrypoint") else None,
        exposed_ports=tuple(sorted((config.get("ExposedPorts") or {}).keys())),
        created=str(attrs.get("Created", "")),
        workdir=str(config.get("WorkingDir") or ""),
        parent=str(attrs.get("Parent") or ""),
    )


def _clean_created_by(text: str) -> str:
    text = text.replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ")
    return " ".join(text.split())


def pull(ref: str) -> None:
    """Pull an image; raises ImageUnavailable with the registry's own words when that fails."""
    repository, _, tag = ref.rpartition(":") if ":" in ref.split("/")[-1] else (ref, "", "latest")
    try:
        _call(_client().images.pull, repository, tag=tag or "latest")
    except docker.errors.APIError as exc:
        raise ImageUnavailable(f"Could not pull {ref}: {exc.explanation or exc}") from exc


def tag_image(image_id: str, ref: str) -> None:
    repository, _, tag = ref.rpartition(":")
    try:
        _call(_client().images.get(image_id).tag, repository, tag)
    except docker.errors.APIError as exc:
        raise EngineError(f"Could not tag {image_id} as {ref}: {exc.explanation}") from exc


def remove_image(ref: str, *, force: bool = True) -> bool:
    try:
        _call(_client().images.remove, ref, force=force, noprune=False)
        return True
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError:
        return False


def list_images(label: str) -> list[ImageInfo]:
    images = _call(_client().images.list, filters={"label": label})
    return [image_info(image.id) for image in images]


@dataclass(frozen=True)
class ImageSummary:
    """One row of the engine's image list (intermediate images included)."""

    id: str
    parent: str
    size_bytes: int
    tags: tuple[str, ...]
    labels: dict[str, str]
    created: int


def inventory() -> list[ImageSummary]:
    """Every image on the engine, intermediate ones included, in one call."""
    rows = _call(_client().api.images, all=True)
    return [
        ImageSummary(
            id=row["Id"], parent=row.get("ParentId") or "", size_bytes=int(row.get("Size") or 0),
            tags=tuple(tag for tag in (row.get("RepoTags") or ()) if tag != "<none>:<none>"),
            labels=dict(row.get("Labels") or {}), created=int(row.get("Created") or 0),
        )
        for row in rows
    ]


def find_images(label: str) -> list[ImageSummary]:
    """Images carrying ``label`` (``name`` or ``name=value``), newest first."""
    rows = _call(_client().api.images, filters={"label": label})
    found = [
        ImageSummary(
            id=row["Id"], parent=row.get("ParentId") or "", size_bytes=int(row.get("Size") or 0),
            tags=tuple(tag for tag in (row.get("RepoTags") or ()) if tag != "<none>:<none>"),
            labels=dict(row.get("Labels") or {}), created=int(row.get("Created") or 0),
        )
        for row in rows
    ]
    return sorted(found, key=lambda image: image.created, reverse=True)


# ----------------------------------------------------------------------------------------------
# builds


@dataclass
class BuildStep:
    number: int
    instruction: str
    cached: bool = False
    seconds: float = 0.0
    image_id: str | None = None
    """The (short) id of the image this step produced, as the build log prints it."""
    container_id: str | None = None
    """The intermediate container a RUN step ran in (removed by the engine afterwards)."""
    output: list[str] = field(default_factory=list, repr=False)
    """The last lines this step printed (at most ``STEP_TAIL_LINES``)."""

    @property
    def is_from(self) -> bool:
        return self.instruction.upper().startswith("FROM ")


STEP_TAIL_LINES = 40


@dataclass
class BuildResult:
    ok: bool
    image_id: str | None
    tag: str | None
    seconds: float
    steps: list[BuildStep] = field(default_factory=list)
    log: str = ""
    """The build output, capped at Settings.log_limit_bytes (the head and the tail are kept)."""
    error: str | None = None
    failed_step: str | None = None
    timed_out: bool = False
    stopped: str | None = None
    """Why the caller's ``should_stop`` ended the build early (None when it ran to its end)."""
    failed_output: str = ""
    """The last lines the failing step printed (empty when the build did not fail in a step)."""

    def step_for(self, needle: str) -> BuildStep | None:
        for step in self.steps:
            if needle in step.instruction:
                return step
        return None

    @property
    def stage_tips(self) -> list[str]:
        """Image ids of the last completed step of every stage (the final one included).

        The classic builder leaves earlier stages' images untagged and unlabelled; these are the
        images a caller tags to keep them as cache or removes to let the engine prune the chain.
        """
        tips: list[str] = []
        current: str | None = None
        for step in self.steps:
            if step.is_from:
                if current:
                    tips.append(current)
                current = None
            elif step.image_id:
                current = step.image_id
        if current:
            tips.append(current)
        return tips


_STEP_RE = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_IMAGE_RE = re.compile(r"^ ?---> ([0-9a-f]{12,64})$")
_RUNNING_RE = re.compile(r"^ ?---> Running in ([0-9a-f]{12,64})$")


class _LogBuffer:
    """Keeps the first and the last part of a log under a byte budget."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 1024)
        self.head: list[str] = []
        self.head_bytes = 0
        self.tail: deque[str] = deque()
        self.tail_bytes = 0
        self.dropped = 0

    def add(self, text: str) -> None:
        size = len(text.encode("utf-8", "replace"))
        if self.head_bytes + size <= self.limit // 2 and not self.tail:
            self.head.append(text)
            self.head_bytes += size
            return
        self.tail.append(text)
        self.tail_bytes += size
        while self.tail and self.tail_bytes > self.limit // 2:
            dropped = self.tail.popleft()
            self.tail_bytes -= len(dropped.encode("utf-8", "replace"))
            self.dropped += 1

    def text(self) -> str:
        middle = [f"\n[... {self.dropped} log chunks dropped: the log was over its size limit ...]\n"] if self.dropped else []
        return "".join(self.head + middle + list(self.tail))

    def last_lines(self, count: int = 30) -> str:
        return "\n".join(self.text().rstrip("\n").splitlines()[-count:])


def _context_tar(context_dir: Path, dockerfile_text: str | None, dockerfile_name: str) -> BinaryIO:
    """A tar of a folder as it is (callers that grade learners stage the context first)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(context_dir.rglob("*")):
            arcname = path.relative_to(context_dir).as_posix()
            tar.add(str(path), arcname=arcname, recursive=False)
        if dockerfile_text is not None:
            data = dockerfile_text.encode("utf-8")
            member = tarfile.TarInfo(dockerfile_name)
            member.size = len(data)
            member.mtime = int(time.time())
            tar.addfile(member, io.BytesIO(data))
    buffer.seek(0)
    return buffer


class _BuildAPI(docker.APIClient):
    """An API client for one build that keeps hold of the streaming response, so it can be cut."""

    response = None

    def _stream_helper(self, response, decode=False):
        self.response = response
        return super()._stream_helper(response, decode)


def _response_socket(response) -> socket.socket | None:
    """The socket under a streaming requests response (unix socket or TCP)."""
    try:
        raw = response.raw._fp.fp.raw  # socket.SocketIO for http+unix and plain TCP
    except AttributeError:
        raw = None
    sock = getattr(raw, "_sock", None)
    if isinstance(sock, socket.socket):
        return sock
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


class _ActiveBuild:
    """A running build that can be cut from any thread (deadline, Ctrl-C, a signal handler)."""

    def __init__(self, api: _BuildAPI) -> None:
        self.api = api
        self.cut = False

    def cancel(self) -> None:
        self.cut = True
        response = self.api.response
        if response is None:
            return
        sock = _response_socket(response)
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            response.close()
        except Exception:
            pass


_ACTIVE_BUILDS: set[_ActiveBuild] = set()
_ACTIVE_LOCK = threading.Lock()


def cancel_all_builds() -> int:
    """Cut every build this process is running (for signal handlers); returns how many."""
    with _ACTIVE_LOCK:
        active = list(_ACTIVE_BUILDS)
    for build_ in active:
        build_.cancel()
    return len(active)


def _watch_build(worker: threading.Thread, timeout_s: float, steps: list[BuildStep], disk_limit: int) -> str | None:
    """Wait for the build until its deadline; stop it early when its RUN steps write too much.

    overlay2 has no disk quota without xfs project quotas, so every 2 s we ask the engine how
    much the running step's container has written (``SizeRw``) and add what earlier steps wrote
    (as last seen). Over ``disk_limit`` the build is stopped with a reason. The count can lag by
    one poll (a few hundred MB at disk speed). Returns the reason, or None.
    """
    deadline = time.monotonic() + timeout_s
    written: dict[str, int] = {}
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        worker.join(min(2.0, left))
        if not worker.is_alive() or not disk_limit:
            if not worker.is_alive():
                return None
            continue
        current = steps[-1].container_id if steps else None
        if not current:
            continue
        try:
            api = _client().api
            data = api._result(api._get(api._url("/containers/{0}/json", current), params={"size": 1}, timeout=10), True)
            written[current] = int(data.get("SizeRw") or 0)
        except Exception:
            continue
        if sum(written.values()) > disk_limit:
            return (f"The build wrote more than {disk_limit / 1e9:.1f} GB to disk (this engine's limit for one build) "
                    f"and was stopped at `{steps[-1].instruction}`.")


def _limit_step_container(api, container_id: str, pids_limit: int) -> None:
    """Give a build step's container the pids limit the build API cannot set.

    The classic builder applies ``container_limits`` (memory) to RUN containers but no pids limit,
    so a fork bomb in a RUN could take every pid on the host. The engine names the container
    ("Running in <id>") right after creating it; we set ``PidsLimit`` on it then. The step may have
    forked a little before the update lands (well under a second); after it, no fork goes past
    the limit. Best effort: a step that already ended cannot be updated, which is fine.
    """
    try:
        api._post_json(api._url("/containers/{0}/update", container_id), data={"PidsLimit": int(pids_limit)})
    except Exception:
        pass


def _build_api() -> _BuildAPI:
    main = _client().api
    kwargs = kwargs_from_env()
    kwargs["version"] = main.api_version
    kwargs["timeout"] = main.timeout
    return _BuildAPI(**kwargs)


def build(
    context_dir: str | Path | None = None,
    *,
    context_tar: BinaryIO | None = None,
    dockerfile: str = "Dockerfile",
    dockerfile_text: str | None = None,
    tag: str | None = None,
    build_args: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    target: str | None = None,
    nocache: bool = False,
    timeout_s: float | None = None,
    memory_bytes: int | None = None,
    network_mode: str | None = None,
    on_line: LineCallback | None = None,
    should_stop: Callable[[BuildStep, str], str | None] | None = None,
    settings: course_settings.Settings | None = None,
) -> BuildResult:
    """Build an image with the classic builder, under a wall-clock deadline.

    The context is either a folder (``context_dir``, sent as it is) or a ready tar
    (``context_tar``, as :mod:`checker.context` stages it). ``dockerfile`` is the path of the
    Dockerfile inside the context; with ``dockerfile_text`` the text is added to a folder context
    under that name. ``should_stop(step, line)`` is called for every log line; when it returns a
    reason the build is cut there (``result.stopped``). A failed build is a result, not an
    exception; only engine trouble raises EngineError. Proxy settings and credentials from the
    client's configuration are never passed to the build.
    """
    settings = settings or course_settings.load()
    timeout_s = timeout_s if timeout_s is not None else settings.build_timeout_s
    network_mode = network_mode or settings.build_network
    tag = tag or f"lpi-build/{uuid.uuid4().hex[:12]}:latest"
    all_labels = _owner_labels(labels)
    if context_tar is None:
        if context_dir is None:
            raise ValueError("build() needs context_dir or context_tar")
        context = _context_tar(Path(context_dir), dockerfile_text, dockerfile)
    else:
        context = context_tar
        context.seek(0)
    memory = memory_bytes or settings.memory_bytes

    api = _build_api()
    handle = _ActiveBuild(api)
    log = _LogBuffer(settings.log_limit_bytes)
    steps: list[BuildStep] = []
    state: dict = {"image_id": None, "error": None, "exc": None, "stopped": None}
    started = time.monotonic()
    step_started = started

    def consume() -> None:
        nonlocal step_started
        try:
            stream = api.build(
                fileobj=context,
                custom_context=True,
                dockerfile=dockerfile,
                tag=tag,
                buildargs=build_args or {},
                labels=all_labels,
                target=target,
                nocache=nocache,
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
                network_mode=None if network_mode == "default" else network_mode,
                container_limits={"memory": memory, "memswap": memory},
                use_config_proxy=False,
            )
            for chunk in stream:
                if "stream" in chunk:
                    text = chunk["stream"]
                    log.add(text)
                    for line in text.splitlines():
                        stripped = line.strip()
                        match = _STEP_RE.match(stripped)
                        now = time.monotonic()
                        if match:
                            if steps:
                                steps[-1].seconds = now - step_started
                            step_started = now
                            steps.append(BuildStep(number=int(match.group(1)), instruction=match.group(3)))
                        elif steps:
                            step = steps[-1]
                            if stripped == "---> Using cache":
                                step.cached = True
                            elif (running := _RUNNING_RE.match(line)) is not None:
                                step.container_id = running.group(1)
                                _limit_step_container(api, step.container_id, settings.pids_limit)
                            elif (image := _IMAGE_RE.match(line)) is not None:
                                step.image_id = image.group(1)
                            elif stripped and not stripped.startswith("Removing intermediate container"):
                                step.output.append(line.rstrip())
                                if len(step.output) > STEP_TAIL_LINES:
                                    del step.output[0]
                        if on_line is not None and stripped:
                            on_line(line)
                        if should_stop is not None and steps and state["stopped"] is None:
                            reason = should_stop(steps[-1], line)
                            if reason:
                                state["stopped"] = reason
                                handle.cancel()
                                return
                if "aux" in chunk and "ID" in chunk["aux"]:
                    state["image_id"] = chunk["aux"]["ID"]
                if "error" in chunk:
                    state["error"] = chunk.get("error") or str(chunk.get("errorDetail"))
                    log.add(state["error"] + "\n")
        except Exception as exc:  # surfaced to the caller below, in our own types
            state["exc"] = exc

    with _ACTIVE_LOCK:
        _ACTIVE_BUILDS.add(handle)
    worker = threading.Thread(target=consume, name="lpi-build", daemon=True)
    try:
        worker.start()
        disk_error = _watch_build(worker, timeout_s, steps, getattr(settings, "build_disk_limit_bytes", 0))
        timed_out = worker.is_alive() and disk_error is None
        if worker.is_alive():
            handle.cancel()
            worker.join(15)
    except BaseException:
        # Ctrl-C or a signal while waiting: cut the build so the engine cancels it, then go on up.
        handle.cancel()
        worker.join(5)
        _reap_step_containers(steps)
        try:  # the caller never gets a result to discard: remove the steps this build made
            discard_build(BuildResult(ok=False, image_id=None, tag=None, seconds=0.0, steps=steps))
        except Exception:
            pass
        raise
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE_BUILDS.discard(handle)
        try:
            api.close()
        except Exception:
            pass

    seconds = time.monotonic() - started
    if steps and steps[-1].seconds == 0.0:
        steps[-1].seconds = time.monotonic() - step_started
    cut = timed_out or disk_error is not None or state["stopped"] is not None or handle.cut
    if cut:
        _reap_step_containers(steps)

    if timed_out:
        failed = steps[-1] if steps else None
        return BuildResult(
            ok=False, image_id=None, tag=None, seconds=seconds, steps=steps, log=log.text(),
            error=f"The build did not finish within {timeout_s:.0f} s and was stopped.",
            failed_step=failed.instruction if failed else None, timed_out=True,
            failed_output="\n".join(failed.output) if failed else "",
        )
    if disk_error is not None:
        failed = steps[-1] if steps else None
        return BuildResult(
            ok=False, image_id=None, tag=None, seconds=seconds, steps=steps, log=log.text(), error=disk_error,
            failed_step=failed.instruction if failed else None, failed_output="\n".join(failed.output) if failed else "",
        )
    if state["stopped"] is not None:
        return BuildResult(
            ok=False, image_id=None, tag=None, seconds=seconds, steps=steps, log=log.text(),
            error=None, stopped=state["stopped"],
        )
    exc = state["exc"]
    if exc is not None:
        if isinstance(exc, docker.errors.APIError):
            # The engine refused the request itself (e.g. a Dockerfile it cannot parse).
            return BuildResult(
                ok=False, image_id=None, tag=None, seconds=seconds, steps=steps, log=log.text(),
                error=str(exc.explanation or exc), failed_step=None,
            )
        if handle.cut:
            return BuildResult(
                ok=False, image_id=None, tag=None, seconds=seconds, steps=steps, log=log.text(),
                error="The build was interrupted.", failed_step=steps[-1].instruction if steps else None,
            )
        if isinstance(exc, requests.exceptions.ConnectionError):
            reset_connection()
            raise EngineUnavailable(f"The Docker engine stopped answering during the build: {exc}") from exc
        raise EngineError(f"The build could not run: {exc}") from exc
    if state["error"] or not state["image_id"]:
        failed = steps[-1] if steps else None
        return BuildResult(
            ok=False, image_id=None, tag=None, seconds=seconds, steps=steps, log=log.text(),
            error=state["error"] or "The build produced no image.",
            failed_step=failed.instruction if failed else None,
            failed_output="\n".join(failed.output) if failed else "",
        )
    return BuildResult(ok=True, image_id=state["image_id"], tag=tag, seconds=seconds, steps=steps, log=log.text())


def _reap_step_containers(steps: list[BuildStep], wait_s: float = 10.0) -> None:
    """After a cut build: wait for the engine to remove the step's container, remove it if not."""
    ids = [step.container_id for step in steps[-1:] if step.container_id]
    if not ids:
        return
    client = _client()
    deadline = time.monotonic() + wait_s
    for container_id in ids:
        while True:
            try:
                client.api.inspect_container(container_id)
            except docker.errors.NotFound:
                break
            except (docker.errors.APIError, requests.exceptions.RequestException):
                break
            if time.monotonic() > deadline:
                try:
                    client.api.remove_container(container_id, force=True, v=True)
                except (docker.errors.APIError, requests.exceptions.RequestException):
                    pass
                break
            time.sleep(0.2)


def _abandon(stream) -> None:  # kept for callers of the old helper
    try:
        if stream is not None:
            stream.close()
    except Exception:
        pass


# ----------------------------------------------------------------------------------------------
# containers


@dataclass(frozen=True)
class Limits:
    """What a container may use. Defaults come from Settings."""

    memory_bytes: int
    pids: int
    log_bytes: int = 1024 * 1024

    @classmethod
    def from_settings(cls, settings: course_settings.Settings) -> Limits:
        return cls(memory_bytes=settings.memory_bytes, pids=settings.pids_limit)


def _host_config(api, limits: Limits, *, network: str, ports: dict | None = None, cap_add: list[str] | None = None):
    return api.create_host_config(
        mem_limit=limits.memory_bytes,
        memswap_limit=limits.memory_bytes,
        pids_limit=limits.pids,
        cap_drop=["ALL"],
        cap_add=cap_add or None,
        security_opt=["no-new-privileges"],
        network_mode=network,
        port_bindings=ports,
        log_config={"type": "json-file", "config": {"max-size": str(limits.log_bytes), "max-file": "1"}},
        ulimits=[docker.types.Ulimit(name="nofile", soft=4096, hard=4096)],
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
    api = _client().api
    labels = {**labels, LABEL_EXPIRES: str(int(time.time() + lifetime_s))}
    try:
        created = _call(
            api.create_container,
            image,
            command=command,
            entrypoint=entrypoint,
            user=user,
            working_dir=workdir,
            environment=environment,
            labels=_owner_labels(labels),
            host_config=host_config,
            ports=exposed,
            use_config_proxy=False,
            network_disabled=False,
        )
    except docker.errors.ImageNotFound as exc:
        raise ImageUnavailable(f"Image {image} does not exist on this engine.") from exc
    except docker.errors.APIError as exc:
        raise EngineError(f"Could not create a container from {image}: {exc.explanation}") from exc
    return created["Id"]


def remove_container(container_id: str) -> None:
    try:
        _client().api.remove_container(container_id, force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc):
            raise EngineError(f"Could not remove container {container_id[:12]}: {exc.explanation}") from exc
    except requests.exceptions.ConnectionError as exc:
        reset_connection()
        raise EngineUnavailable(f"The Docker engine stopped answering: {exc}") from exc


def _logs(container_id: str, *, stdout: bool = True, stderr: bool = True, limit: int = 64 * 1024) -> str:
    """The container's output, at most ``limit`` bytes (the tail is kept)."""
    try:
        data = _client().api.logs(container_id, stdout=stdout, stderr=stderr, stream=False, tail=2000)
    except docker.errors.APIError:
        return ""
    if len(data) > limit:
        data = b"[... output cut ...]\n" + data[-limit:]
    return data.decode("utf-8", "replace")


@dataclass
class RunResult:
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    oom_killed: bool = False

    @property
    def ok(self) -> bool:
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
    container is killed at the deadline and always removed.
    """
    settings = settings or course_settings.load()
    limits = limits or Limits.from_settings(settings)
    api = _client().api
    host_config = _host_config(api, limits, network="none")
    container_id = _create(
        image, command=command, entrypoint=entrypoint, user=user, workdir=workdir, environment=environment,
        labels=labels or {}, host_config=host_config, lifetime_s=timeout_s + 300,
    )
    started = time.monotonic()
    try:
        if files:
            try:
                api.put_archive(container_id, "/", _files_tar(files))
            except docker.errors.APIError as exc:
                raise EngineError(f"Could not copy the probe into a container of {image}: {exc.explanation}") from exc
        try:
            api.start(container_id)
        except docker.errors.APIError as exc:
            return RunResult(None, "", f"the container did not start: {exc.explanation}", time.monotonic() - started)
        timed_out = False
        exit_code = None
        try:
            status = api.wait(container_id, timeout=timeout_s)
            exit_code = int(status.get("StatusCode", -1))
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            timed_out = True
            try:
                api.kill(container_id)
            except docker.errors.APIError:
                pass
        except BaseException:
            try:
                api.kill(container_id)
            except Exception:
                pass
            raise
        state = api.inspect_container(container_id).get("State", {})
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
    """A container started with its own command, published on 127.0.0.1."""

    container_id: str
    container_port: str
    host_port: int | None
    ip: str | None

    def status(self) -> tuple[str, int | None, bool]:
        """(state, exit code when exited, OOM-killed)."""
        try:
            state = _client().api.inspect_container(self.container_id).get("State", {})
        except docker.errors.NotFound:
            return "removed", None, False
        return str(state.get("Status")), state.get("ExitCode"), bool(state.get("OOMKilled"))

    def logs(self, limit: int = 16 * 1024) -> str:
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
        """GET ``path``: (status or None, body head or error, how it was reached)."""
        last_error = "no address to reach the container on"
        for host, port, how in self.addresses():
            connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
            try:
                connection.request("GET", path, headers={"Host": "localhost", "Connection": "close"})
                response = connection.getresponse()
                body = response.read(4096).decode("utf-8", "replace")
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
        text = ""
        try:
            api = _client().api
            exec_id = api.exec_create(self.container_id, ["cat", "/proc/net/tcp", "/proc/net/tcp6"],
                                      stdout=True, stderr=False, user="")
            text = api.exec_start(exec_id, stream=False, demux=False).decode("ascii", "replace")
        except Exception:
            text = ""
        if "local_address" not in text:
            try:
                pid = int(_client().api.inspect_container(self.container_id)["State"]["Pid"])
                text = "".join(Path(f"/proc/{pid}/net/{name}").read_text() for name in ("tcp", "tcp6"))
            except Exception:
                return None
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

    def remove(self) -> None:
        remove_container(self.container_id)


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
    """
    settings = settings or course_settings.load()
    limits = limits or Limits.from_settings(settings)
    api = _client().api
    container_port = f"{port}/tcp"
    host_config = _host_config(api, limits, network="bridge", ports={container_port: ("127.0.0.1", None)})
    container_id = _create(
        image, command=None, entrypoint=None, user=None, workdir=None, environment=None,
        labels=labels or {}, host_config=host_config, exposed=[container_port], lifetime_s=lifetime_s,
    )
    try:
        try:
            api.start(container_id)
        except docker.errors.APIError as exc:
            raise EngineError(f"The container did not start: {exc.explanation}") from exc
        inspected = api.inspect_container(container_id)
        network = inspected.get("NetworkSettings") or {}
        bindings = (network.get("Ports") or {}).get(container_port) or []
        host_port = next((int(b["HostPort"]) for b in bindings if b.get("HostPort")), None)
        ip = network.get("IPAddress") or next(
            (n.get("IPAddress") for n in (network.get("Networks") or {}).values() if n.get("IPAddress")), None
        )
        yield Service(container_id, container_port, host_port, ip or None)
    finally:
        remove_container(container_id)


@contextmanager
def exported_filesystem(image: str, *, labels: dict[str, str] | None = None, chunk_size: int = 1024 * 1024) -> Iterator[BinaryIO]:
    """The image's final filesystem as a tar stream (``docker export`` of a created container).

    The container is never started; it is removed when the block ends.
    """
    api = _client().api
    container_id = _create(
        image, command=["/lpi-never-started"], entrypoint="", user=None, workdir=None, environment=None,
        labels=labels or {}, host_config=api.create_host_config(network_mode="none"), lifetime_s=1800,
    )
    try:
        try:
            response = api._get(api._url("/containers/{0}/export", container_id), stream=True)
            api._raise_for_status(response)
        except docker.errors.APIError as exc:
            raise EngineError(f"Could not export the filesystem of {image}: {exc.explanation}") from exc
        raw = response.raw
        raw.decode_content = True
        try:
            yield raw
        finally:
            response.close()
    finally:
        remove_container(container_id)


# ----------------------------------------------------------------------------------------------
# cleanup


def remove_containers(label: str) -> int:
    containers = _call(_client().containers.list, all=True, filters={"label": label})
    for container in containers:
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError:
            pass
    return len(containers)


def reap_expired_containers(now: float | None = None) -> int:
    """Remove the checker's containers whose expiry has passed (left by a grader that was killed)."""
    now = time.time() if now is None else now
    removed = 0
    rows = {row["Id"]: row for row in _call(_client().api.containers, all=True, filters={"label": LABEL_EXPIRES})}
    for row in _call(_client().api.containers, all=True, filters={"label": course_settings.LABEL_RUN}):
        rows.setdefault(row["Id"], row)
    for row in rows.values():
        labels = row.get("Labels") or {}
        try:
            # Containers from before expiry labels: a grading run never keeps one for two hours.
            expires = float(labels[LABEL_EXPIRES]) if LABEL_EXPIRES in labels else float(row.get("Created") or 0) + 7200
        except ValueError:
            continue
        if expires < now:
            try:
                remove_container(row["Id"])
                removed += 1
            except EngineError:
                pass
    return removed


def list_containers(label: str) -> list[str]:
    """Ids of the containers (any state) carrying ``label``."""
    return [c["Id"] for c in _call(_client().api.containers, all=True, filters={"label": label})]


def remove_images(label: str) -> int:
    images = _call(_client().images.list, filters={"label": label})
    removed = 0
    for image in images:
        try:
            _client().images.remove(image.id, force=True)
            removed += 1
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError:
            pass  # still in use by a kept child image; removed with it
    return removed


def remove_stopped_containers(label: str) -> int:
    """Remove containers carrying ``label`` (any value) that have stopped (exited or dead).

    A build step container inherits its base image's labels (the stand-ins carry our owner label);
    when the engine restarts mid-build it can be left ``Dead`` or ``Exited``, with no run label.
    Only for ``checker clean`` (nothing else building): a step that just ended is ``exited`` too.
    """
    api = _client().api
    found = _call(api.containers, all=True, filters={"label": label, "status": ["exited", "dead"]})
    removed = 0
    for row in found:
        try:
            api.remove_container(row["Id"], force=True, v=True)
            removed += 1
        except (docker.errors.APIError, requests.exceptions.RequestException):
            pass
    return removed


def prune_dangling_images(label: str) -> int:
    """Remove untagged leaf images carrying ``label`` (and their untagged parents).

    A build cut off by an engine shutdown leaves its finished steps' images behind, untagged and
    unknown to the grader, with the labels they inherited from the base image. Only for
    ``checker clean`` (nothing else building): a running build's newest step image is untagged too.
    """
    result = _call(_client().api.prune_images, filters={"dangling": True, "label": label})
    return len([entry for entry in (result or {}).get("ImagesDeleted") or [] if entry.get("Deleted")])


def prune_dangling_build_containers() -> int:
    """Remove stopped intermediate containers left by a cancelled classic build.

    The classic builder gives intermediate containers no labels; a cancelled build can leave one in
    the 'created' or 'exited' state. We remove only those whose image carries our owner label.
    """
    client = _client()
    removed = 0
    for container in _call(client.containers.list, all=True, filters={"status": "exited"}) + _call(
        client.containers.list, all=True, filters={"status": "created"}
    ):
        try:
            labels = (container.image.labels or {}) if container.image else {}
        except docker.errors.ImageNotFound:
            labels = {}
        if labels.get(course_settings.LABEL_OWNER) == course_settings.OWNER_VALUE:
            try:
                container.remove(force=True)
                removed += 1
            except docker.errors.APIError:
                pass
    return removed


def iter_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    for chunk in chunks:
        yield from chunk.decode("utf-8", "replace").splitlines()



# ----------------------------------------------------------------------------------------------
# the grading cache: built images kept on purpose, within a size budget
#
# The classic builder's cache is the set of intermediate images on the engine. A graded build's
# final image carries our labels, but the last image of every earlier stage (where the
# dependencies were compiled) is left untagged and unlabelled. To keep such a chain on purpose we
# tag every stage's last image into one repository per build (``lpi-grade/<run>``,
# ``lpi-ref/<key>``); to drop it we remove those tags and the engine prunes every untagged parent
# that nothing else needs. Budget and eviction work on these repositories.

CACHE_REPOSITORIES = ("lpi-grade/", "lpi-ref/")


def _is_ours(tag: str) -> bool:
    return tag.startswith(CACHE_REPOSITORIES)


def keep_build(result: BuildResult, repository: str) -> list[str]:
    """Tag every stage's last image (and the final image) of ``result`` into ``repository``."""
    tags = []
    tips = result.stage_tips
    if result.ok and result.image_id:
        tips = tips[:-1] + [result.image_id] if tips else [result.image_id]
    for index, image_id in enumerate(dict.fromkeys(tips)):
        name = "image" if (result.ok and image_id == result.image_id) else f"stage-{index}"
        ref = f"{repository}:{name}"
        try:
            tag_image(image_id, ref)
            tags.append(ref)
        except EngineError:
            pass
    return tags


def discard_build(result: BuildResult) -> int:
    """Remove what a build made and nothing it took from the cache; returns images removed.

    The final tag goes (the engine prunes its untagged parents); then every image a step of this
    build created (not reused from the cache) is removed, newest first, when nothing tags it.
    """
    removed = 0
    if result.tag and result.ok:
        removed += remove_image(result.tag, force=False)
    for step in reversed(result.steps):
        if step.cached or not step.image_id or step.is_from:
            continue
        try:
            image = _client().api.inspect_image(step.image_id)
        except docker.errors.NotFound:
            continue
        except (docker.errors.APIError, requests.exceptions.RequestException):
            continue
        if [tag for tag in image.get("RepoTags") or () if tag != "<none>:<none>"]:
            continue
        removed += remove_image(step.image_id, force=False)
    return removed


@dataclass
class CacheGroup:
    """One kept build: its tags, and when it was made."""

    repository: str
    tags: list[str]
    image_ids: list[str]
    created: int
    bytes_alone: int = 0
    """Bytes only this group holds (what evicting it frees)."""

    @property
    def kind(self) -> str:
        return "reference" if self.repository.startswith("lpi-ref/") else "graded"


def _layer_sizes(rows: list[ImageSummary]) -> tuple[dict[str, ImageSummary], dict[str, int]]:
    by_id = {row.id: row for row in rows}
    own = {}
    for row in rows:
        parent = by_id.get(row.parent)
        own[row.id] = max(0, row.size_bytes - (parent.size_bytes if parent else 0))
    return by_id, own


def _ancestry(image_id: str, by_id: dict[str, ImageSummary]) -> set[str]:
    seen: set[str] = set()
    current = image_id
    while current and current in by_id and current not in seen:
        seen.add(current)
        current = by_id[current].parent
    return seen


def cache_groups() -> tuple[list[CacheGroup], int]:
    """The kept builds, oldest first, and the bytes they hold together (base images excluded)."""
    rows = inventory()
    by_id, own = _layer_sizes(rows)
    groups: dict[str, CacheGroup] = {}
    foreign: set[str] = set()
    for row in rows:
        ours = [tag for tag in row.tags if _is_ours(tag)]
        if any(not _is_ours(tag) for tag in row.tags):
            foreign |= _ancestry(row.id, by_id)
        for tag in ours:
            repository = tag.rsplit(":", 1)[0]
            group = groups.setdefault(repository, CacheGroup(repository, [], [], 0))
            group.tags.append(tag)
            group.image_ids.append(row.id)
            group.created = max(group.created, row.created)
    chains = {name: set().union(*(_ancestry(i, by_id) for i in g.image_ids)) - foreign for name, g in groups.items()}
    holders: dict[str, int] = {}
    for chain in chains.values():
        for image_id in chain:
            holders[image_id] = holders.get(image_id, 0) + 1
    total_ids = set(holders)
    for name, group in groups.items():
        group.bytes_alone = sum(own[i] for i in chains[name] if holders[i] == 1)
    ordered = sorted(groups.values(), key=lambda g: (g.kind == "reference", g.created))
    return ordered, sum(own[i] for i in total_ids)


def remove_group(group: CacheGroup) -> None:
    for tag in group.tags:
        remove_image(tag, force=False)


def enforce_cache_budget(budget_bytes: int, *, protect: Iterable[str] = ()) -> list[str]:
    """Evict the oldest kept builds (graded ones before references) until the cache fits."""
    protected = set(protect)
    evicted: list[str] = []
    for _ in range(50):
        groups, total = cache_groups()
        if total <= budget_bytes:
            break
        candidates = [g for g in groups if g.repository not in protected]
        if not candidates:
            break
        # Evict oldest first until what they hold alone covers the excess, then measure again
        # (bytes shared only among evicted groups are freed too, so this never overshoots much).
        freed = 0
        for victim in candidates:
            remove_group(victim)
            evicted.append(victim.repository)
            freed += victim.bytes_alone
            if freed >= total - budget_bytes:
                break
    return evicted


def remove_grading_images() -> int:
    """Remove every kept build and every image a grading run labelled; returns tags/images removed."""
    removed = 0
    for row in inventory():
        for tag in row.tags:
            if _is_ours(tag) or tag.startswith("lpi-build/"):
                removed += remove_image(tag, force=True)
    for image in find_images(course_settings.LABEL_RUN):
        removed += remove_image(image.id, force=True)
    return removed
