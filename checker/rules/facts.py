"""Facts about a Dockerfile that several rules share, each computed once per Dockerfile.

Pure functions and a :class:`Facts` object over the parsed model of :mod:`checker.dockerfile`;
nothing here reads files or talks to an engine.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from collections.abc import Iterator

from checker.dockerfile import Dockerfile, Instruction, parse_image_ref, Stage
from checker.dockerfile.shell import Command, comments, split_commands

#: Paths that hold the system Python or the whole OS; copying them drags everything along.
_SYSTEM_PATH_RE = re.compile(
    r"^/(?:usr(?:/local)?(?:/lib(?:64)?(?:/python[\d.*]*(?:/(?:site|dist)-packages)?)?|/bin)?)?/?\*?$"
)


def normalise_path(path: str) -> str:
    """``/opt/venv/`` -> ``/opt/venv``; keeps a lone ``/``."""
    if not path:
        return path
    clean = posixpath.normpath(path)
    return "/" if clean in {"/", "//"} else clean


def is_system_python_path(path: str) -> bool:
    """True for ``/``, ``/usr``, ``/usr/local``, ``/usr/local/lib/python3.13/site-packages``..."""
    stripped = path.rstrip("*") or "/"
    return bool(_SYSTEM_PATH_RE.match(normalise_path(stripped)))


def path_covers(outer: str, inner: str) -> bool:
    """True when copying ``outer`` also copies ``inner`` (same path or a parent of it)."""
    outer, inner = normalise_path(outer.rstrip("*")), normalise_path(inner)
    if outer in {"", "/"}:
        return True
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


@dataclass(frozen=True)
class CopyFrom:
    """A ``COPY --from=`` in a stage that ships, resolved to the stage it copies from."""

    instruction: Instruction
    source_stage: Stage | None
    """The earlier stage named by ``--from``; None when it names an external image."""
    sources: tuple[str, ...]
    dest: str | None


class Facts:
    """Derived facts about one Dockerfile, shared by rules so each is computed once."""

    def __init__(self, dockerfile: Dockerfile) -> None:
        self.dockerfile = dockerfile
        self.final = dockerfile.final_stage
        self.lineage = dockerfile.final_lineage
        self.shipping_indexes = frozenset(stage.index for stage in self.lineage)

    def ships(self, stage: Stage | int) -> bool:
        """True when ``stage`` (or the stage of that index) is the final stage or one it is built FROM."""
        index = stage if isinstance(stage, int) else stage.index
        return index in self.shipping_indexes

    def shipping_instructions(self, *keywords: str) -> Iterator[Instruction]:
        """Instructions whose layers or settings end up in the final image, in order."""
        for stage in self.lineage:
            for instruction in stage.instructions:
                if not keywords or instruction.keyword in keywords:
                    yield instruction

    @cached_property
    def final_copies_from(self) -> tuple[CopyFrom, ...]:
        """``COPY --from`` (and ``ADD --from``) instructions in the stages that ship."""
        found = []
        for instruction in self.shipping_instructions("COPY", "ADD"):
            ref = instruction.flag("from")
            if ref is None:
                continue
            sources, dest = instruction.sources_and_dest()
            stage = self.dockerfile.stage_for(ref, before=instruction.stage)
            found.append(CopyFrom(instruction, stage, sources, dest))
        return tuple(found)

    @cached_property
    def copied_stage_indexes(self) -> frozenset[int]:
        """Earlier stages (outside the final lineage) that the final image copies from."""
        return frozenset(
            copy.source_stage.index
            for copy in self.final_copies_from
            if copy.source_stage is not None and not self.ships(copy.source_stage)
        )

    def copied_paths_from(self, stage: Stage) -> tuple[str, ...]:
        """Every path the shipping stages copy out of ``stage`` (or its FROM ancestors)."""
        paths: list[str] = []
        for copy in self.final_copies_from:
            if copy.source_stage is None:
                continue
            lineage = {member.index for member in self.dockerfile.lineage(copy.source_stage)}
            if stage.index in lineage:
                paths.extend(copy.sources)
        return tuple(paths)

    def severity_for(self, stage: Stage, shipped: str = "warning", builder: str = "info") -> str:
        """``shipped`` for a problem in a stage that ships, ``builder`` for one in a build-only stage."""
        return shipped if self.ships(stage) else builder


def python_variant(ref: str) -> str | None:
    """For an official-style ``python`` image: ``slim``, ``alpine``, ``full`` (ships gcc) or ``windows``."""
    parsed = parse_image_ref(ref)
    if parsed.name != "python":
        return None
    tag = (parsed.tag or "latest").lower()
    if "slim" in tag:
        return "slim"
    if "alpine" in tag:
        return "alpine"
    if "windowsservercore" in tag or "nanoserver" in tag:
        return "windows"
    return "full"


#: Compilers and build systems by package name (any distribution), with an optional version suffix.
TOOL_RE = re.compile(
    r"^(?:gcc|g\+\+|cc|c\+\+|cpp|clang|clang\+\+|llvm|gfortran|make|cmake|ninja|ninja-build|"
    r"autoconf|automake|libtool|pkg-config|pkgconf|pkgconfig|build-essential|build-base|"
    r"musl-dev|linux-headers|libc6-dev|libc-dev|binutils|cargo|rust|rustc|golang|go|swig|"
    r"bison|flex|kernel-headers|glibc-devel|alpine-sdk)(?:-[\d.]+)?$"
)
#: Header packages: ``libpq-dev`` (Debian, Alpine), ``postgresql-devel`` (Red Hat).
DEV_RE = re.compile(r"-(?:dev|devel)$")
#: Images that are a toolchain whatever their tag, and images whose non-slim tags ship one.
_TOOLCHAIN_IMAGES = frozenset({"gcc", "golang", "rust", "buildpack-deps"})
_FULL_VARIANT_IMAGES = frozenset({"python", "node", "ruby", "perl"})


def is_build_tool(package: str) -> bool:
    """Compilers, build systems and header packages: gcc, make, build-essential, libpq-dev..."""
    return bool(TOOL_RE.match(package) or DEV_RE.search(package))


def toolchain_base(ref: str) -> bool:
    """The image ships a compiler whatever is installed on it: python:3.13, gcc, buildpack-deps..."""
    parsed = parse_image_ref(ref)
    tag = (parsed.tag or "latest").lower()
    if parsed.name == "buildpack-deps":
        return not any(light in tag for light in ("curl", "scm"))
    if parsed.name in _TOOLCHAIN_IMAGES:
        return True
    if parsed.name == "python":
        return python_variant(ref) == "full"
    return parsed.name in _FULL_VARIANT_IMAGES and not any(light in tag for light in ("slim", "alpine", "windows"))


#: Files that describe dependencies: copying them first lets the install layer stay cached.
MANIFEST_RE = re.compile(
    r"(?:^|/)(?:[^/]*requirements[^/]*\.(?:txt|in)|constraints[^/]*\.txt|pyproject\.toml|"
    r"poetry\.lock|uv\.lock|pdm\.lock|Pipfile(?:\.lock)?|setup\.(?:py|cfg))$",
    re.IGNORECASE,
)
_GLOB = re.compile(r"[*?\[]")


def is_whole_context(source: str) -> bool:
    """``.``, ``./``, ``*``, ``*.py``: a copy of the project rather than of named files."""
    clean = source.strip()
    while clean.startswith("./") and len(clean) > 2:
        clean = clean[2:]
    if clean in {".", "./", "/", "*", "./*", "/*"}:
        return True
    first = clean.strip("/").split("/", 1)[0]
    return bool(_GLOB.search(first)) and not MANIFEST_RE.search(clean)


def whole_context_copy(instruction: Instruction) -> bool:
    """COPY . . and the like (not COPY --from): the project, whatever it holds."""
    if instruction.keyword not in {"COPY", "ADD"} or instruction.flag("from"):
        return False
    sources, _ = instruction.sources_and_dest()
    return any(is_whole_context(source) for source in sources)


def commented_commands(dockerfile: Dockerfile, instruction: Instruction) -> tuple[tuple[int, Command], ...]:
    """Commands a RUN writes inside a shell comment, which therefore never run: ``(line, command)``.

    A ``#`` at the start of a word comments out the rest of the line, and Docker joins ``\\``
    continuation lines into one before the shell sees them, so ``apt-get install foo # note \\``
    followed by ``&& rm -rf /var/lib/apt/lists/*`` puts the ``rm`` inside the comment. ``line``
    is the 1-based physical line of the ``#``.
    """
    if instruction.keyword != "RUN":
        return ()
    physical = dockerfile.text.split("\n")[instruction.line - 1:instruction.end_line]
    found: list[tuple[int, Command]] = []
    for _, text in comments(instruction.shell_script):
        line = instruction.line
        for number, row in enumerate(physical):
            row_comments = comments(row.rstrip(" \t").removesuffix(dockerfile.escape))
            if row_comments and text.startswith(row_comments[0][1].rstrip()):
                line = instruction.line + number
                break
        found.extend((line, command) for command in split_commands(text.lstrip("#")))
    return tuple(found)
