"""The lower bound: the smallest image that can run the app, computed from a built image's layers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LayerLike:
    size_bytes: int
    created_by: str


@dataclass(frozen=True)
class Bound:
    """Runtime base + runtime library + copied environment + app files, and what else the image holds."""

    base_bytes: int
    runtime_lib_bytes: int
    venv_bytes: int
    app_bytes: int
    other_bytes: int
    """Layers of the image that are none of the above (a user, a stray file): its overhead."""
    other_layers: tuple[str, ...]

    @property
    def bytes(self) -> int:
        return self.base_bytes + self.runtime_lib_bytes + self.venv_bytes + self.app_bytes

    def to_dict(self) -> dict:
        return {"bound_bytes": self.bytes, "base_bytes": self.base_bytes, "runtime_lib_bytes": self.runtime_lib_bytes,
                "venv_bytes": self.venv_bytes, "app_bytes": self.app_bytes, "other_bytes": self.other_bytes,
                "other_layers": list(self.other_layers)}


class BoundError(ValueError):
    """The image's layers do not show the parts the bound needs."""


def lower_bound(base_bytes: int, base_layer_count: int, layers: Sequence, *, runtime_lib: str = "libpq5",
                venv: str = "/opt/venv") -> Bound:
    """Split the layers above the base: the one installing ``runtime_lib``, the one copying ``venv``,
    the last other COPY (the app); everything else is overhead."""
    own = list(layers[base_layer_count:])
    lib = [layer for layer in own if runtime_lib in layer.created_by and "COPY" not in layer.created_by]
    env = [layer for layer in own if layer.created_by.startswith(("COPY", "ADD")) and venv in layer.created_by]
    copies = [layer for layer in own if layer.created_by.startswith(("COPY", "ADD")) and layer not in env]
    if not lib:
        raise BoundError(f"no layer installs {runtime_lib}")
    if not env:
        raise BoundError(f"no layer copies {venv}")
    if not copies:
        raise BoundError("no layer copies the app")
    app = [copies[-1]]
    counted = {id(layer) for layer in lib + env + app}
    others = [layer for layer in own if id(layer) not in counted and layer.size_bytes > 0]
    return Bound(
        base_bytes=base_bytes,
        runtime_lib_bytes=sum(layer.size_bytes for layer in lib),
        venv_bytes=sum(layer.size_bytes for layer in env),
        app_bytes=sum(layer.size_bytes for layer in app),
        other_bytes=sum(layer.size_bytes for layer in others),
        other_layers=tuple(f"{layer.created_by[:80]} ({layer.size_bytes} B)" for layer in others),
    )
