"""Layer order and COPY habits: dependencies before source, COPY rather than ADD."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.dockerfile import Instruction, PackageInstall
from checker.rules.base import Context, Flag, rule

#: Files that describe dependencies: copying them first lets the install layer stay cached.
MANIFEST_RE = re.compile(
    r"(?:^|/)(?:[^/]*requirements[^/]*\.(?:txt|in)|constraints[^/]*\.txt|pyproject\.toml|"
    r"poetry\.lock|uv\.lock|pdm\.lock|Pipfile(?:\.lock)?|setup\.(?:py|cfg))$",
    re.IGNORECASE,
)
#: Installing these is setting up tools, not the app's dependencies.
TOOLING = frozenset({"pip", "setuptools", "wheel", "uv", "poetry", "pipenv", "pdm", "virtualenv", "build", "hatch", "hatchling", "pip-tools", "poetry-plugin-export"})
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


def dependency_install(install: PackageInstall) -> bool:
    """A Python install of the app's dependencies (not just pip/poetry/uv themselves)."""
    if install.system:
        return False
    if install.manager in {"poetry", "pipenv", "pdm"} or install.subcommand == "sync":
        return True
    if install.requirement_files:
        return True
    return any(name not in TOOLING for name in install.names)


def project_only(install: PackageInstall) -> bool:
    """Installs only the project itself, after its dependencies: pip --no-deps, poetry --only-root."""
    return install.has("--no-deps", "--no-dependencies", "--only-root")


def whole_context_copy(instruction: Instruction) -> bool:
    """COPY . . and the like (not COPY --from): the project, whatever it holds."""
    if instruction.keyword not in {"COPY", "ADD"} or instruction.flag("from"):
        return False
    sources, _ = instruction.sources_and_dest()
    return any(is_whole_context(source) for source in sources)


@rule("LPI005", severity="warning", lesson="05_layer_cache.ipynb#dependencies-before-source")
def dependencies_before_source(ctx: Context) -> Iterator[Flag]:
    """Copy the dependency manifest and install before copying the source.

    Why it matters:
        Docker reuses a cached layer only while everything before it is unchanged. When the
        whole project is copied before pip install, every edit to any source file reinstalls
        every dependency, turning a seconds-long rebuild into minutes.
    How to fix:
        COPY requirements.txt (or pyproject.toml and the lock file) first, run the install,
        and only then COPY the rest of the source.
    """
    for stage in ctx.dockerfile.stages:
        installed = False
        pending: Instruction | None = None
        for instruction in stage.instructions:
            if whole_context_copy(instruction) and not installed and pending is None:
                pending = instruction
            if instruction.keyword != "RUN":
                continue
            deps = [install for install in instruction.installs if dependency_install(install)]
            if not deps:
                continue
            if pending is not None and not all(project_only(install) for install in deps):
                yield Flag(pending.line, f"{pending.keyword} {pending.args} copies the project before the dependency install on line {instruction.line}, so every source change reinstalls all dependencies.")
                pending = None
            installed = installed or not all(project_only(install) for install in deps)


_ARCHIVE_RE = re.compile(r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$", re.IGNORECASE)


@rule("LPI017", severity="style", lesson="06_going_further.ipynb#copy-not-add")
def copy_not_add(ctx: Context) -> Iterator[Flag]:
    """Use COPY, not ADD, for local files.

    Why it matters:
        ADD also unpacks archives and downloads URLs, so a reader has to check which of the
        three it does; COPY only copies.
    How to fix:
        Write COPY for files from the build context. Download with RUN curl (and a checksum)
        when you need a file from the web.
    """
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword != "ADD":
            continue
        sources, _ = instruction.sources_and_dest()
        if not sources and instruction.heredocs:
            continue
        remote = [s for s in sources if re.match(r"^(?:https?|git)://|^git@", s)]
        if remote:
            yield Flag(instruction.line, f"ADD {remote[0]} downloads at build time without checking what arrives; use RUN curl with a checksum, or ADD --checksum on BuildKit.")
        elif not all(_ARCHIVE_RE.search(s) for s in sources):
            yield Flag(instruction.line, f"ADD {instruction.args} copies local files: COPY does the same without ADD's archive and URL magic.")
