"""Build contexts for the lessons: a temporary copy of the sample app, filtered like `docker build`.

`checker.engine.build` sends every file of the folder it is given. The `docker` CLI does not: it
reads `.dockerignore` and leaves the matching files out of the context before sending it (the engine
itself only drops the Dockerfile and `.dockerignore` when they are listed). So a lesson copies the
app into a temporary folder *after* applying `.dockerignore` the way the CLI does, and only then
builds. Without that, editing `README.md` would invalidate `COPY . .` and lesson 5 would teach the
wrong thing.

The `.dockerignore` is read and applied by `checker.dockerignore` (THE reader and matcher, the
same code that decides what a grade sends and what rules LPI013/LPI018 judge), and the context's
size is counted with staging's one tar writer, so a lesson shows what `docker build` does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from checker.dockerignore import DockerIgnore
from checker.settings import REPO_ROOT
from checker.staging import folder_entries, write_tar

SAMPLE_APP_DIR = REPO_ROOT / "sample_app"


def _ignore(root: Path, dockerignore: bool) -> DockerIgnore | None:
    """``root``'s .dockerignore (THE reader), or None when it is not to be applied."""
    return DockerIgnore.read(root) if dockerignore else None


def included_files(directory: str | Path, *, dockerignore: bool = True) -> list[str]:
    """The files (and symlinks) of ``directory`` a `docker build` would send, as sorted relative paths.

    With ``dockerignore=False`` every file is listed. Raises DockerIgnoreError for a
    ``.dockerignore`` Docker would fail on.
    """
    root = Path(directory)
    entries = folder_entries(root, _ignore(root, dockerignore))
    return sorted(entry.arcname for entry in entries if entry.kind != "dir")


@dataclass(frozen=True)
class ContextSize:
    """What a build of a folder sends to the engine."""

    files: int
    tar_bytes: int
    """Size of the uncompressed tar stream, as the engine receives it."""
    largest: tuple[tuple[str, int], ...] = field(default=())
    """The top-level entries that weigh most, with their byte counts."""


class _CountingSink:
    def __init__(self) -> None:
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return len(data)


def context_size(directory: str | Path, *, dockerignore: bool = True) -> ContextSize:
    """Measure the tar stream a build of ``directory`` would send (with or without .dockerignore).

    The tar is written by staging's writer (the one a grade sends) into a counter: nothing is kept.
    """
    root = Path(directory)
    entries = folder_entries(root, _ignore(root, dockerignore))
    sink = _CountingSink()
    sizes: dict[str, int] = {}
    write_tar(sink, entries, sizes=sizes)  # type: ignore[arg-type]
    per_top: dict[str, int] = {}
    for name, size in sizes.items():
        top = name.split("/")[0]
        per_top[top] = per_top.get(top, 0) + size
    largest = tuple(sorted(per_top.items(), key=lambda item: -item[1])[:6])
    return ContextSize(sum(entry.kind != "dir" for entry in entries), sink.count, largest)


def stage(
    destination: str | Path,
    *,
    source: str | Path = SAMPLE_APP_DIR,
    dockerignore: bool = True,
    edits: Mapping[str, str] | None = None,
) -> Path:
    """Copy ``source`` into ``destination`` as `docker build` would see it.

    ``edits`` appends text to files (relative paths) after copying: the lessons' "change one file".
    An edit to a file `.dockerignore` excludes changes nothing in the context, as with `docker build`.
    With ``dockerignore=False`` everything is copied and no .dockerignore goes along.
    """
    source, destination = Path(source), Path(destination)
    if not source.is_dir():
        raise FileNotFoundError(f"{source} does not exist: the lessons build the sample app from there")
    destination.mkdir(parents=True, exist_ok=True)
    ignore = _ignore(source, dockerignore)
    for entry in folder_entries(source, ignore):
        if entry.kind == "dir" or (not dockerignore and entry.arcname == ".dockerignore"):
            continue
        dst = destination / entry.arcname
        dst.parent.mkdir(parents=True, exist_ok=True)
        if entry.kind == "symlink":
            os.symlink(entry.linkname, dst)
        else:
            shutil.copy2(source / entry.arcname, dst)
    for rel, text in (edits or {}).items():
        if ignore is not None and ignore.excludes(rel):
            continue  # edited in the folder, but never sent: the build cannot see the change
        target = destination / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as handle:
            handle.write(text)
    return destination


@contextmanager
def temporary_context(**stage_options) -> Iterator[Path]:
    """A staged copy of the sample app in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="lpi-lesson-") as tmp:
        yield stage(Path(tmp) / "context", **stage_options)


def add_developer_clutter(folder: str | Path) -> list[str]:
    """Put into ``folder`` what a developer's working copy usually holds next to the code.

    A local virtualenv, bytecode caches, a git repository and a `.env` file with a (fake) database
    password: the things a `.dockerignore` exists to keep out. Returns the names added.
    """
    folder = Path(folder)
    subprocess.run([sys.executable, "-m", "venv", str(folder / ".venv")], check=True, capture_output=True, timeout=300)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder)], check=False, capture_output=True, timeout=300)
    (folder / ".env").write_text("DATABASE_URL=postgresql://notes:not-a-real-password@db:5432/notes\n")
    git = shutil.which("git")
    added = [".venv", "__pycache__", ".env"]
    if git:
        (folder / ".gitignore").write_text(".venv/\n.env\n__pycache__/\n")
        identity = ["-c", "user.name=Learner", "-c", "user.email=learner@example.invalid"]
        subprocess.run([git, "init", "-q", str(folder)], check=True, capture_output=True, timeout=60)
        subprocess.run([git, "-C", str(folder), "add", "-A"], check=True, capture_output=True, timeout=60)
        subprocess.run([git, "-C", str(folder), *identity, "commit", "-q", "-m", "work in progress"],
                       check=True, capture_output=True, timeout=60)
        added.append(".git")
    return added
