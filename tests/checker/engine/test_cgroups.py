"""The BuildKit limits cgroup, written into a fake cgroup tree (v1 and v2); the real one is proven in test_buildkit_engine."""

from __future__ import annotations

import pytest

from checker.engine import cgroups


@pytest.fixture(autouse=True)
def local_engine(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/lean-python-images/modern-containerd.sock")


def test_on_cgroup_v1_the_memory_and_pids_hierarchies_get_the_limits_under_a_stable_name(tmp_path):
    (tmp_path / "memory").mkdir()
    (tmp_path / "pids").mkdir()
    made = cgroups.create(128 * 1024 * 1024, 40, root=tmp_path)
    assert made.parent == f"/{cgroups.GROUP}/m134217728-p40"
    assert (tmp_path / "memory" / cgroups.GROUP / "m134217728-p40" / "memory.limit_in_bytes").read_text() == "134217728"
    assert (tmp_path / "pids" / cgroups.GROUP / "m134217728-p40" / "pids.max").read_text() == "40"
    assert cgroups.create(128 * 1024 * 1024, 40, root=tmp_path).parent == made.parent  # the same limits, the same parent


def test_on_cgroup_v2_the_controllers_are_enabled_and_the_limits_written(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("cpu\n")
    for ancestor in ("lean-python-images", cgroups.GROUP):
        (tmp_path / ancestor).mkdir(parents=True, exist_ok=True)
        (tmp_path / ancestor / "cgroup.subtree_control").write_text("memory pids\n")
    made = cgroups.create(256, 8, root=tmp_path)
    folder = tmp_path / made.parent.lstrip("/")
    assert (folder / "memory.max").read_text() == "256" and (folder / "pids.max").read_text() == "8"
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+memory +pids"


def test_a_remote_engine_or_an_unwritable_tree_is_one_sentence_and_nothing_is_made(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.1:2376")
    with pytest.raises(cgroups.CgroupUnavailable, match="not on this machine"):
        cgroups.create(1, 1, root=tmp_path)
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
    (tmp_path / "memory").write_text("not a folder")
    with pytest.raises(cgroups.CgroupUnavailable, match="could not be made"):
        cgroups.create(1, 1, root=tmp_path)


def test_remove_all_removes_the_empty_limit_folders(tmp_path):
    (tmp_path / "memory").mkdir()
    (tmp_path / "pids").mkdir()
    cgroups.create(64, 4, root=tmp_path)
    for file in (tmp_path).rglob("*.max"):
        file.unlink()  # a real cgroup folder's files go with it; a fake one must be emptied first
    for file in (tmp_path).rglob("memory.limit_in_bytes"):
        file.unlink()
    assert cgroups.remove_all(root=tmp_path) == 1
    assert not (tmp_path / "memory" / cgroups.GROUP / "m64-p4").exists()
