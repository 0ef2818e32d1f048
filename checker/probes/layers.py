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

What is measured is kept, content-addressed: the facts of a stack of layers by the digest of
their ``diff_id``s (a rebuilt image with a new id but the same layers -- every graded build, whose
run label changes the image id -- is not exported again), each layer's size by its ``diff_id``
(the rubric's reference and baseline are sized without exporting), and, where the export names
layers by digest (OCI layout), each layer's entries, so a layer shared with an earlier image is
not parsed again. The disk cache stays within a share of the course's cache budget.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import posixpath
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from checker import engine
from checker.files import evict_least_recent, write_atomic, write_bytes_atomic

#: What ``image.measure`` says in the report.
MEASURE = "uncompressed layers: the sum of the file sizes in each layer tar the engine exports (docker save)"
#: Blobs up to this size are read whole (JSON documents are told from layer tars by their first byte).
_IN_MEMORY = 4 * 1024 * 1024
#: Layer blobs over this size have their entries kept by digest (smaller ones parse faster than they load).
_KEEP_ENTRIES_ABOVE = 4 * 1024 * 1024
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
    """Seconds the measure took (the export and its reading, or the cache look-up)."""
    measure: str = MEASURE
    from_cache: bool = False
    """True when the facts were reused from an earlier scan of the same layers (no export)."""

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




# ----------------------------------------------------------------------------------------------
# reading ``docker save``


class ScanCancelled(engine.EngineError):
    """The scan was cancelled (``cancel`` set) before it finished; its facts are not kept."""


_BLOB_PREFIX = "blobs/sha256/"


def _blob_digest(path: str) -> str | None:
    """``sha256:<hex>`` for an OCI layout's ``blobs/sha256/<hex>``, None for the classic ``<id>/layer.tar``."""
    if path.startswith(_BLOB_PREFIX) and "/" not in path[len(_BLOB_PREFIX):]:
        return "sha256:" + path[len(_BLOB_PREFIX):]
    return None


def read_saved(stream, *, deadline_s: float = 600) -> LayerFacts:
    """:class:`LayerFacts` from a ``docker save`` tar stream (either layout); raises EngineError on a bad stream or at the deadline."""
    return _read_saved(stream, deadline_s=deadline_s)[0]


def _read_saved(stream, *, deadline_s: float = 600, known=None, cancel: threading.Event | None = None,
                ) -> tuple[LayerFacts, dict[str, list[_Entry]]]:
    """``(facts, entries of the layers parsed here by blob digest)``.

    ``known(digest)`` returns a layer's entries kept from an earlier scan (or None): a blob the
    OCI layout names by a known digest is then skipped, not parsed. ``cancel`` stops the scan
    between tar members (:class:`ScanCancelled`).
    """
    started = time.monotonic()
    parsed: dict[str, list[_Entry]] = {}
    fresh: dict[str, list[_Entry]] = {}
    small: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=stream, mode="r|") as outer:
            for member in outer:
                if cancel is not None and cancel.is_set():
                    raise ScanCancelled("The layers scan was cancelled.")
                if time.monotonic() - started > deadline_s:
                    raise engine.EngineError(f"Reading the image's layers took over {deadline_s:.0f} s.")
                if not member.isreg():
                    continue
                digest = _blob_digest(member.name)
                reused = known(digest) if (known is not None and digest and member.size > _KEEP_ENTRIES_ABOVE) else None
                if reused is not None:
                    parsed[member.name] = reused  # the same digest is the same layer: its entries are known
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
                if digest and member.size > _KEEP_ENTRIES_ABOVE:
                    fresh[digest] = parsed[member.name]
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
    created_by = [engine.clean_created_by(str(entry.get("created_by", ""))) for entry in history]
    if len(created_by) != len(paths):
        created_by = [""] * len(paths)
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or ())
    facts = analyse([parsed[path] for path in paths], created_by, diff_ids)
    facts.seconds = time.monotonic() - started
    return facts, {digest: entries for digest, entries in fresh.items() if any(
        digest == _blob_digest(path) for path in paths)}


# ----------------------------------------------------------------------------------------------
# the scan, and what it keeps: facts by layer chain (memory and disk), entries by blob digest

_BY_IMAGE: dict[str, LayerFacts] = {}
_BY_CHAIN: dict[str, LayerFacts] = {}
_MEMORY_KEPT = 16
_LOCK = threading.Lock()


def chain_key(diff_ids: tuple[str, ...] | list[str]) -> str:
    """The cache key of a stack of layers: the sha256 of their ``diff_id``s in order (hex).

    ``diff_id``s are digests of the uncompressed layer tars, the same on every image store, so
    the same key means the same files in the same layers: what :func:`scan_layers` measures.
    """
    return hashlib.sha256("\n".join(diff_ids).encode()).hexdigest()


def scan_layers(image_id: str, *, diff_ids: tuple[str, ...] = (), deadline_s: float = 600,
                cancel: threading.Event | None = None,
                on_open: Callable[[Callable[[], None]], None] | None = None,
                budget_bytes: int | None = None) -> LayerFacts:
    """Image ``image_id``'s sizes and hidden files, measured from its layers (``docker save``).

    ``diff_ids`` (the image's ``RootFS.Layers``, as :class:`checker.engine.ImageInfo` has them)
    lets facts measured before for the same stack of layers be reused without exporting: kept
    in memory and on disk (``~/.cache/lean-python-images/layers/``), within ``budget_bytes``
    (default: 1/32 of the course's cache budget, ``LPI_CACHE_BUDGET``), least recently used
    evicted first. A reused result has ``from_cache`` set; the instructions it names
    (``created_by``) are those of the image first measured with these layers. Where the export
    names layers by digest (the OCI layout of Docker >= 25), a layer already read for another
    image is not parsed again. ``cancel`` stops the scan (:class:`ScanCancelled`); ``on_open``
    receives, once the export started, a function that aborts it from another thread. Raises
    :class:`checker.engine.EngineError` when the export fails.
    """
    key = chain_key(diff_ids) if diff_ids else ""
    started = time.monotonic()
    with _LOCK:
        found = _BY_IMAGE.get(image_id) or (_BY_CHAIN.get(key) if key else None)
    if found is None and key:
        found = _load_facts(key)
    if found is not None:
        found = _copy(found, from_cache=True, seconds=time.monotonic() - started)
        _remember(image_id, key, found)
        return found
    with engine.saved_image(image_id) as stream:
        if on_open is not None:
            on_open(getattr(stream, "abort", lambda: None))
        if cancel is not None and cancel.is_set():
            raise ScanCancelled("The layers scan was cancelled.")
        try:
            facts, fresh = _read_saved(stream, deadline_s=deadline_s, known=_load_entries, cancel=cancel)
        except Exception as exc:
            if cancel is not None and cancel.is_set():  # a read the abort cut: not the engine's fault
                raise ScanCancelled("The layers scan was cancelled.") from exc
            raise
    measured_ids = tuple(layer.diff_id for layer in facts.layers)
    key = chain_key(measured_ids) if all(measured_ids) else key
    budget = budget_bytes if budget_bytes is not None else _default_budget()
    if key:
        _store(_facts_file(key), _facts_to_json(facts).encode(), budget)
    for digest, entries in fresh.items():
        _store(_entries_file(digest), gzip.compress(_entries_to_json(entries).encode(), compresslevel=3), budget)
    _remember_sizes({layer.diff_id: layer.size_bytes for layer in facts.layers if layer.diff_id})
    _remember(image_id, key, facts)
    return facts


def _remember(image_id: str, key: str, facts: LayerFacts) -> None:
    with _LOCK:
        for table, name in ((_BY_IMAGE, image_id), (_BY_CHAIN, key)):
            if not name:
                continue
            table.pop(name, None)
            table[name] = facts
            while len(table) > _MEMORY_KEPT:
                table.pop(next(iter(table)))


def _copy(facts: LayerFacts, *, from_cache: bool, seconds: float) -> LayerFacts:
    return LayerFacts(list(facts.layers), facts.final_bytes, list(facts.wasted_files), list(facts.kept_by_layer),
                      seconds, facts.measure, from_cache)


def image_size(image: engine.ImageInfo) -> int:
    """``image``'s size as :data:`MEASURE` says (bytes), from the layer-size cache when every layer is known.

    Exports the image once otherwise. Raises :class:`checker.engine.EngineError` when that fails.
    """
    known = _known_sizes()
    if image.diff_ids and all(diff_id in known for diff_id in image.diff_ids):
        return sum(int(known[diff_id]) for diff_id in image.diff_ids)
    return scan_layers(image.id, diff_ids=image.diff_ids).size_bytes


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lean-python-images"


def _cache_file() -> Path:
    return _cache_root() / "layer-sizes.json"


def _code_version() -> str:
    """A short digest of the code that measures and names layers: kept facts of older code are not read."""
    global _CODE_VERSION
    if not _CODE_VERSION:
        import inspect
        import sys

        sources = "".join(inspect.getsource(module) for module in (sys.modules[__name__], sys.modules[engine.clean_created_by.__module__]))
        _CODE_VERSION = hashlib.sha256(sources.encode()).hexdigest()[:16]
    return _CODE_VERSION


_CODE_VERSION = ""


def _facts_file(key: str) -> Path:
    return _cache_root() / "layers" / "chains" / _code_version() / f"{key}.json"


def _entries_file(digest: str) -> Path:
    return _cache_root() / "layers" / "entries" / _code_version() / f"{digest.split(':', 1)[-1]}.json.gz"


def _default_budget() -> int:
    from checker import settings as course_settings

    return max(1, course_settings.load().cache_budget_bytes // 32)


def _facts_to_json(facts: LayerFacts) -> str:
    return json.dumps({
        "layers": [[layer.diff_id, layer.size_bytes, layer.created_by] for layer in facts.layers],
        "final_bytes": facts.final_bytes,
        "wasted_files": [[w.path, w.size_bytes, w.added_by, w.removed_by] for w in facts.wasted_files],
        "kept_by_layer": facts.kept_by_layer, "measure": facts.measure,
    }, separators=(",", ":"))


def _facts_from_json(text: str) -> LayerFacts:
    data = json.loads(text)
    return LayerFacts(
        layers=[LayerFact(str(d), int(s), str(c)) for d, s, c in data["layers"]],
        final_bytes=int(data["final_bytes"]),
        wasted_files=[WastedFile(str(p), int(s), int(a), int(r)) for p, s, a, r in data["wasted_files"]],
        kept_by_layer=[int(k) for k in data["kept_by_layer"]],
        measure=str(data.get("measure") or MEASURE),
    )


def _entries_to_json(entries: list[_Entry]) -> str:
    return json.dumps([[entry.path, entry.kind, entry.size] for entry in entries], separators=(",", ":"))


def _load_facts(key: str) -> LayerFacts | None:
    path = _facts_file(key)
    try:
        facts = _facts_from_json(path.read_text())
        os.utime(path)  # recently used: evicted last
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return facts


def _load_entries(digest: str) -> list[_Entry] | None:
    path = _entries_file(digest)
    try:
        rows = json.loads(gzip.decompress(path.read_bytes()))
        os.utime(path)
    except (OSError, ValueError, EOFError):
        return None
    try:
        return [_Entry(str(p), str(k), int(n)) for p, k, n in rows]
    except (TypeError, ValueError):
        return None


def _store(path: Path, data: bytes, budget_bytes: int) -> None:
    """Write ``data`` to ``path`` atomically, then evict the least recently used files over ``budget_bytes``."""
    if len(data) > budget_bytes:
        return
    try:
        write_bytes_atomic(path, data)
    except OSError:
        return
    evict_over_budget(budget_bytes)


def evict_over_budget(budget_bytes: int) -> list[Path]:
    """Remove the least recently used files of the layers cache until it holds at most ``budget_bytes``.

    Returns the files removed. Never raises for a file another process removed first.
    """
    return evict_least_recent([_cache_root() / "layers" / "chains", _cache_root() / "layers" / "entries"], budget_bytes)


def _known_sizes() -> dict[str, int]:
    try:
        known = json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}


def _remember_sizes(sizes: dict[str, int]) -> None:
    with _LOCK:
        known = _known_sizes()
        if all(known.get(key) == value for key, value in sizes.items()):
            return
        known.update(sizes)
        try:
            write_atomic(_cache_file(), json.dumps(known, indent=0, sort_keys=True))
        except OSError:
            pass
