"""Image references (``[registry/]repository[:tag][@digest]``) split into their parts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRef:
    """``[registry/]repository[:tag][@digest]`` split into parts; absent parts are None."""

    registry: str | None
    """The registry host (``localhost:5000``, ``ghcr.io``), or None for Docker Hub written short."""
    repository: str
    """The path inside the registry, as written: ``python``, ``library/python``, ``team/app``."""
    tag: str | None
    """The tag after the last ``:`` of the path (``3.13-slim``), or None."""
    digest: str | None
    """The content digest after ``@`` (``sha256:...``), or None."""

    @property
    def name(self) -> str:
        """The last path component, lower-cased: ``python`` for ``docker.io/library/python:3.13``."""
        return self.repository.rsplit("/", 1)[-1].lower()


def parse_image_ref(ref: str) -> ImageRef:
    """Split an image reference as written in FROM into an :class:`ImageRef`; never raises.

    The first path component is a registry when it holds a ``.`` or a ``:`` or is ``localhost``
    (the rule of Docker's reference parser: ``splitDockerDomain`` in distribution/reference).
    No validation: any text gives some split.
    """
    rest, _, digest = ref.partition("@")
    registry = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    repository, tag = rest, None
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        repository, tag = rest[:colon], rest[colon + 1:]
    return ImageRef(registry, repository, tag or None, digest or None)
