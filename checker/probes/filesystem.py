"""The filesystem probe: what the image's final filesystem holds, read from ``docker export``.

:func:`scan_filesystem` reads the export of a created (never started) container as a tar stream:
the final filesystem's byte count (counted as the engine counts a layer: regular files and link
targets, hard links once), compilers, C headers, package-manager caches, native extensions,
virtual environments, and the first bytes of the programs on ``PATH`` (to follow shebangs). It
needs nothing inside the image, so it works for any image and any user.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field

from checker import engine
from checker.probes.elf import (ELF_MAGIC, LD_SO_CACHE, MUSL_DIRS, ElfDynamic, Resolver, ld_so_conf_dirs,
                                read_dynamic, read_ld_so_cache)
from checker.probes.shipped import ShippedFacts, observe

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_COMPILER_NAME_RE = re.compile(
    r"^(?:gcc|cc|c\+\+|g\+\+|clang|clang\+\+|tcc|c89|c99|c89-gcc|c99-gcc|gfortran|rustc"
    r"|(?:gcc|g\+\+|clang|clang\+\+|gfortran)-\d+(?:\.\d+)*"
    r"|[a-z0-9_]+-(?:linux|pc|unknown)[a-z0-9_-]*-(?:gcc|g\+\+|c\+\+|gfortran)(?:-\d+(?:\.\d+)*)?)$"
)
_COMPILER_PROPER = {"cc1", "cc1plus", "cc1obj", "f951"}
_BIN_DIRS = ("/usr/bin/", "/usr/local/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/sbin/")
_CACHE_RE = re.compile(r"^(.*?/\.cache/(?:pip|uv|pypoetry|pipenv|pdm|pip-tools))(?:/|$)")
_SO_RE = re.compile(r"\.so(?:\.\d+)*$")
_ACCOUNT_FILES = ("/etc/passwd", "/etc/group")
_SITE_DIR_RE = re.compile(r"^(.*/(?:site|dist)-packages)(?:/|$)")
_PYTHON_NAME_RE = re.compile(r"^python(\d+(\.\d+)?)?$")
#: The loader's configuration files: their text is kept (musl's is ``/etc/ld-musl-<arch>.path``).
_LOADER_CONF_RE = re.compile(r"^/etc/(?:ld\.so\.conf(?:\.d/.*)?|ld-musl-[\w-]+\.path)$")
#: ELF files up to this size are read in memory; larger ones go through a temporary file.
_ELF_IN_MEMORY = 32 * 1024 * 1024


@dataclass
class FilesystemFacts:
    """What the final filesystem holds (from ``docker export``)."""

    total_bytes: int = 0
    """Bytes of the final filesystem, counted as the engine counts a layer."""
    entries: int = 0
    compilers: list[str] = field(default_factory=list)
    """Compiler programs that resolve to a real file (``/usr/bin/gcc``, ``.../cc1``...)."""
    headers: list[tuple[str, int]] = field(default_factory=list)
    """C headers under /usr/include and /usr/local/include, and any ``Python.h``: (path, bytes)."""
    caches: dict[str, int] = field(default_factory=dict)
    """Package-manager cache folders (``/root/.cache/pip``...) and the bytes they hold."""
    extensions: list[str] = field(default_factory=list)
    """Native extensions and bundled libraries in site-packages, dist-packages and venvs."""
    venvs: dict[str, str] = field(default_factory=dict)
    """Virtual environments: folder -> text of its ``pyvenv.cfg``."""
    site_dirs: dict[str, int] = field(default_factory=dict)
    """site-packages and dist-packages folders and how many files each holds."""
    kinds: dict[str, str] = field(default_factory=dict, repr=False)
    """Every path: ``f`` file, ``d`` folder, ``l`` link, ``o`` other."""
    links: dict[str, str] = field(default_factory=dict, repr=False)
    heads: dict[str, bytes] = field(default_factory=dict, repr=False)
    """First bytes of the files in the folders on PATH (for shebangs)."""
    modes: dict[str, tuple[int, int, int]] = field(default_factory=dict, repr=False)
    """Every path: (permission bits such as ``0o755``, owner uid, group gid), as the layers store them."""
    accounts: dict[str, str] = field(default_factory=dict, repr=False)
    """Text of ``/etc/passwd`` and ``/etc/group`` (to resolve the image's USER to ids)."""
    dynamic: dict[str, ElfDynamic] = field(default_factory=dict, repr=False)
    """Every shared library (``*.so*``) and Python program, by path: what the loader reads from its ELF header."""
    loader_config: dict[str, str] = field(default_factory=dict, repr=False)
    """Text of ``/etc/ld.so.conf``, the files under ``/etc/ld.so.conf.d`` and musl's ``/etc/ld-musl-*.path``."""
    loader_cache: dict[str, list[str]] | None = field(default=None, repr=False)
    """``/etc/ld.so.cache`` read (library name -> paths); None when the image has none."""
    seconds: float = 0.0
    shipped: ShippedFacts = field(default_factory=ShippedFacts, repr=False)
    """Files that must not ship, setuid/setgid files, /etc/passwd (see :mod:`checker.probes.shipped`)."""

    def resolve(self, path: str, depth: int = 0) -> str | None:
        """Follow links inside the image; the final path when it exists, else None."""
        if depth > 40:
            return None
        path = posixpath.normpath(path)
        parts = path.strip("/").split("/")
        current = "/"
        for index, part in enumerate(parts):
            candidate = posixpath.join(current, part)
            kind = self.kinds.get(candidate)
            if kind == "l":
                target = self.links[candidate]
                target = target if target.startswith("/") else posixpath.join(current, target)
                rest = "/".join(parts[index + 1 :])
                resolved = self.resolve(posixpath.join(target, rest) if rest else target, depth + 1)
                return resolved
            if kind is None:
                return None
            current = candidate
        return current

    def is_file(self, path: str) -> bool:
        """True when ``path`` (links followed inside the image) is a regular file."""
        resolved = self.resolve(path)
        return resolved is not None and self.kinds.get(resolved) == "f"

    def which(self, program: str, path_var: str, workdir: str = "/") -> str | None:
        """The path a program name resolves to on PATH (links not followed in the answer)."""
        if "/" in program:
            full = program if program.startswith("/") else posixpath.join(workdir or "/", program)
            return posixpath.normpath(full) if self.is_file(full) else None
        for directory in path_var.split(":"):
            if not directory:
                continue
            candidate = posixpath.join(directory, program)
            if self.is_file(candidate):
                return candidate
        return None

    def shebang(self, path: str) -> list[str] | None:
        """The words of the ``#!`` line of a program on PATH (``["/opt/venv/bin/python"]``); None without one."""
        resolved = self.resolve(path)
        head = self.heads.get(resolved or "", b"") or self.heads.get(path, b"")
        if not head.startswith(b"#!"):
            return None
        line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        return line.split() or None

    def regular_file(self, path: str) -> str | None:
        """The real path of the regular file ``path`` names (links followed), or None."""
        resolved = self.resolve(path)
        return resolved if resolved is not None and self.kinds.get(resolved) == "f" else None

    def resolver(self, library_path: str = "", workdir: str = "/") -> Resolver:
        """A :class:`checker.probes.elf.Resolver` over this image's files, its ``/etc/ld.so.cache`` (or,
        without one, the folders of its ``/etc/ld.so.conf``), musl's folders for a musl image, and
        ``library_path`` (the image's ``LD_LIBRARY_PATH``, relative folders from ``workdir``)."""
        musl = any(posixpath.basename(path).startswith("ld-musl-") for path in self.dynamic)
        if musl:  # musl reads no cache and no ld.so.conf: one file of folders, or its defaults
            listed = [d for path, text in sorted(self.loader_config.items()) if path.startswith("/etc/ld-musl-")
                      for d in re.split(r"[\s:]+", text) if d.startswith("/")]
            return Resolver(self.regular_file, self.dynamic, library_path=library_path, workdir=workdir,
                            system_dirs=listed or MUSL_DIRS)
        configured = [] if self.loader_cache else ld_so_conf_dirs(self.loader_config, self.loader_config)
        return Resolver(self.regular_file, self.dynamic, library_path=library_path, configured=configured,
                        cache=self.loader_cache, workdir=workdir)

    def summary(self) -> dict:
        """Counts and small lists for the report (no per-file maps)."""
        return {
            "total_bytes": self.total_bytes, "entries": self.entries, "compilers": self.compilers,
            "headers": len(self.headers), "caches": self.caches, "extensions": len(self.extensions),
            "venvs": sorted(self.venvs), "site_dirs": self.site_dirs,
        }


_MAIN_COMPILERS = ("gcc", "cc", "g++", "c++", "clang", "clang++")


def _compiler_rank(path: str) -> tuple[int, str]:
    """The names a learner knows first (gcc, cc, g++...), then versioned and backend programs."""
    name = posixpath.basename(path)
    return (_MAIN_COMPILERS.index(name) if name in _MAIN_COMPILERS else len(_MAIN_COMPILERS), path)


def _norm(name: str) -> str:
    name = name.lstrip("./")
    return "/" + name.rstrip("/") if name else "/"


def scan_filesystem(
    image: str,
    *,
    path_var: str = DEFAULT_PATH,
    labels: dict[str, str] | None = None,
    deadline_s: float = 300,
    keep_files: tuple[str, ...] = (),
) -> FilesystemFacts:
    """Read the image's final filesystem once and collect the facts the checks need.

    ``image`` is an image id or reference, ``path_var`` its PATH (whose programs' first bytes are
    kept, to follow shebangs), ``labels`` go on the temporary container, ``deadline_s`` bounds the
    read in seconds, ``keep_files`` are paths whose content :attr:`FilesystemFacts.shipped` keeps. Raises :class:`checker.engine.EngineError` when the export fails or the
    deadline passes.
    """
    facts = FilesystemFacts()
    started = time.monotonic()
    path_dirs = {posixpath.normpath(d) for d in path_var.split(":") if d.startswith("/")}
    compiler_candidates: list[str] = []
    so_files: list[str] = []
    hard_links: dict[str, str] = {}
    keep = frozenset(keep_files)

    def content(tar: tarfile.TarFile, member: tarfile.TarInfo, path: str, limit: int = -1) -> bytes:
        # A file a rubric keeps was read already, and a tar stream cannot seek back to read it again.
        if path in facts.shipped.kept:
            return facts.shipped.kept[path] if limit < 0 else facts.shipped.kept[path][:limit]
        handle = tar.extractfile(member)
        return handle.read(limit) if handle is not None else b""

    with engine.exported_filesystem(image, labels=labels) as stream:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if time.monotonic() - started > deadline_s:
                    raise engine.EngineError(f"Reading the image's filesystem took over {deadline_s:.0f} s.")
                path = _norm(member.name)
                facts.entries += 1
                facts.modes[path] = (member.mode & 0o7777, member.uid, member.gid)
                observe(facts.shipped, member, path, tar, keep)
                if member.isdir():
                    facts.kinds[path] = "d"
                    continue
                if member.issym():
                    facts.kinds[path] = "l"
                    facts.links[path] = member.linkname
                    facts.total_bytes += len(member.linkname)
                elif member.islnk():
                    facts.kinds[path] = "f"
                    hard_links[path] = _norm(member.linkname)
                elif member.isreg():
                    facts.kinds[path] = "f"
                    facts.total_bytes += member.size
                else:
                    facts.kinds[path] = "o"
                    continue
                name = posixpath.basename(path)
                directory = posixpath.dirname(path)
                if (_COMPILER_NAME_RE.match(name) and path.startswith(_BIN_DIRS)) or (
                    name in _COMPILER_PROPER and ("/gcc/" in path or "/gcc-cross/" in path)
                ):
                    compiler_candidates.append(path)
                if member.isreg():
                    if name.endswith(".h") and (path.startswith(("/usr/include/", "/usr/local/include/")) or name == "Python.h"):
                        facts.headers.append((path, member.size))
                    cache = _CACHE_RE.match(path)
                    if cache:
                        facts.caches[cache.group(1)] = facts.caches.get(cache.group(1), 0) + member.size
                    site = _SITE_DIR_RE.match(path)
                    if site:
                        facts.site_dirs[site.group(1)] = facts.site_dirs.get(site.group(1), 0) + 1
                    if _SO_RE.search(name):
                        so_files.append(path)
                    elf_candidate = ((_SO_RE.search(name) or _PYTHON_NAME_RE.match(name)) and member.size >= 64
                                     and path not in facts.shipped.kept)
                    if path == LD_SO_CACHE and member.size < 16 * 1024 * 1024:
                        facts.loader_cache = read_ld_so_cache(content(tar, member, path))
                    elif _LOADER_CONF_RE.match(path) and member.size < 1024 * 1024:
                        facts.loader_config[path] = content(tar, member, path).decode("utf-8", "replace")
                    if path in facts.shipped.kept or (path in _ACCOUNT_FILES and member.size < 1024 * 1024):
                        facts.accounts[path] = content(tar, member, path).decode("utf-8", "replace")
                    if name == "pyvenv.cfg" and member.size < 64 * 1024:
                        facts.venvs[directory] = content(tar, member, path).decode("utf-8", "replace")
                    elif elf_candidate:  # read whole, once: the first bytes are kept on the way
                        head, dynamic = _read_elf(tar, member)
                        if dynamic is not None:
                            facts.dynamic[path] = dynamic
                        if directory in path_dirs:
                            facts.heads[path] = head
                    elif directory in path_dirs and member.size > 0:
                        facts.heads[path] = content(tar, member, path, 256)
    for link, target in hard_links.items():
        if target in facts.dynamic:
            facts.dynamic[link] = facts.dynamic[target]
        if target in facts.loader_config:
            facts.loader_config[link] = facts.loader_config[target]
    facts.compilers = sorted((path for path in compiler_candidates if facts.is_file(path)), key=_compiler_rank)
    venv_prefixes = tuple(directory.rstrip("/") + "/" for directory in facts.venvs)
    facts.extensions = sorted(
        path for path in so_files if _SITE_DIR_RE.match(path) or (venv_prefixes and path.startswith(venv_prefixes))
    )
    facts.shipped.finish()
    facts.seconds = time.monotonic() - started
    return facts


def _read_elf(tar: tarfile.TarFile, member: tarfile.TarInfo) -> tuple[bytes, ElfDynamic | None]:
    """The first 256 bytes of one member of the export, and its dynamic facts (None when it is not ELF).

    The tar stream cannot seek, and an ELF file's dynamic table may sit anywhere in it, so the
    member is read whole: in memory up to :data:`_ELF_IN_MEMORY` bytes, through a temporary file above.
    """
    handle = tar.extractfile(member)
    if handle is None:
        return b"", None
    head = handle.read(256)
    if not head.startswith(ELF_MAGIC):
        return head, None
    with tempfile.SpooledTemporaryFile(max_size=_ELF_IN_MEMORY) as copy:
        copy.write(head)
        shutil.copyfileobj(handle, copy, 1024 * 1024)
        return head, read_dynamic(copy)  # type: ignore[arg-type]
