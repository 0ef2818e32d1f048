"""Stage a submission's build context the way the ``docker`` CLI would send it, only safer.

The classic build API receives a tar: whoever makes the tar decides what the engine sees. The
CLI applies ``.dockerignore`` on the client side; so do we, with Docker's own pattern rules
(moby's ``patternmatcher``): ``#`` comments, ``!`` re-includes, a leading ``/`` ignored, ``*``
and ``?`` never cross ``/``, ``**`` spans directories, a pattern that matches a parent directory
matches everything below it, and the last matching pattern wins. As the CLI does, the Dockerfile
and ``.dockerignore`` are always sent; the engine drops them from ``COPY`` when the
``.dockerignore`` lists them.

Before anything is sent we refuse what an untrusted submission could use to reach outside its
folder or to swamp the engine: symbolic links that resolve outside the context, special files
(devices, fifos, sockets), and contexts over the size or file-count limits (counted while walking,
so a huge folder is not read to its end). File owners are not sent (everything belongs to root,
as with the CLI), so two learners' identical files hash identically and share cached layers.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from . import settings as course_settings

#: Name given in the tar to a Dockerfile that lives outside the context (as the CLI does for
#: ``-f`` pointing elsewhere); it is added to the sent ``.dockerignore`` so ``COPY . .`` skips it.
OUTSIDE_DOCKERFILE_NAME = ".lpi.Dockerfile"
DOCKERFILE_MAX_BYTES = 1024 * 1024


class MissingInput(Exception):
    """The Dockerfile or the context folder given to the checker does not exist or is unreadable."""


class ContextRefused(Exception):
    """The submission's build context cannot be sent: the message says why and what to change."""


# ----------------------------------------------------------------------------------------------
# .dockerignore


@dataclass(frozen=True)
class IgnorePattern:
    text: str
    exclusion: bool
    regex: re.Pattern[str]


def _compile(pattern: str) -> re.Pattern[str]:
    """moby/patternmatcher's translation of one cleaned pattern to an anchored regex."""
    out = ["^"]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern[i + 1 : i + 2] == "*":
                i += 1
                if pattern[i + 1 : i + 2] == "/":
                    i += 1
                out.append(".*" if i + 1 >= len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char in ".+()|{}$^":
            out.append("\\" + char)
        elif char == "\\":
            if i + 1 < len(pattern):
                i += 1
                out.append(re.escape(pattern[i]))
            else:
                out.append("\\\\")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append("\\[")
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return re.compile(re.escape(pattern) + "$")


def _clean(path: str) -> str:
    """Go's filepath.Clean for slash paths."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


class DockerIgnore:
    """The patterns of one ``.dockerignore`` and Docker's rules for applying them."""

    def __init__(self, patterns: list[IgnorePattern]) -> None:
        self.patterns = patterns
        self.has_exclusions = any(p.exclusion for p in patterns)

    @classmethod
    def parse(cls, text: str | None) -> DockerIgnore:
        patterns: list[IgnorePattern] = []
        for number, line in enumerate((text or "").splitlines()):
            if number == 0:
                line = line.lstrip("\ufeff")
            if line.startswith("#"):
                continue
            line = line.strip()
            if not line:
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            if not line:
                continue
            line = _clean(line)
            if len(line) > 1 and line.startswith("/"):
                line = line[1:]
            if line == ".":
                continue
            patterns.append(IgnorePattern(("!" if exclusion else "") + line, exclusion, _compile(line)))
        return cls(patterns)

    def excluded(self, path: str) -> bool:
        """True when ``path`` (relative, ``/``-separated) is left out of the context."""
        matched = False
        parent = str(PurePosixPath(path).parent)
        parents = parent.split("/") if parent != "." else []
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            match = bool(pattern.regex.match(path))
            if not match:
                for i in range(len(parents)):
                    if pattern.regex.match("/".join(parents[: i + 1])):
                        match = True
                        break
            if match:
                matched = not pattern.exclusion
        return matched


# ----------------------------------------------------------------------------------------------
# staging


@dataclass(frozen=True)
class Entry:
    """One member of the staged context."""

    arcname: str
    kind: str
    """``file``, ``dir`` or ``symlink``."""
    path: Path | None
    size: int = 0
    mode: int = 0o644
    mtime: int = 0
    linkname: str = ""
    data: bytes | None = None
    """Content given in memory instead of read from ``path`` (the Dockerfile, an edited file)."""


@dataclass
class StagedContext:
    """What the checker will send to the engine for one submission."""

    root: Path
    """The context folder as given."""
    dockerfile_name: str
    """The Dockerfile's path inside the sent tar."""
    dockerfile_text: str
    dockerignore_text: str | None
    """The learner's ``.dockerignore`` (None when there is none)."""
    entries: list[Entry] = field(default_factory=list)
    total_bytes: int = 0
    file_count: int = 0
    excluded_count: int = 0
    """Files and folders ``.dockerignore`` left out."""

    @property
    def names(self) -> set[str]:
        return {entry.arcname for entry in self.entries}

    def tar(self, overrides: dict[str, bytes] | None = None) -> BinaryIO:
        """The context as an uncompressed tar (spooled to disk past 32 MiB).

        ``overrides`` replaces the content of existing files (the cache probe appends a comment to
        one source file this way, leaving the learner's folder untouched).
        """
        overrides = dict(overrides or {})
        buffer = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for entry in self.entries:
                info = tarfile.TarInfo(entry.arcname)
                info.mode = entry.mode
                info.mtime = entry.mtime
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if entry.kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif entry.kind == "symlink":
                    info.type = tarfile.SYMTYPE
                    info.linkname = entry.linkname
                    tar.addfile(info)
                else:
                    data = overrides.pop(entry.arcname, None)
                    if data is None:
                        data = entry.data
                    if data is not None:
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
                    else:
                        assert entry.path is not None
                        with open(entry.path, "rb") as handle:
                            info.size = os.fstat(handle.fileno()).st_size
                            tar.addfile(info, handle)
        buffer.seek(0)
        return buffer

    def read(self, arcname: str) -> bytes | None:
        for entry in self.entries:
            if entry.arcname == arcname and entry.kind == "file":
                if entry.data is not None:
                    return entry.data
                return entry.path.read_bytes() if entry.path else None
        return None

    def digest(self) -> str:
        """A digest of everything sent (names, modes, link targets, contents): a cache key."""
        digest = hashlib.sha256()
        for entry in self.entries:
            digest.update(f"{entry.arcname}\0{entry.kind}\0{entry.mode:o}\0{entry.linkname}\0".encode())
            if entry.kind == "file":
                if entry.data is not None:
                    digest.update(entry.data)
                elif entry.path is not None:
                    with open(entry.path, "rb") as handle:
                        for block in iter(lambda: handle.read(1024 * 1024), b""):
                            digest.update(block)
        return digest.hexdigest()

    def python_sources(self) -> list[str]:
        """Python files sent in the context, shallowest first."""
        found = [e.arcname for e in self.entries if e.kind == "file" and e.arcname.endswith(".py")
                 and e.arcname != self.dockerfile_name]
        return sorted(found, key=lambda name: (name.count("/"), name))


def read_dockerfile(path: str | Path) -> str:
    """The Dockerfile's text; MissingInput when it is not a readable file of sane size."""
    path = Path(path)
    if not path.is_file():
        raise MissingInput(f"The Dockerfile {path} does not exist (or is not a file).")
    size = path.stat().st_size
    if size > DOCKERFILE_MAX_BYTES:
        raise ContextRefused(f"The Dockerfile {path} is {size} bytes; a Dockerfile over 1 MiB is not graded.")
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        raise MissingInput(f"The Dockerfile {path} cannot be read: {exc.strerror}.") from exc


def stage(
    dockerfile: str | Path,
    context_dir: str | Path,
    *,
    dockerfile_text: str | None = None,
    settings: course_settings.Settings | None = None,
) -> StagedContext:
    """Decide what to send for ``dockerfile`` built in ``context_dir``; nothing is copied.

    Raises MissingInput when the Dockerfile or the folder is missing, ContextRefused when the
    context breaks a safety rule or a limit.
    """
    settings = settings or course_settings.load()
    root = Path(context_dir)
    if not root.is_dir():
        raise MissingInput(f"The build context {root} is not a folder.")
    root = root.resolve()
    text = dockerfile_text if dockerfile_text is not None else read_dockerfile(dockerfile)

    dockerfile_path = Path(dockerfile).resolve() if dockerfile else None
    inside = dockerfile_path is not None and _is_within(dockerfile_path, root) and dockerfile_text is None
    dockerfile_name = dockerfile_path.relative_to(root).as_posix() if inside else OUTSIDE_DOCKERFILE_NAME

    ignore_file = root / ".dockerignore"
    ignore_text: str | None = None
    if ignore_file.is_file() and not ignore_file.is_symlink():
        ignore_text = ignore_file.read_bytes()[:1024 * 1024].decode("utf-8", "replace")
    ignore = DockerIgnore.parse(ignore_text)

    staged = StagedContext(root=root, dockerfile_name=dockerfile_name, dockerfile_text=text, dockerignore_text=ignore_text)
    limit_bytes = settings.context_limit_bytes
    limit_files = settings.context_file_limit

    def count(size: int, rel: str) -> None:
        staged.file_count += 1
        staged.total_bytes += size
        if staged.file_count > limit_files:
            raise ContextRefused(
                f"The build context has more than {limit_files} files (reached at {rel}): list what the "
                "image does not need (.git, virtual environments, data) in .dockerignore."
            )
        if staged.total_bytes > limit_bytes:
            raise ContextRefused(
                f"The build context is over {limit_bytes / 1e6:.0f} MB (reached at {rel}): list large files the "
                "image does not need in .dockerignore."
            )

    always = {".dockerignore", dockerfile_name}
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        current_path = Path(current)
        rel_dir = current_path.relative_to(root).as_posix()
        kept_dirs = []
        for name in sorted(dirnames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            full = current_path / name
            if full.is_symlink():
                filenames.append(name)  # a link to a folder is sent as a link, like any other
                continue
            if ignore.excluded(rel):
                staged.excluded_count += 1
                if not ignore.has_exclusions:
                    continue  # nothing below can be re-included: skip the whole folder
            else:
                st = full.lstat()
                staged.entries.append(Entry(rel, "dir", full, mode=stat.S_IMODE(st.st_mode), mtime=int(st.st_mtime)))
                count(0, rel)
            kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            full = current_path / name
            if rel not in always and ignore.excluded(rel):
                staged.excluded_count += 1
                continue
            if rel == dockerfile_name and inside:
                continue  # added below from the text we read (and lint), not re-read
            try:
                st = full.lstat()
            except OSError as exc:
                raise ContextRefused(f"{rel} in the build context cannot be read: {exc.strerror}.") from exc
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(full)
                resolved = Path(os.path.realpath(full))
                if os.path.isabs(target) or not _is_within(resolved, root):
                    raise ContextRefused(
                        f"{rel} is a symbolic link to {target}, which is outside the build context: "
                        "a build may only read files inside its context. Copy the file in instead."
                    )
                staged.entries.append(Entry(rel, "symlink", full, mode=0o777, mtime=int(st.st_mtime), linkname=target))
                count(len(target), rel)
            elif stat.S_ISREG(st.st_mode):
                if not os.access(full, os.R_OK):
                    raise ContextRefused(f"{rel} in the build context is not readable.")
                staged.entries.append(
                    Entry(rel, "file", full, size=st.st_size, mode=stat.S_IMODE(st.st_mode), mtime=int(st.st_mtime))
                )
                count(st.st_size, rel)
            else:
                raise ContextRefused(
                    f"{rel} is a special file (device, pipe or socket); a build context holds only files, "
                    "folders and links."
                )

    data = text.encode("utf-8")
    staged.entries.append(Entry(dockerfile_name, "file", None, size=len(data), mode=0o644, data=data))
    count(len(data), dockerfile_name)
    if not inside:
        # As the CLI does for a Dockerfile from elsewhere: list it in the sent .dockerignore, so
        # the engine removes it after reading it and `COPY . .` never ships it.
        sent_ignore = (ignore_text or "")
        if sent_ignore and not sent_ignore.endswith("\n"):
            sent_ignore += "\n"
        sent_ignore += f"{OUTSIDE_DOCKERFILE_NAME}\n"
        ignore_bytes = sent_ignore.encode("utf-8")
        staged.entries = [e for e in staged.entries if e.arcname != ".dockerignore"]
        staged.entries.append(Entry(".dockerignore", "file", None, size=len(ignore_bytes), mode=0o644, data=ignore_bytes))
    staged.entries.sort(key=lambda entry: entry.arcname)
    return staged


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False
