"""Staging a submission: Docker's .dockerignore rules, and what an untrusted context may not do (pure)."""

from __future__ import annotations

import io
import os
import tarfile
from dataclasses import replace

import pytest

from checker import staging
from checker import settings as course_settings
from checker.dockerignore import DockerIgnore


def names(staged) -> set[str]:
    with tarfile.open(fileobj=staged.tar(), mode="r") as tar:
        return {member.name for member in tar.getmembers()}


def make(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize("patterns, path, excluded", [
    ("*.pyc", "a.pyc", True),
    ("*.pyc", "pkg/a.pyc", False),             # * does not cross /: only the root, as in Docker
    ("**/*.pyc", "pkg/deep/a.pyc", True),
    ("__pycache__", "pkg/__pycache__/x.pyc", False),
    ("**/__pycache__", "pkg/__pycache__/x.pyc", True),
    (".git", ".git/HEAD", True),               # a matching parent folder excludes what is inside
    ("/docs", "docs/index.md", True),          # a leading / is ignored
    ("docs\n!docs/keep.md", "docs/keep.md", False),
    ("docs\n!docs/keep.md", "docs/drop.md", True),
    ("*.md\n!README.md\nREADME.md", "README.md", True),  # the last match wins
    ("# comment\n\n  data/  ", "data/x.csv", True),
    ("a?c", "abc", True),
    ("a?c", "a/c", False),
    ("[a-c]x", "bx", True),
    ("./build/../dist", "dist/app", True),     # patterns are cleaned like paths
])
def test_dockerignore_follows_dockers_pattern_rules(patterns, path, excluded):
    assert DockerIgnore.parse(patterns).excludes(path) is excluded


def test_when_staging_then_dockerignore_applies_and_dockerfile_and_ignore_file_are_always_sent(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n", ".dockerignore": "Dockerfile\n.dockerignore\n*.log\n.venv\n",
                    "app.py": "print(1)\n", "debug.log": "x", ".venv/bin/python": "", "pkg/mod.py": ""})
    staged = staging.stage(tmp_path / "Dockerfile", tmp_path)
    assert names(staged) == {"Dockerfile", ".dockerignore", "app.py", "pkg", "pkg/mod.py"}
    assert staged.dockerfile_name == "Dockerfile"
    assert staged.excluded_count == 2


def test_when_the_dockerfile_lives_outside_the_context_then_it_is_sent_under_a_name_copy_skips(tmp_path):
    context = tmp_path / "ctx"
    make(context, {"app.py": ""})
    make(tmp_path, {"elsewhere.Dockerfile": "FROM scratch\nCOPY . .\n"})
    staged = staging.stage(tmp_path / "elsewhere.Dockerfile", context)
    assert staged.dockerfile_name == staging.OUTSIDE_DOCKERFILE_NAME
    with tarfile.open(fileobj=staged.tar(), mode="r") as tar:
        ignore = tar.extractfile(".dockerignore").read().decode()
        assert tar.extractfile(staging.OUTSIDE_DOCKERFILE_NAME).read() == b"FROM scratch\nCOPY . .\n"
    assert staging.OUTSIDE_DOCKERFILE_NAME in ignore.splitlines()


@pytest.mark.parametrize("outside", [False, True])
def test_a_staged_context_sends_another_dockerfile_text_and_leaves_the_rest_and_the_folder_alone(tmp_path, outside):
    context = tmp_path / "ctx"
    make(context, {"app.py": "print(1)\n"})
    where = tmp_path if outside else context
    make(where, {"Dockerfile": "# syntax=docker/dockerfile:1\nFROM scratch\n"})
    staged = staging.stage(where / "Dockerfile", context)
    edited = staged.with_dockerfile("# set aside\nFROM scratch\n")
    with tarfile.open(fileobj=edited.tar(), mode="r") as tar:
        assert tar.extractfile(edited.dockerfile_name).read() == b"# set aside\nFROM scratch\n"
        assert tar.extractfile("app.py").read() == b"print(1)\n"
    assert edited.dockerfile_text == "# set aside\nFROM scratch\n" and edited.names == staged.names
    assert edited.total_bytes == staged.total_bytes - len("# syntax=docker/dockerfile:1\n") + len("# set aside\n")
    assert (where / "Dockerfile").read_text().startswith("# syntax="), "the learner's file is untouched"
    with tarfile.open(fileobj=staged.tar(), mode="r") as tar:
        assert tar.extractfile(staged.dockerfile_name).read().startswith(b"# syntax="), "the original context too"


def test_when_a_symlink_leaves_the_context_then_staging_refuses_it(tmp_path):
    context = tmp_path / "ctx"
    make(context, {"Dockerfile": "FROM scratch\n"})
    (tmp_path / "secret").write_text("host secret")
    os.symlink("../secret", context / "innocent.txt")
    with pytest.raises(staging.ContextRefused, match="outside the build context"):
        staging.stage(context / "Dockerfile", context)


def test_when_a_symlink_is_absolute_then_staging_refuses_it(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n"})
    os.symlink("/etc/passwd", tmp_path / "passwd")
    with pytest.raises(staging.ContextRefused, match="outside the build context"):
        staging.stage(tmp_path / "Dockerfile", tmp_path)


def test_a_symlink_inside_the_context_is_sent_as_a_link(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n", "real/config.py": "X = 1\n"})
    os.symlink("real/config.py", tmp_path / "config.py")
    staged = staging.stage(tmp_path / "Dockerfile", tmp_path)
    with tarfile.open(fileobj=staged.tar(), mode="r") as tar:
        member = tar.getmember("config.py")
        assert member.issym() and member.linkname == "real/config.py"


def test_an_ignored_escaping_symlink_is_never_looked_at(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n", ".dockerignore": "link\n"})
    os.symlink("/etc/passwd", tmp_path / "link")
    assert "link" not in names(staging.stage(tmp_path / "Dockerfile", tmp_path))


def test_when_the_context_is_too_big_then_it_is_refused_before_anything_is_sent(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n", "big.bin": "x" * 5000})
    small = replace(course_settings.load(), context_limit_bytes=4096)
    with pytest.raises(staging.ContextRefused, match="over"):
        staging.stage(tmp_path / "Dockerfile", tmp_path, settings=small)


def test_when_the_context_has_too_many_files_then_it_is_refused(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n", **{f"f{i}.txt": "" for i in range(30)}})
    few = replace(course_settings.load(), context_file_limit=10)
    with pytest.raises(staging.ContextRefused, match="more than 10 files"):
        staging.stage(tmp_path / "Dockerfile", tmp_path, settings=few)


def test_a_fifo_in_the_context_is_refused(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n"})
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(staging.ContextRefused, match="special file"):
        staging.stage(tmp_path / "Dockerfile", tmp_path)


def test_a_missing_dockerfile_or_context_is_missing_input(tmp_path):
    with pytest.raises(staging.MissingInput):
        staging.stage(tmp_path / "nope", tmp_path)
    with pytest.raises(staging.MissingInput):
        staging.stage(tmp_path / "Dockerfile", tmp_path / "no-such-dir", dockerfile_text="FROM scratch\n")


def test_the_tar_sends_no_owner_and_an_override_changes_only_that_file(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n", "main.py": "print(1)\n", "other.py": "x = 1\n"})
    staged = staging.stage(tmp_path / "Dockerfile", tmp_path)
    with tarfile.open(fileobj=staged.tar(overrides={"main.py": b"print(2)\n"}), mode="r") as tar:
        assert {(m.uid, m.gid, m.uname, m.gname) for m in tar.getmembers()} == {(0, 0, "", "")}
        assert tar.extractfile("main.py").read() == b"print(2)\n"
        assert tar.extractfile("other.py").read() == b"x = 1\n"
    assert (tmp_path / "main.py").read_text() == "print(1)\n"
    assert staged.digest() == staging.stage(tmp_path / "Dockerfile", tmp_path).digest()


def test_staging_reads_the_dockerfile_and_dockerignore_once_and_keeps_them(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n", ".dockerignore": "*.log\n", "a.log": ""})
    staged = staging.stage(tmp_path / "Dockerfile", tmp_path)
    assert staged.dockerfile_text == "FROM scratch\n"
    assert staged.dockerignore.excludes("a.log") and staged.dockerignore_text == "*.log\n"


def test_when_an_excluded_folder_has_no_reinclude_starting_with_it_then_nothing_below_is_sent(tmp_path):
    # moby/go-archive TarWithOptions: an excluded folder is walked only for a "!" pattern that
    # starts with its path, so "!**/keep.md" does not bring docs/keep.md back, "!docs/keep.md" does.
    make(tmp_path, {"Dockerfile": "FROM scratch\n", ".dockerignore": "docs\n!**/keep.md\nnotes\n!notes/keep.md\n",
                    "docs/keep.md": "", "notes/keep.md": "", "notes/drop.md": "", "keep.md": ""})
    sent = names(staging.stage(tmp_path / "Dockerfile", tmp_path))
    assert {"keep.md", "notes/keep.md"} <= sent
    assert not {"docs", "docs/keep.md", "notes", "notes/drop.md"} & sent


def test_when_the_dockerfile_sits_in_an_excluded_folder_then_it_is_still_sent(tmp_path):
    make(tmp_path, {"build/Dockerfile": "FROM scratch\n", "build/other.txt": "", ".dockerignore": "build\n"})
    sent = names(staging.stage(tmp_path / "build" / "Dockerfile", tmp_path))
    assert "build/Dockerfile" in sent and "build/other.txt" not in sent


def test_a_refused_dockerignore_refuses_the_context(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n"})
    (tmp_path / ".dockerignore").write_bytes(b"#" * (2 * 1024 * 1024))
    with pytest.raises(staging.ContextRefused, match="dockerignore"):
        staging.stage(tmp_path / "Dockerfile", tmp_path)


def test_tar_folder_sends_a_plain_folder_as_it_is_with_extra_files(tmp_path):
    make(tmp_path, {".dockerignore": "*.log\n", "a.log": "x", "pkg/mod.py": "", "Dockerfile": "old\n"})
    os.symlink("pkg/mod.py", tmp_path / "link.py")
    with tarfile.open(fileobj=staging.tar_folder(tmp_path, extra_files={"Dockerfile": b"FROM scratch\n"}), mode="r") as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert set(members) == {".dockerignore", "a.log", "pkg", "pkg/mod.py", "link.py", "Dockerfile"}
        assert members["pkg"].isdir() and members["link.py"].issym()
        assert tar.extractfile("Dockerfile").read() == b"FROM scratch\n"
        assert {(m.uid, m.gid, m.uname) for m in members.values()} == {(0, 0, "")}


def test_staging_and_tar_folder_write_the_same_bytes_for_the_same_files(tmp_path):
    make(tmp_path, {"Dockerfile": "FROM scratch\n", "app.py": "print(1)\n"})
    staged = staging.stage(tmp_path / "Dockerfile", tmp_path)
    plain = staging.tar_folder(tmp_path, extra_files={"Dockerfile": b"FROM scratch\n"})
    assert staged.tar().read() == plain.read()
