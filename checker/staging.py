"""Stage a submission's build context the way the ``docker`` CLI would send it, only safer.

The classic build API receives a tar: whoever makes the tar decides what the engine sees. The
CLI applies ``.dockerignore`` on the client side; so do we, with :mod:`checker.dockerignore` (THE
reader and matcher, Docker's own rules, the CLI's walk). As the CLI does, the Dockerfile and
``.dockerignore`` are always sent; the engine drops them from ``COPY`` when the ``.dockerignore``
lists them.

Before anything is sent we refuse what an untrusted submission could use to reach outside its
folder or to swamp the engine: symbolic links that resolve outside the context, special files
(devices, fifos, sockets), a ``.dockerignore`` Docker would fail on or the reader refuses, and
contexts over the size or file-count limits (counted while walking, so a huge folder is not read
to its end). File owners are not sent (everything belongs to root, as with the CLI), so two
learners' identical files hash identically and share cached layers.

:func:`write_tar` is the one tar writer: :meth:`StagedContext.tar`, :func:`tar_folder` (a plain
folder, as the engine's lesson builds send it) and the lessons' context-size count all use it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from . import settings as course_settings
from .dockerignore import DockerIgnore, DockerIgnoreError

__all__ = [
    "DOCKERFILE_MAX_BYTES", "OUTSIDE_DOCKERFILE_NAME", "ContextRefused", "DockerIgnore", "Entry", "MissingInput",
    "StagedContext", "folder_entries", "read_dockerfile", "stage", "tar_folder", "write_tar",
]

#: Name given in the tar to a Dockerfile that lives outside the context (as the CLI does for
#: ``-f`` pointing elsewhere); it is added to the sent ``.dockerignore`` so ``COPY . .`` skips it.
OUTSIDE_DOCKERFILE_NAME = ".lpi.Dockerfile"
#: The largest Dockerfile graded, in bytes (1 MiB).
DOCKERFILE_MAX_BYTES = 1024 * 1024
#: Tars are kept in memory up to this many bytes (32 MiB), then spooled to a temporary file.
_SPOOL_BYTES = 32 * 1024 * 1024


class MissingInput(Exception):
    """The Dockerfile or the context folder given to the checker does not exist or is unreadable."""


class ContextRefused(Exception):
    """The submission's build context cannot be sent: the message says why and what to change."""


# ----------------------------------------------------------------------------------------------
# entries and the one tar writer


@dataclass(frozen=True)
class Entry:
    """One member of a context's tar."""

    arcname: str
    """Its path in the tar, relative, ``/``-separated."""
    kind: str
    """``file``, ``dir`` or ``symlink``."""
    path: Path | None
    """Where its content is read from; None when ``data`` holds it."""
    size: int = 0
    """Bytes, as seen when the folder was walked."""
    mode: int = 0o644
    """Permission bits."""
    mtime: int = 0
    """Modification time, seconds since the epoch."""
    linkname: str = ""
    """A symlink's target, as written."""
    data: bytes | None = None
    """Content given in memory instead of read from ``path`` (the Dockerfile, an edited file)."""


def write_tar(fileobj: BinaryIO, entries: Sequence[Entry], *, overrides: Mapping[str, bytes] | None = None,
              sizes: dict[str, int] | None = None) -> None:
    """Write ``entries`` to ``fileobj`` as an uncompressed PAX tar, owned by root: THE tar writer.

    ``overrides`` replaces the content of files by arcname. When ``sizes`` is given, it receives
    the bytes each entry takes in the tar (headers and padding), by arcname. Raises OSError when
    a file cannot be read.
    """
    overrides = dict(overrides or {})
    with tarfile.open(fileobj=fileobj, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            before = tar.offset
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
                    tar.addfile(info, BytesIO(data))
                else:
                    assert entry.path is not None
                    with open(entry.path, "rb") as handle:
                        info.size = os.fstat(handle.fileno()).st_size
                        tar.addfile(info, handle)
            if sizes is not None:
                sizes[entry.arcname] = tar.offset - before


def _spooled(entries: Sequence[Entry], overrides: Mapping[str, bytes] | None = None) -> BinaryIO:
    buffer = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
    write_tar(buffer, entries, overrides=overrides)  # type: ignore[arg-type]
    buffer.seek(0)
    return buffer  # type: ignore[return-value]


def _walk(root: Path, ignore: DockerIgnore | None) -> Iterator[tuple[str, Path, bool]]:
    """Every path the CLI's walk visits under ``root``, sorted: ``(relpath, path, excluded)``.

    Folders come before what they hold; an excluded folder is not entered unless a ``!`` pattern
    could bring something below it back (:meth:`DockerIgnore.descends_into`). A symbolic link to
    a folder is a leaf, never followed.
    """
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        current_path = Path(current)
        rel_dir = current_path.relative_to(root).as_posix()
        kept_dirs = []
        leaves = list(filenames)
        for name in sorted(dirnames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if (current_path / name).is_symlink():
                leaves.append(name)  # a link to a folder is sent as a link, like any other
                continue
            excluded = ignore is not None and ignore.excludes(rel)
            yield rel, current_path / name, excluded
            if not excluded or ignore.descends_into(rel):  # type: ignore[union-attr]
                kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(leaves):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            yield rel, current_path / name, ignore is not None and ignore.excludes(rel)


def _entry(rel: str, path: Path, st: os.stat_result) -> Entry:
    """The tar entry for one walked path; ContextRefused for a special file."""
    if stat.S_ISDIR(st.st_mode):
        return Entry(rel, "dir", path, mode=stat.S_IMODE(st.st_mode), mtime=int(st.st_mtime))
    if stat.S_ISLNK(st.st_mode):
        return Entry(rel, "symlink", path, mode=0o777, mtime=int(st.st_mtime), linkname=os.readlink(path))
    if stat.S_ISREG(st.st_mode):
        return Entry(rel, "file", path, size=st.st_size, mode=stat.S_IMODE(st.st_mode), mtime=int(st.st_mtime))
    raise ContextRefused(
        f"{rel} is a special file (device, pipe or socket); a build context holds only files, folders and links."
    )


def folder_entries(folder: str | Path, ignore: DockerIgnore | None = None) -> list[Entry]:
    """The tar entries of a trusted folder (the course's own): everything, or what ``ignore`` lets through.

    With ``ignore``, the ``.dockerignore`` file itself is always kept, as the CLI keeps it.
    Raises ContextRefused for a special file, OSError when the folder cannot be walked.
    """
    root = Path(folder)
    if ignore is not None:
        ignore = ignore.with_reincluded(".dockerignore")
    return [_entry(rel, path, path.lstat()) for rel, path, excluded in _walk(root, ignore) if not excluded]


def tar_folder(folder: str | Path, *, extra_files: dict[str, bytes] | None = None) -> BinaryIO:
    """A tar of ``folder`` as it is (no ``.dockerignore`` applied), plus ``extra_files``: an open binary file at 0.

    ``extra_files`` maps arcnames to contents, added or replacing a file of the folder (the
    engine puts a Dockerfile given as text there). Spooled to disk past 32 MiB. Raises
    ContextRefused for a special file, OSError when the folder cannot be read.
    """
    extra = dict(extra_files or {})
    entries = [e for e in folder_entries(folder) if e.arcname not in extra or e.kind == "dir"]
    entries += [Entry(name, "file", None, size=len(data), data=data) for name, data in extra.items()]
    return _spooled(sorted(entries, key=lambda entry: entry.arcname))


# ----------------------------------------------------------------------------------------------
# staging


@dataclass
class StagedContext:
    """What the checker will send to the engine for one submission."""

    root: Path
    """The context folder as given."""
    dockerfile_name: str
    """The Dockerfile's path inside the sent tar."""
    dockerfile_text: str
    """The Dockerfile's text, read once (the sent copy is this text)."""
    dockerignore: DockerIgnore
    """The learner's ``.dockerignore``, read once by THE reader (``exists`` is False when there is none)."""
    entries: list[Entry] = field(default_factory=list)
    """Everything sent, sorted by arcname."""
    total_bytes: int = 0
    """Bytes of file contents and link targets sent."""
    file_count: int = 0
    """Entries sent (files, folders and links)."""
    excluded_count: int = 0
    """Files and folders ``.dockerignore`` left out (a skipped folder counts once)."""

    @property
    def dockerignore_text(self) -> str | None:
        """The learner's ``.dockerignore`` text (None when there is none)."""
        return self.dockerignore.text

    @property
    def names(self) -> set[str]:
        """The arcnames sent."""
        return {entry.arcname for entry in self.entries}

    def tar(self, overrides: dict[str, bytes] | None = None) -> BinaryIO:
        """The context as an uncompressed tar (spooled to disk past 32 MiB), positioned at 0.

        ``overrides`` replaces the content of existing files (the cache probe appends a comment to
        one source file this way, leaving the learner's folder untouched).
        """
        return _spooled(self.entries, overrides)

    def with_dockerfile(self, text: str) -> StagedContext:
        """A copy of this context that sends ``text`` as the Dockerfile (same name, everything else kept)."""
        data = text.encode("utf-8")
        entries = [replace(entry, data=data, path=None, size=len(data)) if entry.arcname == self.dockerfile_name
                   else entry for entry in self.entries]
        before = sum(entry.size for entry in self.entries if entry.arcname == self.dockerfile_name)
        return replace(self, dockerfile_text=text, entries=entries, total_bytes=self.total_bytes - before + len(data))

    def read(self, arcname: str) -> bytes | None:
        """The content of the file sent as ``arcname``; None when no such file is sent."""
        for entry in self.entries:
            if entry.arcname == arcname and entry.kind == "file":
                if entry.data is not None:
                    return entry.data
                return entry.path.read_bytes() if entry.path else None
        return None

    def digest(self) -> str:
        """A digest of everything sent (names, modes, link targets, contents): a cache key (hex SHA-256)."""
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
    """The Dockerfile's text (UTF-8, bad bytes replaced).

    Raises MissingInput when it is not a readable file, ContextRefused when it is over
    :data:`DOCKERFILE_MAX_BYTES`.
    """
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
    read_text: str | None = None,
    dockerignore: DockerIgnore | None = None,
    settings: course_settings.Settings | None = None,
) -> StagedContext:
    """Decide what to send for ``dockerfile`` built in ``context_dir``; nothing is copied.

    ``dockerfile_text`` (already read) is used instead of reading ``dockerfile``, and is then sent
    under :data:`OUTSIDE_DOCKERFILE_NAME`. The Dockerfile and ``.dockerignore`` are each read once,
    here, unless the caller read them already: ``read_text`` is the text of ``dockerfile`` as read
    (sent under its own name), ``dockerignore`` the context's file as read by
    :meth:`DockerIgnore.read`. Raises MissingInput when the Dockerfile or the folder is missing, ContextRefused when the
    context breaks a safety rule or a limit, or its ``.dockerignore`` cannot be used.
    """
    settings = settings or course_settings.load()
    root = Path(context_dir)
    if not root.is_dir():
        raise MissingInput(f"The build context {root} is not a folder.")
    root = root.resolve()
    if dockerfile_text is not None:
        text = dockerfile_text
    else:
        text = read_text if read_text is not None else read_dockerfile(dockerfile)

    dockerfile_path = Path(dockerfile).resolve() if dockerfile else None
    inside = dockerfile_path is not None and _is_within(dockerfile_path, root) and dockerfile_text is None
    dockerfile_name = dockerfile_path.relative_to(root).as_posix() if inside and dockerfile_path else OUTSIDE_DOCKERFILE_NAME

    try:
        ignore = dockerignore if dockerignore is not None else DockerIgnore.read(root)
        # As the CLI does (TrimBuildFilesFromExcludes): the Dockerfile and .dockerignore are always sent.
        walk_ignore = ignore.with_reincluded(".dockerignore", dockerfile_name)
    except DockerIgnoreError as exc:
        raise ContextRefused(f"{exc} Fix the .dockerignore file.") from exc

    staged = StagedContext(root=root, dockerfile_name=dockerfile_name, dockerfile_text=text, dockerignore=ignore)
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

    for rel, full, excluded in _walk(root, walk_ignore):
        if excluded:
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
            if os.path.isabs(target) or not _is_within(Path(os.path.realpath(full)), root):
                raise ContextRefused(
                    f"{rel} is a symbolic link to {target}, which is outside the build context: "
                    "a build may only read files inside its context. Copy the file in instead."
                )
        elif stat.S_ISREG(st.st_mode) and not os.access(full, os.R_OK):
            raise ContextRefused(f"{rel} in the build context is not readable.")
        entry = _entry(rel, full, st)
        staged.entries.append(entry)
        count(len(entry.linkname) if entry.kind == "symlink" else entry.size, rel)

    data = text.encode("utf-8")
    staged.entries.append(Entry(dockerfile_name, "file", None, size=len(data), mode=0o644, data=data))
    count(len(data), dockerfile_name)
    if not inside:
        # As the CLI does for a Dockerfile from elsewhere: list it in the sent .dockerignore, so
        # the engine removes it after reading it and `COPY . .` never ships it.
        sent_ignore = ignore.text or ""
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
