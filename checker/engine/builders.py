"""The builder seam: what a build takes and returns, and :func:`build`, which callers use.

A :class:`Builder` turns a tar context into a :class:`BuildResult`. :class:`ClassicBuilder` (the
engine's classic builder, ``POST /build``) and :class:`BuildKitBuilder` (BuildKit through the buildx
CLI, see :mod:`.buildkit`) implement it; :func:`choose_builder` picks one from the engine's
measured facts and the ``builder`` setting (``LPI_BUILDER``, ``--builder``), without touching callers.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO, Protocol

from .. import settings as course_settings
from ..staging import tar_folder
from .buildkit import build_checks as buildx_checks
from .buildkit import buildkit_build
from .classic import LineCallback, StopCheck, classic_build
from .client import EngineError, api, buildx_plugin, call, owner_labels, plugin_dirs
from .results import BuildLimits, BuildResult


class Builder(Protocol):
    """Builds one image from a tar context under limits and a deadline."""

    name: str
    """Short name for messages and reports (``classic``, ``buildkit``)."""

    def build(
        self,
        context: BinaryIO,
        *,
        dockerfile: str,
        tag: str,
        build_args: dict[str, str],
        labels: dict[str, str],
        target: str | None,
        nocache: bool,
        limits: BuildLimits,
        deadline_s: float,
        on_line: LineCallback | None,
        should_stop: StopCheck | None,
    ) -> BuildResult:
        """Build ``context`` (a tar, at its start) with the Dockerfile at path ``dockerfile`` in it.

        The image gets ``tag`` and exactly ``labels``. ``on_line`` sees every non-blank log line;
        ``should_stop(step, line)`` may return a reason to cut the build. Returns a result for
        every outcome of the Dockerfile (failure, ``deadline_s`` seconds passed, limits); raises
        EngineUnavailable / EngineError only for engine trouble.
        """
        ...


class ClassicBuilder:
    """The classic builder (``POST /build``), driven by :func:`checker.engine.classic.classic_build`."""

    name = "classic"

    def build(self, context: BinaryIO, **request) -> BuildResult:
        """See :meth:`Builder.build`. Raises ValueError when ``secrets`` are given (no secret mounts here)."""
        request.pop("local_context", None)  # the classic builder's daemon applies .dockerignore's rule itself
        if request.pop("secrets", None):
            raise ValueError("The classic builder cannot offer build secrets (RUN --mount=type=secret needs BuildKit).")
        return classic_build(context, **request)


class BuildKitBuilder:
    """BuildKit, driven through the buildx CLI at ``plugin`` (:func:`checker.engine.buildkit.buildkit_build`)."""

    name = "buildkit"

    def __init__(self, plugin: str) -> None:
        self.plugin = plugin

    def build(self, context: BinaryIO, **request) -> BuildResult:
        """See :meth:`Builder.build`."""
        return buildkit_build(context, plugin=self.plugin, **request)


BUILDER_CHOICES = ("auto", "buildkit", "classic")
"""The values of ``--builder`` and ``LPI_BUILDER``."""


def engine_offers_buildkit() -> bool:
    """Whether the engine answers ``/_ping`` with ``Builder-Version: 2`` (it runs BuildKit).

    Raises EngineUnavailable when no engine answers.
    """
    client = api()
    response = call(client.get, client._url("/_ping"))
    return response.headers.get("Builder-Version", "").strip() == "2"


def choose_builder(settings: course_settings.Settings) -> Builder:
    """The builder this engine and these settings call for.

    ``auto``: BuildKit when the engine offers it and a buildx CLI plugin is found, else the classic
    builder. ``buildkit`` without both raises EngineError saying which is missing; ``classic``
    always works (engines deprecate it for Linux images but still run it). ValueError for any
    other value.
    """
    wanted = (settings.builder or "auto").strip().lower()
    if wanted not in BUILDER_CHOICES:
        raise ValueError(f"LPI_BUILDER / --builder must be one of {', '.join(BUILDER_CHOICES)}, got {settings.builder!r}")
    if wanted == "classic":
        return ClassicBuilder()
    offered = engine_offers_buildkit()
    plugin = buildx_plugin(plugin_dirs())
    if offered and plugin:
        return BuildKitBuilder(plugin)
    if wanted == "buildkit":
        missing = "this engine does not offer BuildKit through its API" if not offered else \
            "no docker-buildx CLI plugin was found (install Debian's docker-buildx, or set LPI_DOCKER_CLI_PLUGINS)"
        raise EngineError(f"The BuildKit builder was asked for, but {missing}.")
    return ClassicBuilder()


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
    should_stop: StopCheck | None = None,
    settings: course_settings.Settings | None = None,
    secrets: dict[str, str] | None = None,
    step_cgroup: bool = True,
    local_context: bool = False,
) -> BuildResult:
    """Build an image under a wall-clock deadline, with the builder :func:`choose_builder` picks.

    The context is either a folder (``context_dir``, sent as it is) or a ready tar
    (``context_tar``, as :mod:`checker.staging` stages it). ``dockerfile`` is the path of the
    Dockerfile inside the context; with ``dockerfile_text`` the text is added to a folder context
    under that name. ``tag`` defaults to ``lpi-build/<random>:latest``; the owner label is added to
    ``labels``. ``timeout_s`` (seconds), ``memory_bytes`` and ``network_mode`` default to the
    settings' values. ``on_line(line)`` sees every non-blank log line; ``should_stop(step, line)``
    is called for every log line, and when it returns a reason the build is cut there
    (``result.stopped``). A failed build is a result, not an exception; only engine trouble raises
    EngineError (EngineUnavailable when it stops answering). ValueError when neither context is
    given. Proxy settings and credentials from the client's configuration are never passed.
    ``secrets`` (id -> value) are offered to ``RUN --mount=type=secret`` (BuildKit only: the classic
    builder raises ValueError when some are given). ``step_cgroup=False`` leaves BuildKit's RUN steps
    out of the limiting cgroup (see :attr:`BuildLimits.step_cgroup`: trusted builds whose cache
    should match a terminal's ``docker build``); ``local_context`` has BuildKit read the context as
    a folder, as ``docker build .`` does (:func:`checker.engine.buildkit.buildkit_build`).
    """
    settings = settings or course_settings.load()
    if context_tar is None:
        if context_dir is None:
            raise ValueError("build() needs context_dir or context_tar")
        extra = {dockerfile: dockerfile_text.encode("utf-8")} if dockerfile_text is not None else None
        context = tar_folder(context_dir, extra_files=extra)
    else:
        context = context_tar
        context.seek(0)
    return choose_builder(settings).build(
        context,
        dockerfile=dockerfile,
        tag=tag or f"lpi-build/{uuid.uuid4().hex[:12]}:latest",
        build_args=build_args or {},
        labels=owner_labels(labels),
        target=target,
        nocache=nocache,
        limits=BuildLimits.from_settings(settings, memory_bytes=memory_bytes, network=network_mode,
                                         step_cgroup=step_cgroup),
        deadline_s=timeout_s if timeout_s is not None else settings.build_timeout_s,
        on_line=on_line,
        should_stop=should_stop,
        **({"secrets": secrets} if secrets else {}),
        **({"local_context": True} if local_context else {}),
    )


def build_checks(
    context_tar: BinaryIO,
    *,
    dockerfile: str = "Dockerfile",
    build_args: dict[str, str] | None = None,
    target: str | None = None,
    settings: course_settings.Settings | None = None,
) -> list[dict] | None:
    """Docker's build checks of the staged tar's Dockerfile, when the grade builds with BuildKit.

    Returns BuildKit's warnings (see :func:`checker.engine.buildkit.build_checks`), or None when
    the builder is the classic one (it has no checks) or the checks could not run. Raises
    EngineUnavailable when no engine answers.
    """
    settings = settings or course_settings.load()
    try:
        chosen = choose_builder(settings)
    except (EngineError, ValueError):
        return None
    if not isinstance(chosen, BuildKitBuilder):
        return None
    return buildx_checks(context_tar, plugin=chosen.plugin, dockerfile=dockerfile, build_args=build_args or {},
                         target=target)
