"""The layers probe: sizes and hidden files measured from the layer tars, the same on every image store.

:func:`scan_layers` reads ``docker save`` once. Every store exports the same uncompressed layer
tars (the classic store as ``<id>/layer.tar``, the containerd store as OCI blobs), so what is
measured here does not depend on the engine:

- a layer's size is the sum of its files' sizes (regular files' bytes, a symbolic link's target
  length, a hard link and a folder nothing) -- exactly how the overlay2 graph driver counts a
  layer's ``Size`` (``directory.Size`` over the layer's diff folder), and how
  :mod:`checker.probes.filesystem` counts the final filesystem. The tar's own length is not used:
  its 512-byte headers and padding add several per cent for an image of many small files;
- the image's size is the sum of its layers' sizes;
- a file is *wasted* when a later layer deletes it (an AUFS/OCI whiteout ``.wh.<name>``, or an
  opaque folder ``.wh..wh..opq``) or replaces it (the same path written again, or a folder where it
  was): its bytes still ship in the layer that added it. The sum of wasted files' sizes equals the
  image's size minus the final filesystem's, by construction.

Layer sizes are kept on disk by layer digest (``diff_id``), so an image whose layers were all
measured before (the rubric's reference and baseline) is sized without exporting it again.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from checker import engine
from checker.files import write_atomic

#: What ``image.measure`` says in the report.
MEASURE = "uncompressed layers: the sum of the file sizes in each layer tar the engine exports (docker save)"
#: Blobs up to this size are read whole (JSON documents are told from layer tars by their first byte).
_IN_MEMORY = 4 * 1024 * 1024
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True)
class LayerFact:
    """One layer of the image, oldest first."""

    diff_id: str
    """The digest of the uncompressed layer tar (``sha256:...``), as ``RootFS.Layers`` lists it."""
    size_bytes: int
    """Sum of the sizes of the files this layer writes (bytes)."""
    created_by: str
    """The instruction that made it (``RUN ...``, ``COPY ...``), from the image's history."""


@dataclass(frozen=True)
class WastedFile:
    """A file a layer ships that a later layer hides (deletes or replaces)."""

    path: str
    size_bytes: int
    added_by: int
    """Index (oldest first) of the layer that added it."""
    removed_by: int
    """Index of the layer that deleted or replaced it."""


@dataclass
class LayerFacts:
    """What the image's layers hold, measured from the exported layer tars."""

    layers: list[LayerFact] = field(default_factory=list)
    final_bytes: int = 0
    """Bytes the final filesystem shows (the files no later layer hides)."""
    wasted_files: list[WastedFile] = field(default_factory=list)
    """Every hidden file with bytes, largest first."""
    kept_by_layer: list[int] = field(default_factory=list)
    """Per layer: the bytes it wrote that the final filesystem still shows."""
    seconds: float = 0.0
    measure: str = MEASURE

    @property
    def size_bytes(self) -> int:
        """The image's size: the sum of its layers' sizes (bytes)."""
        return sum(layer.size_bytes for layer in self.layers)

    @property
    def hidden_bytes(self) -> int:
        """Bytes every layer ships that the final filesystem does not show (``size_bytes - final_bytes``)."""
        return self.size_bytes - self.final_bytes

    def wasted_after(self, base_layers: int) -> list[WastedFile]:
        """The hidden files the layers from index ``base_layers`` on hid (the base image's own left out)."""
        return [wasted for wasted in self.wasted_files if wasted.removed_by >= base_layers]

    def efficiency(self, base_layers: int) -> float:
        """dive's efficiency over the layers from ``base_layers`` on: bytes kept / bytes written (1.0 when none)."""
        written = sum(layer.size_bytes for layer in self.layers[base_layers:])
        kept = sum(self.kept_by_layer[base_layers:])
        return kept / written if written else 1.0

    def created_by(self, index: int) -> str:
        """The instruction of layer ``index`` (``layer N`` when the history does not say)."""
        if 0 <= index < len(self.layers):
            return self.layers[index].created_by or f"layer {index}"
        return f"layer {index}"


# ----------------------------------------------------------------------------------------------
# the pure part: layers (lists of tar members) in, facts out


@dataclass
class _Entry:
    path: str
    kind: str
    """``f`` counted file or link, ``d`` folder, ``w`` whiteout, ``o`` opaque-folder marker."""
    size: int = 0


def layer_entries(layer: tarfile.TarFile) -> list[_Entry]:
    """The entries of one layer tar (read in stream mode), paths absolute, sizes as a layer counts them."""
    entries = []
    for member in layer:
        path = _norm(member.name)
        name = posixpath.basename(path)
        if name == _OPAQUE:
            entries.append(_Entry(posixpath.dirname(path), "o"))
        elif name.startswith(_WHITEOUT):
            entries.append(_Entry(posixpath.join(posixpath.dirname(path), name[len(_WHITEOUT):]), "w"))
        elif member.isdir():
            entries.append(_Entry(path, "d"))
        elif member.issym():
            entries.append(_Entry(path, "f", len(member.linkname)))
        elif member.isreg():
            entries.append(_Entry(path, "f", member.size))
        else:  # hard links, devices, fifos: no bytes of their own
            entries.append(_Entry(path, "f", 0))
    return entries


def analyse(layers: list[list[_Entry]], created_by: list[str], diff_ids: list[str]) -> LayerFacts:
    """Stack ``layers`` (oldest first) as the engine does and account for every byte.

    ``created_by`` and ``diff_ids`` name each layer (missing ones become ``""``).
    """
    facts = LayerFacts()
    files: dict[str, tuple[int, int]] = {}  # path -> (size, layer index) of what is visible now
    folders: set[str] = {"/"}
    children: dict[str, set[str]] = {}
    kept = [0] * len(layers)

    def hide(path: str, by: int) -> None:
        if path in files:
            size, added = files.pop(path)
            kept[added] -= size
            if size:
                facts.wasted_files.append(WastedFile(path, size, added, by))
        elif path in folders:
            for child in list(children.get(path, ())):
                hide(child, by)
            folders.discard(path)
            children.pop(path, None)
        else:
            return
        children.get(posixpath.dirname(path), set()).discard(path)

    def place(path: str, index: int) -> None:
        parent = posixpath.dirname(path)
        if parent != path and parent not in folders:
            if parent in files:
                hide(parent, index)
            place(parent, index)
            folders.add(parent)
        if parent != path:
            children.setdefault(parent, set()).add(path)

    for index, entries in enumerate(layers):
        for entry in entries:  # deletions refer to the layers below: apply them first
            if entry.kind == "w":
                hide(entry.path, index)
            elif entry.kind == "o":
                for child in list(children.get(entry.path, ())):
                    hide(child, index)
        for entry in entries:
            if entry.kind == "d":
                if entry.path in files:
                    hide(entry.path, index)
                place(entry.path, index)
                folders.add(entry.path)
            elif entry.kind == "f":
                if entry.path in files or entry.path in folders:
                    hide(entry.path, index)
                place(entry.path, index)
                files[entry.path] = (entry.size, index)
                kept[index] += entry.size
        size = sum(entry.size for entry in entries if entry.kind == "f")
        facts.layers.append(LayerFact(diff_ids[index] if index < len(diff_ids) else "",
                                      size, created_by[index] if index < len(created_by) else ""))
    facts.final_bytes = sum(size for size, _ in files.values())
    facts.kept_by_layer = kept
    facts.wasted_files.sort(key=lambda wasted: (-wasted.size_bytes, wasted.path))
    return facts


def _norm(name: str) -> str:
    name = name.lstrip("./")
    return "/" + name.rstrip("/") if name else "/"


def _clean_created_by(text: str) -> str:
    # The classic builder writes `/bin/sh -c #(nop) ENV ...` and `/bin/sh -c <command>`; BuildKit
    # writes `RUN /bin/sh -c <command> # buildkit` and `COPY . . # buildkit`.
    text = text.rstrip().removesuffix("# buildkit").rstrip().replace("RUN /bin/sh -c ", "RUN ")
    text = text.replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ")
    return " ".join(text.split())


# ----------------------------------------------------------------------------------------------
# reading ``docker save``


def read_saved(stream, *, deadline_s: float = 600) -> LayerFacts:
    """:class:`LayerFacts` from a ``docker save`` tar stream (either layout); raises EngineError on a bad stream or at the deadline."""
    started = time.monotonic()
    parsed: dict[str, list[_Entry]] = {}
    small: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=stream, mode="r|") as outer:
            for member in outer:
                if time.monotonic() - started > deadline_s:
                    raise engine.EngineError(f"Reading the image's layers took over {deadline_s:.0f} s.")
                if not member.isreg():
                    continue
                handle = outer.extractfile(member)
                if handle is None:
                    continue
                if member.size <= _IN_MEMORY:
                    data = handle.read()
                    if data[:1] in (b"{", b"["):
                        small[member.name] = data  # manifest, index, config (OCI blobs have no .json)
                        continue
                    handle = io.BytesIO(data)
                if handle.peek(4)[:4] == _ZSTD_MAGIC if hasattr(handle, "peek") else False:
                    raise engine.EngineError(f"The engine exported a zstd-compressed layer ({member.name}); "
                                             "this checker reads gzip and uncompressed layers only.")
                try:
                    with tarfile.open(fileobj=handle, mode="r|*") as layer:
                        parsed[member.name] = layer_entries(layer)
                except tarfile.TarError:
                    continue
    except tarfile.TarError as exc:
        raise engine.EngineError(f"The engine's image export could not be read: {exc}") from exc
    try:
        manifest = json.loads(small["manifest.json"])[0]
    except (KeyError, ValueError, IndexError) as exc:
        raise engine.EngineError("The engine's image export has no readable manifest.json.") from exc
    config: dict = {}
    raw_config = small.get(manifest.get("Config", ""))
    if raw_config:
        try:
            config = json.loads(raw_config)
        except ValueError:
            config = {}
    paths = list(manifest.get("Layers") or ())
    missing = [path for path in paths if path not in parsed]
    if missing:
        raise engine.EngineError(f"The engine's image export lacks the layer(s) {', '.join(missing)}.")
    history = [entry for entry in config.get("history") or () if not entry.get("empty_layer")]
    created_by = [_clean_created_by(str(entry.get("created_by", ""))) for entry in history]
    if len(created_by) != len(paths):
        created_by = [""] * len(paths)
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or ())
    facts = analyse([parsed[path] for path in paths], created_by, diff_ids)
    facts.seconds = time.monotonic() - started
    return facts


_BY_IMAGE: dict[str, LayerFacts] = {}


def scan_layers(image_id: str, *, deadline_s: float = 600) -> LayerFacts:
    """Read image ``image_id``'s layers once (``docker save``) and measure sizes and hidden files.

    Kept in memory by image id for the process, and each layer's size on disk by digest (see
    :func:`image_size`). Raises :class:`checker.engine.EngineError` when the export fails.
    """
    if image_id in _BY_IMAGE:
        return _BY_IMAGE[image_id]
    with engine.saved_image(image_id) as stream:
        facts = read_saved(stream, deadline_s=deadline_s)
    _remember_sizes({layer.diff_id: layer.size_bytes for layer in facts.layers if layer.diff_id})
    if len(_BY_IMAGE) > 16:
        _BY_IMAGE.pop(next(iter(_BY_IMAGE)))
    _BY_IMAGE[image_id] = facts
    return facts


def image_size(image: engine.ImageInfo) -> int:
    """``image``'s size as :data:`MEASURE` says (bytes), from the layer-size cache when every layer is known.

    Exports the image once otherwise. Raises :class:`checker.engine.EngineError` when that fails.
    """
    known = _known_sizes()
    if image.diff_ids and all(diff_id in known for diff_id in image.diff_ids):
        return sum(int(known[diff_id]) for diff_id in image.diff_ids)
    return scan_layers(image.id).size_bytes


def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lean-python-images" / "layer-sizes.json"


def _known_sizes() -> dict[str, int]:
    try:
        known = json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _remember_sizes(sizes: dict[str, int]) -> None:
    known = _known_sizes()
    if all(known.get(key) == value for key, value in sizes.items()):
        return
    known.update(sizes)
    try:
        write_atomic(_cache_file(), json.dumps(known, indent=0, sort_keys=True))
    except OSError:
        pass
