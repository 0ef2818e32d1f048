"""Unpacking the staged tar into the folder buildx sends (pure: no engine)."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from checker.engine import EngineError
from checker.engine.buildkit import buildx_command, unpack_context


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    buffer.seek(0)
    return buffer


def _file(name: str, data: bytes, mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    return info, data


def _link(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


def test_the_staged_files_land_in_the_folder_with_their_modes_and_links(tmp_path):
    context = _tar(_file("Dockerfile", b"FROM scratch\n"), _file("bin/run.sh", b"#!/bin/sh\n", 0o755),
                   _link("bin/start", "run.sh"))
    unpack_context(context, str(tmp_path))
    assert (tmp_path / "Dockerfile").read_bytes() == b"FROM scratch\n"
    assert (tmp_path / "bin/run.sh").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "bin/start").readlink().as_posix() == "run.sh"
    assert context.tell() == 0, "the tar is left at its start for whoever reads it next"


@pytest.mark.parametrize("member", [_file("../escape.txt", b"x"), _file("/etc/escape.txt", b"x"),
                                    _file("a/../../escape.txt", b"x")], ids=["dot-dot", "absolute", "inner-dot-dot"])
def test_a_member_named_outside_the_folder_is_refused_and_nothing_is_written(tmp_path, member):
    folder = tmp_path / "context"
    folder.mkdir()
    with pytest.raises(EngineError, match="outside the context"):
        unpack_context(_tar(_file("app.py", b"print()\n"), member), str(folder))
    assert list(folder.iterdir()) == [], "checked before anything is written"
    assert not (tmp_path / "escape.txt").exists()


def test_links_are_kept_wherever_they_point_and_nothing_is_written_through_one(tmp_path):
    """A venv's bin/python points at /usr/local/bin: sent as a link, as `docker build` sends it."""
    folder, outside = tmp_path / "context", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    unpack_context(_tar(_link(".venv/bin/python", "/usr/local/bin/python3"), _link("up", "../outside")), str(folder))
    assert os.readlink(folder / ".venv/bin/python") == "/usr/local/bin/python3"
    # The link comes first in the tar, then a file "through" it: links are made last, so the file
    # lands in a real folder "d" (and the link cannot replace that folder).
    second = tmp_path / "second"
    second.mkdir()
    try:
        unpack_context(_tar(_link("d", str(outside)), _file("d/evil.txt", b"x")), str(second))
    except EngineError:
        pass
    assert list(outside.iterdir()) == [], "nothing was written outside through the link"
    assert not (second / "d").is_symlink()


def test_buildx_is_given_the_folder_and_the_dockerfile_in_it():
    command = buildx_command("/p/docker-buildx", dockerfile="/tmp/x/context/Dockerfile", tag="t", build_args={},
                             labels={}, target=None, nocache=False, network="host", cgroup_parent=None,
                             context="/tmp/x/context")
    assert command[-1] == "/tmp/x/context" and command[command.index("-f") + 1] == "/tmp/x/context/Dockerfile"
