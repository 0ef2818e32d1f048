"""Images on the engine: inspect, pull, tag, list and remove them."""

from __future__ import annotations

from dataclasses import dataclass

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from .client import (
    ConnectionLost,
    EngineError,
    EngineUnavailable,
    ImageUnavailable,
    NoSuchObject,
    ReadTimeout,
    api,
    call,
    client,
    translated,
)


@dataclass(frozen=True)
class Layer:
    """One entry of an image's history (``docker history``), oldest first in ``ImageInfo.layers``."""

    size_bytes: int
    created_by: str
    """The instruction that made it, ``/bin/sh -c`` prefixes shortened (``RUN ...``, ``COPY ...``)."""


@dataclass(frozen=True)
class ImageInfo:
    """An image as ``docker image inspect`` and ``docker history`` describe it."""

    id: str
    """The full image id (``sha256:...``)."""
    tags: tuple[str, ...]
    size_bytes: int
    """The engine's own figure (inspect's ``Size``): the sum of the layers on the classic store, the
    compressed content on the containerd store. Store-independent sizes: :mod:`checker.probes.layers`."""
    labels: dict[str, str]
    layers: tuple[Layer, ...]
    """Oldest layer first."""
    env: tuple[str, ...]
    """``NAME=value`` entries of the image's config."""
    user: str
    cmd: tuple[str, ...] | None
    entrypoint: tuple[str, ...] | None
    exposed_ports: tuple[str, ...]
    """Sorted, as the engine writes them (``8000/tcp``)."""
    created: str
    """ISO 8601 time the engine gives."""
    workdir: str = ""
    parent: str = ""
    healthcheck: tuple[str, ...] | None = None
    """The config's HEALTHCHECK test (``("CMD", "python", ...)``, ``("NONE",)``); None when it has none."""
    diff_ids: tuple[str, ...] = ()
    """The digests of its uncompressed layers (``RootFS.Layers``), oldest first: the same on every store."""

    def to_dict(self) -> dict:
        """``{"id", "tags", "size_bytes", "layers": [{"size_bytes", "created_by"}]}`` for reports."""
        return {
            "id": self.id,
            "tags": list(self.tags),
            "size_bytes": self.size_bytes,
            "layers": [{"size_bytes": layer.size_bytes, "created_by": layer.created_by} for layer in self.layers],
        }

    def env_dict(self) -> dict[str, str]:
        """The image's environment as ``{name: value}`` (a later entry wins)."""
        values = {}
        for entry in self.env:
            name, _, value = entry.partition("=")
            values[name] = value
        return values


@dataclass(frozen=True)
class ImageSummary:
    """One row of the engine's image list (intermediate images included)."""

    id: str
    parent: str
    size_bytes: int
    """The image's whole size (its parents' layers included), bytes."""
    tags: tuple[str, ...]
    labels: dict[str, str]
    created: int
    """Epoch seconds."""


def image_exists(ref: str) -> bool:
    """Whether ``ref`` (name:tag or id) is on the engine; raises EngineError when it cannot tell."""
    try:
        with translated(f"Could not look up image {ref}"):
            client().images.get(ref)
    except NoSuchObject:
        return False
    return True


def image_info(ref: str) -> ImageInfo:
    """Inspect ``ref``; raises ImageUnavailable when it does not exist, EngineError otherwise."""
    with translated(f"Could not inspect image {ref}", missing=f"Image {ref} does not exist on this engine."):
        image = client().images.get(ref)
        history = image.history()
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
        healthcheck=tuple((config.get("Healthcheck") or {}).get("Test") or ()) or None,
        diff_ids=tuple((attrs.get("RootFS") or {}).get("Layers") or ()),
    )


def _clean_created_by(text: str) -> str:
    # The classic builder writes `/bin/sh -c #(nop) ENV ...` and `/bin/sh -c <command>`; BuildKit
    # writes `RUN /bin/sh -c <command> # buildkit` and `COPY . . # buildkit`.
    text = text.rstrip().removesuffix("# buildkit").rstrip().replace("RUN /bin/sh -c ", "RUN ")
    text = text.replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ")
    return " ".join(text.split())


def image_tags(image_id: str) -> tuple[str, ...] | None:
    """The repository tags of ``image_id`` (``<none>:<none>`` left out); None when it is gone."""
    try:
        with translated(f"Could not inspect image {image_id}"):
            found = api().inspect_image(image_id)
    except NoSuchObject:
        return None
    return tuple(tag for tag in found.get("RepoTags") or () if tag != "<none>:<none>")


def pull(ref: str) -> None:
    """Pull ``ref`` (``name[:tag]``, ``latest`` by default).

    Raises ImageUnavailable with the registry's own words when that fails, EngineUnavailable when
    the engine does not answer.
    """
    repository, _, tag = ref.rpartition(":") if ":" in ref.split("/")[-1] else (ref, "", "latest")
    try:
        with translated(f"Could not pull {ref}"):
            client().images.pull(repository, tag=tag or "latest")
    except EngineUnavailable:
        raise
    except EngineError as exc:
        raise ImageUnavailable(str(exc)) from exc


def tag_image(image_id: str, ref: str) -> None:
    """Tag ``image_id`` as ``ref`` (``repository:tag``); raises EngineError when the engine refuses."""
    repository, _, tag = ref.rpartition(":")
    with translated(f"Could not tag {image_id} as {ref}"):
        client().images.get(image_id).tag(repository, tag)


def remove_image(ref: str, *, force: bool = True) -> bool:
    """Remove ``ref`` (its untagged parents go with it); False when it is gone or still in use.

    Raises EngineUnavailable only when the engine does not answer.
    """
    try:
        with translated(f"Could not remove image {ref}"):
            client().images.remove(ref, force=force, noprune=False)
        return True
    except EngineUnavailable:
        raise
    except EngineError:
        return False


def list_images(label: str) -> list[ImageInfo]:
    """Full :class:`ImageInfo` of every tagged image carrying ``label`` (``name`` or ``name=value``)."""
    images = call(client().images.list, filters={"label": label})
    return [image_info(image.id) for image in images]


def _summaries(rows: list[dict]) -> list[ImageSummary]:
    return [
        ImageSummary(
            id=row["Id"], parent=row.get("ParentId") or "", size_bytes=int(row.get("Size") or 0),
            tags=tuple(tag for tag in (row.get("RepoTags") or ()) if tag != "<none>:<none>"),
            labels=dict(row.get("Labels") or {}), created=int(row.get("Created") or 0),
        )
        for row in rows
    ]


def inventory() -> list[ImageSummary]:
    """Every image on the engine, intermediate ones included, in one call."""
    return _summaries(call(api().images, all=True))


def find_images(label: str) -> list[ImageSummary]:
    """Images carrying ``label`` (``name`` or ``name=value``), newest first."""
    found = _summaries(call(api().images, filters={"label": label}))
    return sorted(found, key=lambda image: image.created, reverse=True)


@contextmanager
def saved_image(image: str, *, chunk_size: int = 1024 * 1024) -> Iterator[BinaryIO]:
    """The image as ``docker save`` writes it: a tar stream of its layer tars, config and manifest.

    Every image store exports the same uncompressed layer tars (the classic store as
    ``<id>/layer.tar``, the containerd store as OCI ``blobs/sha256/<digest>``), with a
    ``manifest.json`` naming them in order. Raises ImageUnavailable when ``image`` is missing,
    EngineError when the engine cannot export it.
    """
    from .containers import _ChunkReader

    with translated(f"Could not save image {image}", missing=f"Image {image} does not exist on this engine."):
        response = api().get_image(image, chunk_size=chunk_size)
        chunks = iter(response)
        first = next(chunks, b"")
    try:
        yield io.BufferedReader(_ChunkReader(chunks, first), buffer_size=chunk_size)
    except (ConnectionLost, ReadTimeout) as exc:
        raise EngineUnavailable(f"The Docker engine stopped answering while saving {image}: {exc}") from exc
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
