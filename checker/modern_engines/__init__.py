"""The course's Docker engines: the default one, and private modern ones it provisions beside it.

``python -m checker engines up`` fetches a modern Docker (Debian's docker.io 28.x, or trixie's 26.x
as a fallback) into a private prefix, starts it twice beside the host's engine (the containerd
image store, ``modern-containerd``; the overlay2 graph driver, ``modern-overlay2``), copies the
course's base images into each, and lists every engine that answers as ``NAME DOCKER_HOST``.
``down`` stops the ones it started and leaves nothing behind at run time (the images stay in their
data-roots). Features are read from each engine's ``/version`` and ``/info``, never assumed from a
version number. See ``docs/engines.md``.

This package never imports the ``docker`` Python package (that is :mod:`checker.engine`'s job): it
speaks HTTP over the engines' unix sockets and runs the docker CLI for image copies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import daemon, fetch, transfer, unixhttp
from .daemon import SPECS, EngineSpec, EngineStartError, image_store
from .fetch import FetchError
from .transfer import TransferError

__all__ = [
    "Engine", "EngineSpec", "EngineStartError", "FetchError", "SPECS", "TransferError",
    "available", "default_docker_host", "down", "image_store", "up",
]

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class Engine:
    """An engine that answers: its name and how to reach it, plus what it says about itself."""

    name: str
    """``default``, ``modern-containerd`` or ``modern-overlay2``."""
    docker_host: str
    """The DOCKER_HOST URL to reach it (``unix:///run/lean-python-images/modern-containerd.sock``)."""
    version: str = ""
    """The engine's version, from its ``/version`` (``28.5.2+dfsg4``); empty when not asked."""
    image_store: str = ""
    """``containerd`` or the graph driver (``overlay2``), from its ``/info``; empty when not asked."""

    def line(self) -> str:
        """The ``NAME DOCKER_HOST`` line ``engines up`` prints."""
        return f"{self.name} {self.docker_host}"


def default_docker_host() -> str:
    """The engine that answers today: ``DOCKER_HOST`` when set, else the default socket.

    A DOCKER_HOST that names one of the modern engines (a test run pointed at one) is not the
    default: the default socket is.
    """
    chosen = os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
    return DEFAULT_SOCKET if chosen in {spec.docker_host for spec in SPECS} else chosen


def describe(name: str, docker_host: str) -> Engine | None:
    """The engine at ``docker_host`` as an :class:`Engine` (asking ``/version`` and ``/info``), or None when it does not answer."""
    if docker_host.startswith("unix://"):
        try:
            version = unixhttp.get_json(docker_host, "/version")
            info = unixhttp.get_json(docker_host, "/info")
        except unixhttp.EngineUnreachable:
            return None
        return Engine(name, docker_host, version.get("Version", ""), image_store(info))
    result = subprocess.run(["docker", "-H", docker_host, "info", "--format", "{{.ServerVersion}} {{.Driver}}"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return None
    version, _, driver = result.stdout.strip().partition(" ")
    return Engine(name, docker_host, version, driver)


def available() -> list[Engine]:
    """Every engine that answers now, default first, then the modern ones in :data:`SPECS` order; starts nothing."""
    engines = [describe("default", default_docker_host())]
    engines += [describe(spec.name, spec.docker_host) for spec in SPECS]
    return [engine for engine in engines if engine is not None]


def prefix() -> Path:
    """Where the fetched packages are unpacked: ``$LPI_ENGINES_DIR/pkg``."""
    return daemon.STATE_DIR / "pkg"


def course_image_refs() -> list[str]:
    """The images each modern engine gets: the course's base images and the Debian image of the stand-ins."""
    from .. import settings as course_settings

    settings = course_settings.load()
    return [*settings.course_images, f"debian:{settings.debian_suite}-slim"]


def up(*, images: bool = True, progress=print) -> list[Engine]:
    """Start every modern engine that is not running, copy the base images into each; returns every engine that answers.

    Idempotent: a running engine is left alone, an image already there is not copied again.
    ``progress`` gets one line per step and the measured times (seconds). Raises
    :class:`PermissionError` when not root, :class:`FetchError` when the packages cannot be
    fetched (one sentence naming the package and the suite), :class:`EngineStartError` when an
    engine does not start, :class:`TransferError` when an image copy fails.
    """
    if os.geteuid() != 0:
        raise PermissionError("the modern engines need root (private mounts, cgroups, bridges): run `engines up` as root")
    missing = [tool for tool in ("apt-get", "dpkg-deb", "ip", "unshare", "docker") if shutil.which(tool) is None]
    if missing:
        raise EngineStartError(f"the modern engines need {', '.join(missing)} on PATH (Debian/Ubuntu: apt, iproute2, util-linux, a docker CLI)")
    with _lock():
        return _up(images=images, progress=progress)


@contextlib.contextmanager
def _lock():
    """Hold ``$LPI_ENGINES_RUN/engines.lock`` (an exclusive flock): one ``up`` or ``down`` at a time on the machine."""
    daemon.RUN_DIR.mkdir(parents=True, exist_ok=True)
    with open(daemon.RUN_DIR / "engines.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _up(*, images: bool, progress) -> list[Engine]:
    """:func:`up`'s work, under the lock."""
    source = default_docker_host()
    if describe("default", source) is None:
        raise EngineStartError(f"the default engine at {source} does not answer: run scripts/ensure-engine.sh first")
    todo = [spec for spec in SPECS if not daemon.is_up(spec)]
    if todo:
        started = time.monotonic()
        bundle = fetch.ensure(prefix(), progress=progress)
        progress(f"engines: Debian {bundle.suite}'s docker.io {bundle.versions['docker.io']} ready "
                 f"({time.monotonic() - started:.1f} s; needs glibc {bundle.glibc_needed}, host has {fetch.host_glibc()})")
        with ThreadPoolExecutor(len(todo)) as pool:
            for spec, seconds in zip(todo, pool.map(lambda spec: daemon.start(spec, bundle), todo)):
                progress(f"engines: {spec.name} started in {seconds:.1f} s at {spec.docker_host}")
    if images:
        refs = course_image_refs()
        with ThreadPoolExecutor(len(SPECS)) as pool:
            results = list(pool.map(lambda spec: transfer.copy_images(source, spec.docker_host, refs), SPECS))
        for spec, result in zip(SPECS, results):
            if result.copied:
                progress(f"engines: {spec.name}: copied {', '.join(result.copied)} in {result.seconds:.1f} s")
            else:
                progress(f"engines: {spec.name}: base images already there ({len(result.present)} tags)")
    return available()


def down(*, progress=print) -> list[str]:
    """Stop every modern engine and remove its run-time remains (also after a crash); returns their names.

    The default engine is never touched. Raises :class:`PermissionError` when not root.
    """
    if os.geteuid() != 0:
        raise PermissionError("stopping the modern engines needs root: run `engines down` as root")
    stopped = []
    with _lock(), ThreadPoolExecutor(len(SPECS)) as pool:
        were_running = list(pool.map(daemon.stop, SPECS))
    for spec, was_running in zip(SPECS, were_running):
        if was_running:
            stopped.append(spec.name)
            progress(f"engines: {spec.name} stopped")
        left = daemon.leftovers(spec)
        if left:
            progress(f"engines: {spec.name} left behind: {'; '.join(left)}")
    return stopped
