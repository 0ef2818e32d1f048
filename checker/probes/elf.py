"""Shared libraries resolved on the host: ELF dynamic sections read with pyelftools, searched as ld.so searches.

An image without a shell, ``ldd`` or coreutils (a ``FROM scratch`` or distroless final stage) can
still be asked which libraries its native extensions need: every ELF file's ``DT_NEEDED``,
``DT_RUNPATH``, ``DT_RPATH`` and ``DT_SONAME`` are read from the exported filesystem
(:func:`read_dynamic`, called by :func:`checker.probes.filesystem.scan_filesystem`), and
:class:`Resolver` looks each needed name up in the image's own files in the order glibc's dynamic
loader does (``ld.so(8)``, "Shared library dependencies"):

1. a name with a ``/`` is opened as written;
2. a name already loaded (the interpreter's own libraries, by file name or ``DT_SONAME``) is reused;
3. ``DT_RPATH`` of the object, then of the objects that loaded it, when the object has no ``DT_RUNPATH``;
4. the image's ``LD_LIBRARY_PATH``;
5. ``DT_RUNPATH`` of the object itself;
6. ``/etc/ld.so.cache`` (:func:`read_ld_so_cache`), which ``ldconfig`` built from the folders of
   ``/etc/ld.so.conf``; an image without a cache is given those folders instead
   (:func:`ld_so_conf_dirs`: what the cache would hold once ``ldconfig`` runs);
7. the loader's built-in folders (:data:`DEFAULT_DIRS`; for musl, ``/etc/ld-musl-<arch>.path`` or
   :data:`MUSL_DIRS`).

``$ORIGIN`` (the folder of the object that holds the entry), ``$LIB`` and ``$PLATFORM`` are
expanded; a candidate of another ELF class or machine is skipped, as ld.so skips it. Nothing runs
inside the image: everything here is pure.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import Dynamic
from elftools.elf.elffile import ELFFile
from elftools.elf.segments import InterpSegment

#: The first bytes of every ELF file.
ELF_MAGIC = b"\x7fELF"

#: Folders glibc's loader searches last, per ELF machine (Debian's multiarch folders first, then the
#: folders other distributions and ``FROM scratch`` builds use; ``ld.so --help`` lists a loader's own).
DEFAULT_DIRS: dict[str, tuple[str, ...]] = {
    "EM_X86_64": ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"),
    "EM_AARCH64": ("/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"),
    "EM_386": ("/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib", "/usr/lib"),
}
#: For machines not listed in :data:`DEFAULT_DIRS`.
FALLBACK_DIRS = ("/lib64", "/usr/lib64", "/lib", "/usr/lib")
#: musl's loader's folders when the image has no ``/etc/ld-musl-<arch>.path``.
MUSL_DIRS = ("/lib", "/usr/local/lib", "/usr/lib")
#: Where ``ldconfig`` writes its cache, and the magic of its current (glibc 2.32+) format.
LD_SO_CACHE = "/etc/ld.so.cache"
_CACHE_MAGIC = b"glibc-ld.so.cache1.1"
#: What ``$LIB`` and ``$PLATFORM`` expand to, per machine (Debian's glibc).
_LIB = {"EM_X86_64": "lib/x86_64-linux-gnu", "EM_AARCH64": "lib/aarch64-linux-gnu", "EM_386": "lib/i386-linux-gnu"}
_PLATFORM = {"EM_X86_64": "x86_64", "EM_AARCH64": "aarch64", "EM_386": "i686"}
#: Where the loader's configuration lives.
LD_SO_CONF = "/etc/ld.so.conf"
_TOKEN_RE = re.compile(r"\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)\b)")


@dataclass(frozen=True)
class ElfDynamic:
    """What the dynamic loader reads from one ELF file."""

    elf_class: int
    """32 or 64."""
    machine: str
    """``e_machine`` as pyelftools names it: ``EM_X86_64``, ``EM_AARCH64``."""
    needed: tuple[str, ...] = ()
    """``DT_NEEDED`` entries in order: the libraries it asks for (``libpq.so.5``)."""
    runpath: tuple[str, ...] = ()
    """``DT_RUNPATH`` folders, unexpanded (``$ORIGIN/../psycopg2_binary.libs``)."""
    rpath: tuple[str, ...] = ()
    """``DT_RPATH`` folders, unexpanded (ignored by the loader when ``DT_RUNPATH`` is set)."""
    soname: str = ""
    """``DT_SONAME`` (empty when it has none)."""
    interpreter: str = ""
    """``PT_INTERP``: the loader a program names (``/lib64/ld-linux-x86-64.so.2``); empty for most libraries."""

    def compatible(self, other: ElfDynamic) -> bool:
        """True when the loader would accept ``other`` as a dependency of this file (same class and machine)."""
        return self.elf_class == other.elf_class and self.machine == other.machine


def read_dynamic(stream: BinaryIO) -> ElfDynamic | None:
    """The dynamic-linking facts of the ELF file in ``stream`` (seekable, positioned anywhere).

    None when the stream is not an ELF file or is too damaged to read (a truncated file, a bad
    header); a static program comes back with no ``needed``. Never raises for the file's content.
    """
    try:
        stream.seek(0)
        if stream.read(4) != ELF_MAGIC:
            return None
        elf = ELFFile(stream)
        needed: list[str] = []
        runpath: list[str] = []
        rpath: list[str] = []
        soname = interpreter = ""
        for segment in elf.iter_segments():
            kind = segment["p_type"]
            if kind == "PT_INTERP" and isinstance(segment, InterpSegment):
                interpreter = segment.get_interp_name()
            elif kind == "PT_DYNAMIC":
                # The table is read from the segment itself: the section headers (at the end of the
                # file, absent once stripped with --strip-section-headers) are not needed.
                table = Dynamic(stream, elf, None, segment["p_offset"], segment["p_filesz"] == 0)
                for tag in table.iter_tags():
                    name = tag.entry.d_tag
                    if name not in ("DT_NEEDED", "DT_RUNPATH", "DT_RPATH", "DT_SONAME"):
                        continue
                    value = str(getattr(tag, name[3:].lower()))  # pyelftools sets .needed, .runpath... from the string table
                    if name == "DT_NEEDED":
                        needed.append(value)
                    elif name == "DT_RUNPATH":
                        runpath.extend(p for p in value.split(":") if p)
                    elif name == "DT_RPATH":
                        rpath.extend(p for p in value.split(":") if p)
                    else:
                        soname = value
        return ElfDynamic(elf.elfclass, str(elf["e_machine"]), tuple(needed), tuple(runpath), tuple(rpath),
                          soname, interpreter)
    except (ELFError, OSError):
        return None
    except Exception:  # damaged input: pyelftools' construct raises its own errors, and lookups fail with others
        return None


def ld_so_conf_dirs(texts: Mapping[str, str], paths: Iterable[str], start: str = LD_SO_CONF) -> list[str]:
    """The folders ``/etc/ld.so.conf`` lists, its ``include`` globs followed, in order, without repeats.

    ``texts`` maps a configuration file's path to its text (the image's ``/etc/ld.so.conf`` and
    every file under ``/etc/ld.so.conf.d``); ``paths`` are the image's paths, to expand globs
    against. ``hwcap`` lines and comments are ignored; an include loop is followed once.
    """
    known = sorted(paths)
    found: list[str] = []
    seen: set[str] = set()

    def read(conf: str) -> None:
        if conf in seen or conf not in texts:
            return
        seen.add(conf)
        for raw in texts[conf].splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            if words[0] == "include":
                for pattern in words[1:]:
                    if not pattern.startswith("/"):
                        pattern = posixpath.join(posixpath.dirname(conf), pattern)
                    for match in (p for p in known if fnmatch.fnmatchcase(p, pattern)):
                        read(match)
            elif words[0] == "hwcap":
                continue
            else:
                for folder in re.split(r"[\s:,=]+", line):
                    if folder.startswith("/"):
                        folder = posixpath.normpath(folder)
                        if folder not in found:
                            found.append(folder)

    read(start)
    return found


def read_ld_so_cache(data: bytes) -> dict[str, list[str]]:
    """Library name -> paths (in the cache's order) from the bytes of an ``/etc/ld.so.cache``.

    Reads the current format (``glibc-ld.so.cache1.1``, alone or after the old ``ld.so-1.7.0``
    table): a 48-byte header, then 24-byte entries whose name and path are offsets from the
    header. ``{}`` for anything else (the old format alone, damaged bytes); never raises.
    """
    start = data.find(_CACHE_MAGIC)
    if start < 0 or len(data) < start + 48:
        return {}
    count = int.from_bytes(data[start + 20:start + 24], "little")
    found: dict[str, list[str]] = {}

    def text(offset: int) -> str | None:
        begin = start + offset
        end = data.find(b"\0", begin)
        return data[begin:end].decode("utf-8", "replace") if 0 <= begin < end else None

    for index in range(min(count, (len(data) - start - 48) // 24)):
        entry = start + 48 + 24 * index
        name = text(int.from_bytes(data[entry + 4:entry + 8], "little"))
        path = text(int.from_bytes(data[entry + 8:entry + 12], "little"))
        if name and path and path.startswith("/"):
            found.setdefault(name, []).append(path)
    return found


def expand(entry: str, origin: str, machine: str) -> str:
    """A ``DT_RUNPATH``/``DT_RPATH`` folder with ``$ORIGIN`` (``origin``), ``$LIB`` and ``$PLATFORM`` filled in."""

    def token(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name == "ORIGIN":
            return origin
        if name == "LIB":
            return _LIB.get(machine, "lib")
        return _PLATFORM.get(machine, "")

    return posixpath.normpath(_TOKEN_RE.sub(token, entry))


@dataclass
class Closure:
    """What loading one file pulls in: every library found, and every needed name that is not."""

    found: dict[str, str] = field(default_factory=dict)
    """Needed name -> the image path it resolved to (the first one the loader takes)."""
    missing: list[str] = field(default_factory=list)
    """Needed names no search folder holds, sorted (``libpq.so.5``): the loader would refuse the file."""
    needed_by: dict[str, str] = field(default_factory=dict)
    """Missing name -> the path of the file that asked for it (the extension itself, or a library it loads)."""


class Resolver:
    """Resolve ELF dependencies against one image's files, as glibc's ``ld.so`` would (see the module doc).

    ``lookup(path)`` answers the image's real path of a regular file at ``path`` (links followed)
    or None; ``dynamic`` maps real paths to their :class:`ElfDynamic` (files not in it are not
    ELF or were not read, and are skipped like a file of the wrong class). ``library_path`` is
    the image's ``LD_LIBRARY_PATH``, ``cache`` its ``/etc/ld.so.cache`` (:func:`read_ld_so_cache`),
    ``configured`` the folders of :func:`ld_so_conf_dirs` (searched after the cache), and
    ``system_dirs`` replaces :data:`DEFAULT_DIRS` (musl's folders).
    """

    def __init__(self, lookup: Callable[[str], str | None], dynamic: Mapping[str, ElfDynamic], *,
                 library_path: str = "", configured: Iterable[str] = (), workdir: str = "/",
                 cache: Mapping[str, list[str]] | None = None, system_dirs: Iterable[str] | None = None) -> None:
        self._lookup = lookup
        self._dynamic = dynamic
        self._cache = cache or {}
        self._system_dirs = tuple(system_dirs) if system_dirs is not None else None
        self._library_path = [posixpath.normpath(d if d.startswith("/") else posixpath.join(workdir, d))
                              for d in library_path.split(":") if d]
        self._configured = list(configured)
        self._workdir = workdir or "/"

    def closure(self, path: str, *, loaded: Closure | None = None, loader_rpaths: tuple[str, ...] = ()) -> Closure:
        """Every library that loading ``path`` pulls in, breadth first as the loader goes.

        ``loaded`` is what the process already holds (the interpreter's own closure, for an
        extension that the interpreter loads with ``dlopen``); ``loader_rpaths`` are the expanded
        ``DT_RPATH`` folders of the objects that load ``path``. A ``path`` that is not a readable
        ELF file gives an empty closure.
        """
        result = Closure()
        names: dict[str, str] = dict(loaded.found) if loaded else {}
        real = self._lookup(path)
        root = self._dynamic.get(real) if real else None
        if root is None or real is None:
            return result
        # $ORIGIN is the folder of the path the loader opened, not of the file a link there points to
        queue: list[tuple[str, ElfDynamic, tuple[str, ...]]] = [(posixpath.normpath(path), root, loader_rpaths)]
        visited = {real}
        while queue:
            current, dyn, inherited = queue.pop(0)
            origin = posixpath.dirname(current)
            own_rpath = tuple(expand(e, origin, dyn.machine) for e in dyn.rpath)
            chain = (own_rpath + inherited) if not dyn.runpath else ()
            for name in dyn.needed:
                if name in names or name in result.found:
                    continue
                hit = self._search(name, dyn, current, chain)
                if hit is None:
                    if name not in result.needed_by:
                        result.needed_by[name] = current
                    continue
                opened, target, target_dyn = hit
                result.found[name] = target
                if target_dyn.soname:
                    result.found.setdefault(target_dyn.soname, target)
                if target not in visited:
                    visited.add(target)
                    queue.append((opened, target_dyn, own_rpath + inherited))
        result.missing = sorted(result.needed_by)
        return result

    def _search(self, name: str, wanting: ElfDynamic, holder: str, rpath_chain: tuple[str, ...]
                ) -> tuple[str, str, ElfDynamic] | None:
        """(the path opened, the real file, its facts) of the first candidate the loader accepts."""
        if "/" in name:
            candidates = [name if name.startswith("/") else posixpath.join(self._workdir, name)]
        else:
            origin = posixpath.dirname(holder)
            runpath = [expand(e, origin, wanting.machine) for e in wanting.runpath]
            defaults = self._system_dirs if self._system_dirs is not None else DEFAULT_DIRS.get(wanting.machine, FALLBACK_DIRS)
            first = [posixpath.join(folder, name) for folder in dict.fromkeys([*rpath_chain, *self._library_path, *runpath])]
            last = [posixpath.join(folder, name) for folder in dict.fromkeys([*self._configured, *defaults])]
            candidates = [*first, *self._cache.get(name, ()), *last]
        for candidate in candidates:
            opened = posixpath.normpath(candidate)
            real = self._lookup(opened)
            dyn = self._dynamic.get(real) if real else None
            if real is not None and dyn is not None and wanting.compatible(dyn):
                return opened, real, dyn
        return None

    def program_closure(self, program: str) -> Closure:
        """The closure of a program (the interpreter) plus its loader (``PT_INTERP``), as a process starts it."""
        result = self.closure(program)
        real = self._lookup(program)
        dyn = self._dynamic.get(real) if real else None
        if dyn is not None and dyn.interpreter:
            loader = self._lookup(dyn.interpreter)
            if loader is not None:
                result.found.setdefault(posixpath.basename(dyn.interpreter), loader)
                loader_dyn = self._dynamic.get(loader)
                if loader_dyn is not None and loader_dyn.soname:
                    result.found.setdefault(loader_dyn.soname, loader)
        return result
