"""Build contexts for the lessons: a temporary copy of the sample app, filtered like `docker build`.

`checker.engine.build` sends every file of the folder it is given. The `docker` CLI does not: it
reads `.dockerignore` and leaves the matching files out of the context before sending it (the engine
itself only drops the Dockerfile and `.dockerignore` when they are listed). So a lesson copies the
app into a temporary folder *after* applying `.dockerignore` the way the CLI does, and only then
builds. Without that, editing `README.md` would invalidate `COPY . .` and lesson 5 would teach the
wrong thing.

Pattern rules implemented (those of Docker's `patternmatcher`): one pattern per line, `#` comments,
`!` re-includes, paths relative to the context root (a leading `/` is ignored), `*` and `?` never
cross a `/`, `**` matches any number of directories, a pattern matching a directory excludes
everything below it, and the last matching pattern wins. `*.pyc` matches only at the root, as in
Docker.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import REPO_ROOT

SAMPLE_APP_DIR = REPO_ROOT / "sample_app"


@dataclass(frozen=True)
class IgnorePattern:
    text: str
    regex: re.Pattern[str]
    negated: bool


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern[i + 1 : i + 2] == "*":
                i += 1
                if pattern[i + 1 : i + 2] == "/":
                    i += 1
                    out.append("(?:.*/)?")
                else:
                    out.append(".*")
            else:
                out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def parse_dockerignore(text: str) -> list[IgnorePattern]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:].strip()
        line = posixpath.normpath(line.replace("\\", "/")) if line else line
        if line.startswith("/") and len(line) > 1:
            line = line.lstrip("/")
        if not line or line == ".":
            continue
        patterns.append(IgnorePattern(line, _pattern_regex(line), negated))
    return patterns


def is_excluded(relpath: str, patterns: list[IgnorePattern]) -> bool:
    """Whether `docker build` would leave ``relpath`` (posix, relative to the context) out."""
    parents = []
    parts = relpath.split("/")
    for depth in range(1, len(parts)):
        parents.append("/".join(parts[:depth]))
    excluded = False
    for pattern in patterns:
        hit = bool(pattern.regex.match(relpath)) or any(pattern.regex.match(parent) for parent in parents)
        if hit:
            excluded = not pattern.negated
    return excluded


def included_files(directory: str | Path, *, dockerignore: bool = True) -> list[str]:
    """The files (and symlinks) of ``directory`` a `docker build` would send, as relative paths."""
    root = Path(directory)
    ignore_file = root / ".dockerignore"
    patterns = parse_dockerignore(ignore_file.read_text()) if dockerignore and ignore_file.is_file() else []
    kept = []
    for current, dirs, files in os.walk(root):
        rel_dir = Path(current).relative_to(root).as_posix()
        for name in sorted(files) + sorted(d for d in dirs if (Path(current) / d).is_symlink()):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            # The CLI always sends .dockerignore itself; the engine reads it and then drops it.
            if rel == ".dockerignore" and dockerignore:
                kept.append(rel)
            elif not is_excluded(rel, patterns):
                kept.append(rel)
        dirs[:] = sorted(d for d in dirs if not (Path(current) / d).is_symlink())
    return sorted(kept)


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
    """Measure the tar stream a build of ``directory`` would send (with or without .dockerignore)."""
    root = Path(directory)
    files = included_files(root, dockerignore=dockerignore)
    sink = _CountingSink()
    per_top: dict[str, int] = {}
    with tarfile.open(fileobj=sink, mode="w|") as tar:  # type: ignore[arg-type]
        for rel in files:
            before = sink.count
            tar.add(str(root / rel), arcname=rel, recursive=False)
            top = rel.split("/")[0]
            per_top[top] = per_top.get(top, 0) + (sink.count - before)
    largest = tuple(sorted(per_top.items(), key=lambda item: -item[1])[:6])
    return ContextSize(len(files), sink.count, largest)


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
    ignore_file = source / ".dockerignore"
    patterns = parse_dockerignore(ignore_file.read_text()) if dockerignore and ignore_file.is_file() else []
    for rel in included_files(source, dockerignore=dockerignore):
        if not dockerignore and rel == ".dockerignore":
            continue
        src, dst = source / rel, destination / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
    for rel, text in (edits or {}).items():
        if is_excluded(rel, patterns):
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
