"""The builder seam: what a build takes and returns, and :func:`build`, which callers use.

A :class:`Builder` turns a tar context into a :class:`BuildResult`. :class:`ClassicBuilder` (the
engine's classic builder, what engine 20.10 without buildx runs) is the one implementation today;
another (BuildKit) goes beside it and is chosen in :func:`choose_builder`, without touching callers.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO, Protocol

from .. import settings as course_settings
from ..staging import tar_folder
from .classic import LineCallback, StopCheck, classic_build
from .client import owner_labels
from .results import BuildLimits, BuildResult


class Builder(Protocol):
    """Builds one image from a tar context under limits and a deadline."""

    name: str
    """Short name for messages and reports (``classic``)."""

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
        """See :meth:`Builder.build`."""
        return classic_build(context, **request)


def choose_builder(settings: course_settings.Settings) -> Builder:  # noqa: ARG001 - one builder today
    """The builder this engine and these settings call for (always the classic one today)."""
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
        limits=BuildLimits.from_settings(settings, memory_bytes=memory_bytes, network=network_mode),
        deadline_s=timeout_s if timeout_s is not None else settings.build_timeout_s,
        on_line=on_line,
        should_stop=should_stop,
    )
