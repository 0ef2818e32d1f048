"""The connection to the Docker engine, and the one place where its errors become ours.

This is the only module of the checker that imports ``docker`` or ``requests``. The other engine
modules get the client from :func:`api` / :func:`client`, catch docker-py's exceptions under the
names defined here, and turn them into the :class:`EngineError` family with :func:`translated`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import docker
import docker.errors
import requests.exceptions
from docker.utils import kwargs_from_env

from .. import settings as course_settings

_T = TypeVar("_T")

# docker-py's and requests' exception types, named once here so no other module imports them.
APIError = docker.errors.APIError
"""The engine answered with an HTTP error (``.explanation`` holds its words)."""
RequestError = requests.exceptions.RequestException
"""Any failure of the HTTP exchange itself (connection, timeout)."""
ConnectionLost = requests.exceptions.ConnectionError
ReadTimeout = requests.exceptions.ReadTimeout


class EngineError(Exception):
    """Something about the engine (not the learner's Dockerfile) stopped the work."""


class EngineUnavailable(EngineError):
    """No engine answers (it is not running, or it stopped answering mid-call)."""


class ImageUnavailable(EngineError):
    """A (base) image is neither present nor obtainable."""


class NoSuchObject(EngineError):
    """The engine has no image or container by that id or name."""


#: On every container the checker creates: the time (epoch seconds) after which it is certainly
#: abandoned (its grader was killed with SIGKILL, say). ``reap_expired_containers`` removes those.
LABEL_EXPIRES = "org.lean-python-images.expires"


# ----------------------------------------------------------------------------------------------
# the client


@lru_cache(maxsize=1)
def client() -> docker.DockerClient:
    """The process's docker-py client (cached; 600 s HTTP timeout).

    Raises EngineUnavailable when no engine answers a ping.
    """
    try:
        found = docker.from_env(timeout=600)
        found.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise EngineUnavailable(
            "No Docker engine answers. Run `make setup` (it starts one on Debian as root), "
            "or start Docker Desktop, then try again."
        ) from exc
    return found


def api() -> docker.APIClient:
    """The low-level API client of :func:`client` (raises EngineUnavailable like it)."""
    return client().api


def reset_connection() -> None:
    """Forget the cached client (after the engine restarted or stopped answering)."""
    client.cache_clear()


def ping() -> None:
    """Return when an engine answers; raise EngineUnavailable otherwise."""
    call(client().ping)


@dataclass(frozen=True)
class EngineInfo:
    """What the engine says about itself (``/info``, ``/version`` and ``/_ping``), measured, never assumed."""

    server_version: str
    api_version: str
    storage_driver: str
    """``/info``'s ``Driver`` (``overlay2``; ``overlayfs`` for the containerd snapshotter)."""
    operating_system: str
    buildkit: bool
    """Whether the engine offers BuildKit through its API (``/_ping`` answers ``Builder-Version: 2``)."""
    image_store: str = "?"
    """``containerd`` when ``DriverStatus`` says ``driver-type: io.containerd.snapshotter.v1``, else the
    graph driver's name (``overlay2``, ``vfs``...)."""
    snapshotter: str = ""
    """The containerd snapshotter (``overlayfs``) when the image store is containerd, else ``""``."""
    builders: tuple[str, ...] = ("classic",)
    """Builders offered: ``classic`` (the API's ``/build``), ``buildkit`` (the API advertises it),
    ``buildx`` (a ``docker-buildx`` CLI plugin is installed beside a docker CLI here)."""
    buildx_plugin: str = ""
    """Path of the ``docker-buildx`` plugin found, ``""`` when none."""


#: Where the docker CLI looks for plugins (``docker info``'s own list), the user's first.
CLI_PLUGIN_DIRS = ("~/.docker/cli-plugins", "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
                   "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")


def image_store(driver: str, driver_status: list | None) -> tuple[str, str]:
    """``(image_store, snapshotter)`` from ``/info``'s ``Driver`` and ``DriverStatus`` pairs.

    The containerd image store reports ``["driver-type", "io.containerd.snapshotter.v1"]``; then the
    store is ``containerd`` and ``driver`` names the snapshotter. Otherwise the graph driver's name.
    """
    for pair in driver_status or ():
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] == "driver-type":
            if "containerd.snapshotter" in str(pair[1]):
                return "containerd", driver
    return driver or "?", ""


def buildx_plugin(extra_dirs: tuple[str, ...] = ()) -> str:
    """The path of a ``docker-buildx`` CLI plugin in ``extra_dirs`` or the CLI's plugin folders; ``""`` without one."""
    import os

    for folder in (*extra_dirs, *CLI_PLUGIN_DIRS):
        candidate = os.path.join(os.path.expanduser(folder), "docker-buildx")
        if os.access(candidate, os.X_OK):
            return candidate
    return ""


def info() -> EngineInfo:
    """The engine's version, API version, image store and builders, as it reports them.

    Raises EngineUnavailable when no engine answers.
    """
    found = client()
    data = call(found.info)
    version = call(found.version)
    api_client = found.api
    builder_version = ""
    try:
        response = call(api_client.get, api_client._url("/_ping"))
        builder_version = response.headers.get("Builder-Version", "")
    except requests.exceptions.RequestException:
        pass
    store, snapshotter = image_store(str(data.get("Driver", "?")), data.get("DriverStatus"))
    buildkit = builder_version.strip() == "2"
    plugin = buildx_plugin(plugin_dirs())
    builders = ("classic",) + (("buildkit",) if buildkit else ()) + (("buildx",) if plugin and buildkit else ())
    return EngineInfo(
        server_version=str(data.get("ServerVersion", "?")),
        api_version=str(version.get("ApiVersion", "?")),
        storage_driver=str(data.get("Driver", "?")),
        operating_system=str(data.get("OperatingSystem", "?")),
        buildkit=buildkit,
        image_store=store,
        snapshotter=snapshotter,
        builders=builders,
        buildx_plugin=plugin,
    )


def plugin_dirs() -> tuple[str, ...]:
    """Folders searched for ``docker-buildx`` before the CLI's own: ``$LPI_DOCKER_CLI_PLUGINS``, then
    the modern engines' unpacked bundles (``<LPI_ENGINES_DIR>/pkg/<suite>/root/usr/libexec/docker/cli-plugins``)."""
    import glob
    import os

    engines = os.environ.get("LPI_ENGINES_DIR", "/var/lib/lean-python-images/engines")
    bundles = sorted(glob.glob(os.path.join(engines, "pkg", "*", "root", "usr", "libexec", "docker", "cli-plugins")))
    return tuple(filter(None, [_plugin_dir_from_env(), *bundles]))


def _plugin_dir_from_env() -> str:
    """``$LPI_DOCKER_CLI_PLUGINS`` (a folder holding ``docker-buildx``, e.g. the modern engines' bundle), or ``""``."""
    import os

    return os.environ.get("LPI_DOCKER_CLI_PLUGINS", "")


class StreamingAPI(docker.APIClient):
    """An API client of its own (one per build) that keeps hold of the streaming response.

    docker-py offers no public handle on the HTTP response behind a streamed call; overriding the
    private ``_stream_helper`` is the only way to reach its socket, which the build driver shuts
    down to cancel a build (closing the generator does nothing while another thread reads it).
    """

    response = None

    def _stream_helper(self, response, decode=False):
        self.response = response
        return super()._stream_helper(response, decode)


def streaming_api() -> StreamingAPI:
    """A fresh :class:`StreamingAPI` to the same engine, API version and timeout as :func:`api`."""
    main = api()
    kwargs = kwargs_from_env()
    kwargs["version"] = main.api_version
    kwargs["timeout"] = main.timeout
    return StreamingAPI(**kwargs)


# ----------------------------------------------------------------------------------------------
# error translation


def call(fn: Callable[..., _T], *args, **kwargs) -> _T:
    """``fn(*args, **kwargs)``; a lost connection becomes EngineUnavailable (other errors pass)."""
    try:
        return fn(*args, **kwargs)
    except requests.exceptions.ConnectionError as exc:
        reset_connection()
        raise EngineUnavailable(f"The Docker engine stopped answering: {exc}") from exc


@contextmanager
def translated(action: str, *, missing: str | None = None) -> Iterator[None]:
    """Run the block; docker-py's and requests' errors leave it as our own.

    - a lost connection: EngineUnavailable (and the cached client is forgotten);
    - no such object: ImageUnavailable(``missing``) when ``missing`` is given, else
      NoSuchObject("<action>: <the engine's words>");
    - any other engine error: EngineError("<action>: <the engine's words>").
    """
    try:
        yield
    except requests.exceptions.ConnectionError as exc:
        reset_connection()
        raise EngineUnavailable(f"The Docker engine stopped answering: {exc}") from exc
    except docker.errors.NotFound as exc:
        if missing is not None:
            raise ImageUnavailable(missing) from exc
        raise NoSuchObject(f"{action}: {exc.explanation}") from exc
    except docker.errors.APIError as exc:
        raise EngineError(f"{action}: {exc.explanation or exc}") from exc


# ----------------------------------------------------------------------------------------------
# labels


def owner_labels(extra: dict[str, str] | None = None) -> dict[str, str]:
    """``extra`` plus the owner label every object the checker creates carries."""
    return {course_settings.LABEL_OWNER: course_settings.OWNER_VALUE, **(extra or {})}


def label_value(labels: dict[str, str] | None, name: str) -> str:
    """The value of label ``name`` in a list endpoint's ``Labels`` (``""`` when absent)."""
    return (labels or {}).get(name, "")
