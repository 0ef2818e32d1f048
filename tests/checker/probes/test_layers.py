"""The layers probe on synthetic ``docker save`` streams (pure: no engine).

Both layouts the engines write (the classic store's ``<id>/layer.tar``, the containerd store's OCI
blobs, gzip-compressed or not) must give the same sizes and the same hidden files.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile

import pytest

from checker.engine import EngineError
from checker.probes import layers as probe


def _tar(entries: list[tuple[str, object]]) -> bytes:
    """A tar of ``(name, content)``: bytes = file, ``"dir"`` = folder, ``("link", target)`` = symlink."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            if content == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif isinstance(content, tuple):
                info.type = tarfile.SYMTYPE
                info.linkname = content[1]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _saved(layer_tars: list[bytes], created_by: list[str], *, oci: bool, gzipped: bool = False) -> io.BytesIO:
    """A ``docker save`` stream of those layers, in either layout."""
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layer_tars]
    config = json.dumps({"rootfs": {"type": "layers", "diff_ids": diff_ids},
                         "history": [{"created_by": "/bin/sh -c #(nop)  ENV A=1", "empty_layer": True}]
                         + [{"created_by": text} for text in created_by]}).encode()
    files: list[tuple[str, bytes]] = []
    paths = []
    for index, layer in enumerate(layer_tars):
        blob = gzip.compress(layer) if gzipped else layer
        path = f"blobs/sha256/{hashlib.sha256(blob).hexdigest()}" if oci else f"{index:064x}/layer.tar"
        paths.append(path)
        files.append((path, blob))
    config_path = f"blobs/sha256/{hashlib.sha256(config).hexdigest()}" if oci else "abc.json"
    files.append((config_path, config))
    files.sort()  # the containerd store writes blobs in digest order, before the manifest
    files.append(("manifest.json", json.dumps([{"Config": config_path, "Layers": paths}]).encode()))
    return io.BytesIO(_tar(files))


BASE = _tar([("etc", "dir"), ("etc/os-release", b"x" * 100), ("var/cache", "dir"), ("var/cache/a.bin", b"a" * 1000),
             ("var/cache/b.bin", b"b" * 2000), ("usr/bin/python", ("link", "python3.13"))])
ADD_BIG = _tar([("opt", "dir"), ("opt/big.bin", b"B" * 50_000), ("opt/kept.bin", b"k" * 7000)])
REMOVE_BIG = _tar([("opt", "dir"), ("opt/.wh.big.bin", b"")])
OVERWRITE_AND_OPAQUE = _tar([("etc/os-release", b"y" * 120), ("var/cache", "dir"), ("var/cache/.wh..wh..opq", b""),
                             ("var/cache/new.bin", b"n" * 10)])
LAYERS = [BASE, ADD_BIG, REMOVE_BIG, OVERWRITE_AND_OPAQUE]
STEPS = ["ADD file:base in /", "RUN make big", "RUN rm /opt/big.bin", "RUN refresh"]


@pytest.mark.parametrize("oci,gzipped", [(False, False), (True, False), (True, True)],
                         ids=["classic-store", "containerd-store", "containerd-store-gzip"])
def test_when_a_later_layer_deletes_a_file_then_its_bytes_are_wasted_and_named_with_both_layers(oci, gzipped):
    facts = probe.read_saved(_saved(LAYERS, STEPS, oci=oci, gzipped=gzipped))

    assert [layer.size_bytes for layer in facts.layers] == [100 + 1000 + 2000 + len("python3.13"), 57_000, 0, 130]
    assert [layer.created_by for layer in facts.layers] == STEPS
    assert facts.size_bytes == sum(layer.size_bytes for layer in facts.layers)
    hidden = {(w.path, w.size_bytes, w.added_by, w.removed_by) for w in facts.wasted_files}
    assert hidden == {("/opt/big.bin", 50_000, 1, 2), ("/etc/os-release", 100, 0, 3),
                      ("/var/cache/a.bin", 1000, 0, 3), ("/var/cache/b.bin", 2000, 0, 3)}
    assert facts.wasted_files[0].path == "/opt/big.bin", "largest first"
    assert facts.hidden_bytes == sum(w.size_bytes for w in facts.wasted_files) == 53_100
    assert facts.final_bytes == 120 + 10 + 7000 + len("python3.13")


def test_the_base_images_own_hidden_files_are_left_out_of_what_the_learner_is_judged_on():
    facts = probe.read_saved(_saved(LAYERS, STEPS, oci=True))

    # the first three layers are the base image's: it added and removed /opt/big.bin itself
    assert [w.path for w in facts.wasted_after(3)] == ["/var/cache/b.bin", "/var/cache/a.bin", "/etc/os-release"]
    assert [w.path for w in facts.wasted_after(1)][0] == "/opt/big.bin"


def test_efficiency_is_bytes_kept_over_bytes_written_by_the_layers_after_the_base():
    facts = probe.read_saved(_saved(LAYERS, STEPS, oci=False))

    assert facts.efficiency(1) == pytest.approx((7000 + 130) / (57_000 + 0 + 130))
    assert facts.efficiency(4) == 1.0, "no layer of the learner's: nothing wasted"


def test_a_folder_replaced_by_a_file_hides_everything_under_it():
    layers = [_tar([("data", "dir"), ("data/a", b"a" * 10), ("data/sub/b", b"b" * 20)]), _tar([("data", b"now a file")])]
    facts = probe.read_saved(_saved(layers, ["ADD a", "ADD b"], oci=True))

    assert sorted((w.path, w.size_bytes) for w in facts.wasted_files) == [("/data/a", 10), ("/data/sub/b", 20)]
    assert facts.final_bytes == len(b"now a file")


def test_a_whited_out_folder_hides_every_file_under_it_and_a_new_file_of_the_same_layer_survives_an_opaque_marker():
    layers = [_tar([("app/x/1", b"1" * 5), ("app/x/2", b"2" * 6), ("app/y", b"3" * 7)]),
              _tar([("app/.wh.x", b""), ("app/y", b"4" * 8)]),
              _tar([("app/z", b"z"), ("app/.wh..wh..opq", b"")])]
    facts = probe.read_saved(_saved(layers, ["a", "b", "c"], oci=False))

    assert {(w.path, w.removed_by) for w in facts.wasted_files} == {("/app/x/1", 1), ("/app/x/2", 1), ("/app/y", 1),
                                                                    ("/app/y", 2)}
    assert facts.final_bytes == 1, "the opaque marker hides the lower layers only, not /app/z beside it"


def test_an_export_without_its_manifest_or_a_layer_is_an_engine_error_not_a_crash():
    with pytest.raises(EngineError, match="manifest"):
        probe.read_saved(io.BytesIO(_tar([("blobs/sha256/aa", BASE)])))
    broken = io.BytesIO(_tar([("manifest.json", json.dumps([{"Config": "c.json", "Layers": ["x/layer.tar"]}]).encode())]))
    with pytest.raises(EngineError, match="lacks the layer"):
        probe.read_saved(broken)


# ----------------------------------------------------------------------------------------------
# what a scan keeps: facts by the layers' digests, entries by blob digest (no engine: the export is faked)


@pytest.fixture
def exports(tmp_path, monkeypatch):
    """Point the cache at ``tmp_path``, forget the process's copies, and fake ``docker save``.

    ``exports.streams`` maps an image id to the bytes its export gives; ``exports.calls`` counts exports.
    """
    import contextlib

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(probe, "_BY_IMAGE", {})
    monkeypatch.setattr(probe, "_BY_CHAIN", {})

    class Exports:
        streams: dict[str, bytes] = {}
        calls: list[str] = []

    @contextlib.contextmanager
    def saved_image(image_id):
        Exports.calls.append(image_id)
        yield io.BytesIO(Exports.streams[image_id])

    monkeypatch.setattr(probe.engine, "saved_image", saved_image)
    Exports.streams, Exports.calls = {}, []
    return Exports


def _diff_ids(layer_tars):
    return tuple("sha256:" + hashlib.sha256(layer).hexdigest() for layer in layer_tars)


def test_when_an_image_with_the_same_layers_was_measured_before_then_it_is_not_exported_again(exports, monkeypatch):
    exports.streams["sha256:first"] = _saved(LAYERS, STEPS, oci=False).getvalue()
    first = probe.scan_layers("sha256:first", diff_ids=_diff_ids(LAYERS), budget_bytes=10**7)
    monkeypatch.setattr(probe, "_BY_IMAGE", {})
    monkeypatch.setattr(probe, "_BY_CHAIN", {})  # a new process: only the disk copy is left

    again = probe.scan_layers("sha256:regraded", diff_ids=_diff_ids(LAYERS), budget_bytes=10**7)

    assert exports.calls == ["sha256:first"], "the rebuilt image (new id, same layers) was exported again"
    assert again.from_cache and not first.from_cache
    assert (again.layers, again.wasted_files, again.final_bytes, again.kept_by_layer) == \
        (first.layers, first.wasted_files, first.final_bytes, first.kept_by_layer)


def test_when_the_export_names_blobs_by_digest_then_a_layer_read_before_is_not_parsed_again(exports, monkeypatch):
    monkeypatch.setattr(probe, "_KEEP_ENTRIES_ABOVE", 0)
    parsed = []
    real_entries = probe.layer_entries
    monkeypatch.setattr(probe, "layer_entries", lambda layer: parsed.append(1) or real_entries(layer))
    exports.streams["sha256:base"] = _saved(LAYERS[:2], STEPS[:2], oci=True).getvalue()
    exports.streams["sha256:child"] = _saved(LAYERS, STEPS, oci=True).getvalue()
    probe.scan_layers("sha256:base", diff_ids=_diff_ids(LAYERS[:2]), budget_bytes=10**7)
    parsed.clear()

    child = probe.scan_layers("sha256:child", diff_ids=_diff_ids(LAYERS), budget_bytes=10**7)

    assert len(parsed) == 2, "only the two layers the base image lacks are parsed"
    assert child.wasted_files == probe.read_saved(_saved(LAYERS, STEPS, oci=True)).wasted_files


def test_the_layers_cache_stays_within_its_budget_least_recently_used_first(exports, tmp_path):
    for number in range(6):
        layers = [_tar([(f"file-{number}", b"x" * (number + 1))])]
        exports.streams[f"sha256:{number}"] = _saved(layers, ["RUN x"], oci=False).getvalue()
        probe.scan_layers(f"sha256:{number}", diff_ids=_diff_ids(layers), budget_bytes=600)
    kept = list((tmp_path / "lean-python-images" / "layers" / "chains").iterdir())
    assert 0 < len(kept) < 6 and sum(path.stat().st_size for path in kept) <= 600
    assert probe.chain_key(_diff_ids([_tar([("file-5", b"x" * 6)])])) + ".json" in {path.name for path in kept}, \
        "the newest is kept"


def test_a_cancelled_scan_raises_and_keeps_nothing(exports, tmp_path):
    import threading

    exports.streams["sha256:img"] = _saved(LAYERS, STEPS, oci=False).getvalue()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(probe.ScanCancelled):
        probe.scan_layers("sha256:img", diff_ids=_diff_ids(LAYERS), cancel=cancel, budget_bytes=10**7)
    assert not (tmp_path / "lean-python-images" / "layers").exists()
