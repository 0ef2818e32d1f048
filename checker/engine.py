"""The only module that talks to the Docker engine (through the docker SDK).

Everything above it sees our own types: ``BuildResult``, ``ImageInfo``, ``RunResult`` and the small
``EngineError`` family. Engine errors are translated here, in one place, and keep the build log.

Builds use the classic builder (what engine 20.10 without buildx runs). The wall-clock deadline is
enforced here by the checker, not by an HTTP timeout: the build stream is read in a worker thread and
abandoned at the deadline, which closes the connection and makes the engine cancel the build; the
intermediate containers it leaves are then removed by label-less lookup of their parent images.
"""

from __future__ import annotations

import io
import re
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

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

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "tags": list(self.tags),
            "size_bytes": self.size_bytes,
            "layers": [{"size_bytes": layer.size_bytes, "created_by": layer.created_by} for layer in self.layers],
        }


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
    _call(_client().images.get(image_id).tag, repository, tag)


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


# ----------------------------------------------------------------------------------------------
# builds


@dataclass
class BuildStep:
    number: int
    instruction: str
    cached: bool = False
    seconds: float = 0.0


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

    def step_for(self, needle: str) -> BuildStep | None:
        for step in self.steps:
            if needle in step.instruction:
                return step
        return None


_STEP_RE = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


class _LogBuffer:
    """Keeps the first and the last part of a log under a byte budget."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 1024)
        self.head: list[str] = []
        self.head_bytes = 0
        self.tail: list[str] = []
        self.tail_bytes = 0
        self.dropped = 0

    def add(self, text: str) -> None:
        size = len(text.encode("utf-8", "replace"))
        if self.head_bytes + size <= self.limit // 2:
            self.head.append(text)
            self.head_bytes += size
            return
        self.tail.append(text)
        self.tail_bytes += size
        while self.tail and self.tail_bytes > self.limit // 2:
            dropped = self.tail.pop(0)
            self.tail_bytes -= len(dropped.encode("utf-8", "replace"))
            self.dropped += 1

    def text(self) -> str:
        middle = [f"\n[... {self.dropped} log chunks dropped: the log was over its size limit ...]\n"] if self.dropped else []
        return "".join(self.head + middle + self.tail)

    def last_lines(self, count: int = 30) -> str:
        return "\n".join(self.text().rstrip("\n").splitlines()[-count:])


def _context_tar(context_dir: Path, dockerfile_text: str | None, dockerfile_name: str) -> io.BytesIO:
    """A tar of the staged context. The caller has already checked size, file count and links."""
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


def build(
    context_dir: str | Path,
    *,
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
    settings: course_settings.Settings | None = None,
) -> BuildResult:
    """Build an image with the classic builder, under a wall-clock deadline.

    ``dockerfile`` is the path of the Dockerfile inside the context; with ``dockerfile_text`` the
    text is added to the context under that name (so the learner's file need not be in it).
    A failed build is a result, not an exception; only engine trouble raises EngineError.
    """
    settings = settings or course_settings.load()
    context_dir = Path(context_dir)
    timeout_s = timeout_s if timeout_s is not None else settings.build_timeout_s
    network_mode = network_mode or settings.build_network
    tag = tag or f"lpi-build/{uuid.uuid4().hex[:12]}:latest"
    all_labels = {course_settings.LABEL_OWNER: course_settings.OWNER_VALUE, **(labels or {})}
    context = _context_tar(context_dir, dockerfile_text, dockerfile)

    api = _client().api
    log = _LogBuffer(settings.log_limit_bytes)
    steps: list[BuildStep] = []
    state: dict = {"image_id": None, "error": None, "done": False, "exc": None}
    started = time.monotonic()
    step_started = started
    stream_holder: dict = {}

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
                container_limits={"memory": memory_bytes or settings.memory_bytes, "memswap": memory_bytes or settings.memory_bytes},
            )
            stream_holder["stream"] = stream
            for chunk in stream:
                if "stream" in chunk:
                    text = chunk["stream"]
                    log.add(text)
                    for line in text.splitlines():
                        match = _STEP_RE.match(line.strip())
                        now = time.monotonic()
                        if match:
                            if steps:
                                steps[-1].seconds = now - step_started
                            step_started = now
                            steps.append(BuildStep(number=int(match.group(1)), instruction=match.group(3)))
                        elif line.strip() == "---> Using cache" and steps:
                            steps[-1].cached = True
                        if on_line is not None and line.strip():
                            on_line(line)
                if "aux" in chunk and "ID" in chunk["aux"]:
                    state["image_id"] = chunk["aux"]["ID"]
                if "error" in chunk:
                    state["error"] = chunk.get("error") or str(chunk.get("errorDetail"))
                    log.add(state["error"] + "\n")
        except Exception as exc:  # surfaced to the caller below, in our own types
            state["exc"] = exc
        finally:
            state["done"] = True

    worker = threading.Thread(target=consume, name="lpi-build", daemon=True)
    worker.start()
    worker.join(timeout_s)
    seconds = time.monotonic() - started
    if steps and steps[-1].seconds == 0.0:
        steps[-1].seconds = time.monotonic() - step_started

    if worker.is_alive():
        # Closing the stream ends the HTTP request; the engine then cancels the build.
        _abandon(stream_holder.get("stream"))
        worker.join(10)
        failed = steps[-1].instruction if steps else None
        return BuildResult(
            ok=False, image_id=None, tag=None, seconds=seconds, steps=steps, log=log.text(),
            error=f"The build did not finish within {timeout_s:.0f} s and was stopped.",
            failed_step=failed, timed_out=True,
        )
    exc = state["exc"]
    if exc is not None:
        if isinstance(exc, requests.exceptions.ConnectionError):
            reset_connection()
            raise EngineUnavailable(f"The Docker engine stopped answering during the build: {exc}") from exc
        if isinstance(exc, docker.errors.APIError):
            # The engine refused the request itself (e.g. a Dockerfile it cannot parse).
            return BuildResult(
                ok=False, image_id=None, tag=None, seconds=seconds, steps=steps, log=log.text(),
                error=str(exc.explanation or exc), failed_step=None,
            )
        raise EngineError(f"The build could not run: {exc}") from exc
    if state["error"] or not state["image_id"]:
        return BuildResult(
            ok=False, image_id=None, tag=None, seconds=seconds, steps=steps, log=log.text(),
            error=state["error"] or "The build produced no image.",
            failed_step=steps[-1].instruction if steps else None,
        )
    return BuildResult(ok=True, image_id=state["image_id"], tag=tag, seconds=seconds, steps=steps, log=log.text())


def _abandon(stream) -> None:
    try:
        if stream is not None:
            stream.close()
    except Exception:
        pass


# ----------------------------------------------------------------------------------------------
# cleanup


def remove_containers(label: str) -> int:
    containers = _call(_client().containers.list, all=True, filters={"label": label})
    for container in containers:
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
    return len(containers)


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
