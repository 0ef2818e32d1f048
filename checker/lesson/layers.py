"""Where an image's bytes come from: its base image, then each layer its Dockerfile added.

The engine's history lists layers oldest first. The first ones are the base image's; we recognise
them by comparing with the base image's own history, and report them as one block, because the
lesson is about the layers *we* add (and about choosing the base). Given the Dockerfile, each added
layer is named by the line that made it (``COPY . .``, not the engine's ``COPY dir:4f1c… in .``), as
the grader's report names them (:mod:`checker.dockerfile.history`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from .. import engine, probes
from ..dockerfile.history import layer_lines
from .table import Table, human_bytes


@dataclass(frozen=True)
class Part:
    """A slice of an image's size: the whole base image, or one added layer (bytes)."""

    label: str
    size_bytes: int
    from_base: bool


def _short_instruction(created_by: str, width: int = 48) -> str:
    text = " ".join(created_by.split())
    args = re.match(r"^\|(\d+) ", text)
    if args:
        # The classic builder records the build args a RUN saw: "|1 PYTHON_VERSION=3.13 RUN ...".
        text = text.split(" ", int(args.group(1)) + 1)[-1]
    if text.startswith("RUN /bin/sh -c "):
        text = "RUN " + text[len("RUN /bin/sh -c "):]
    if text.startswith("/bin/sh -c "):
        text = "RUN " + text[len("/bin/sh -c "):]
    if text.startswith("COPY ") or text.startswith("ADD "):
        # "COPY dir:4f1c... in /app" -> "COPY dir:… in /app" (the digest says nothing to a reader)
        words = text.split()
        if len(words) >= 4 and words[-2] == "in":
            kind = words[1].split(":", 1)[0] if ":" in words[1] else words[1]
            text = f"{words[0]} {kind}:… in {words[-1]}"
    return text if len(text) <= width else text[: width - 1] + "…"


def line_names(layers: "list[engine.Layer] | tuple[engine.Layer, ...]", dockerfile: str) -> list[str | None]:
    """For each of ``layers`` (the ones the Dockerfile added, oldest first), the Dockerfile line that made it, or None.

    The grader's report names its layers the same way: :func:`checker.dockerfile.history.layer_lines`.
    """
    return layer_lines([layer.created_by for layer in layers], dockerfile)


def measured(info: engine.ImageInfo, *, show: bool = True) -> engine.ImageInfo:
    """``info`` with the grader's sizes, the same on every image store: ``size_bytes`` and one entry
    in ``layers`` per filesystem layer (history entries without a layer, such as ``ENV``, left out),
    each sized from the layer tars the engine exports (:func:`checker.probes.scan_layers`, kept by
    layer digest). The engine's own history sizes are store-dependent: rounded unpacked sizes on the
    containerd store. Raises :class:`checker.engine.EngineError` when the export fails. With ``show``,
    the terminal's way to size an image and list its layers is shown first
    (:func:`checker.lesson.cli.image_size`).
    """
    if show:
        from . import cli

        cli.display_command(cli.image_size(info.tags[0] if info.tags else info.id))
    facts = probes.scan_layers(info.id, diff_ids=info.diff_ids)
    return dataclasses.replace(info, size_bytes=facts.size_bytes,
                               layers=tuple(engine.Layer(layer.size_bytes, layer.created_by) for layer in facts.layers))


def base_layer_count(info: engine.ImageInfo, base: engine.ImageInfo | None) -> int:
    """How many of ``info``'s oldest layers are exactly ``base``'s layers (0 if it is not built on it).

    Measured images (see :func:`measured`: one layer per ``diff_id``) are compared by layer digest;
    others by their history entries.
    """
    if base is None or len(base.layers) > len(info.layers):
        return 0
    if (base.diff_ids and len(base.layers) == len(base.diff_ids) and len(info.layers) == len(info.diff_ids)):
        return len(base.layers) if info.diff_ids[:len(base.diff_ids)] == base.diff_ids else 0
    for ours, theirs in zip(info.layers, base.layers):
        if ours.created_by != theirs.created_by or ours.size_bytes != theirs.size_bytes:
            return 0
    return len(base.layers)


def breakdown(info: engine.ImageInfo, base: engine.ImageInfo | None = None, *, base_label: str | None = None,
              min_bytes: int = 1, dockerfile: str | None = None, width: int = 60) -> list[Part]:
    """The image's size as parts: the base image as one part, then each added layer of ``min_bytes`` or more.

    With the image's ``dockerfile``, an added layer is labelled by the line that made it (shortened
    to ``width`` characters); without it, or for a layer no line matches, by the engine's history.
    """
    count = base_layer_count(info, base)
    parts: list[Part] = []
    if count:
        label = base_label or f"base image ({base.tags[0] if base and base.tags else 'base'})"
        parts.append(Part(label, sum(layer.size_bytes for layer in info.layers[:count]), True))
    added = info.layers[count:]
    names = line_names(added, dockerfile) if dockerfile and count else [None] * len(added)
    for layer, name in zip(added, names):
        if layer.size_bytes >= min_bytes:
            if name is None:
                name = _short_instruction(layer.created_by)
            elif len(name) > width:
                name = name[: width - 1] + "…"
            parts.append(Part(name, layer.size_bytes, False))
    return parts


def breakdown_table(parts: list[Part], caption: str = "") -> Table:
    """``parts`` as a table: label, size (bytes, shown human) and share of the total."""
    total = sum(p.size_bytes for p in parts) or 1
    table = Table(["layer", "size", "share"], caption=caption,
                  formats={"size": human_bytes, "share": lambda v: f"{v:.0%}"})
    for part in parts:
        table.add(layer=part.label, size=part.size_bytes, share=part.size_bytes / total)
    return table
