"""Engine facts are read from the engine's own answers (pure: ``/info``'s fields as the engines give them)."""

from __future__ import annotations

from checker.engine.client import image_store


def test_the_containerd_image_store_is_told_by_its_driver_type_not_by_the_driver_name():
    assert image_store("overlayfs", [["driver-type", "io.containerd.snapshotter.v1"]]) == ("containerd", "overlayfs")


def test_a_graph_driver_is_its_own_image_store():
    status = [["Backing Filesystem", "extfs"], ["Supports d_type", "true"], ["Native Overlay Diff", "true"]]
    assert image_store("overlay2", status) == ("overlay2", "")
    assert image_store("vfs", None) == ("vfs", "")
