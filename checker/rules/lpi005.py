"""LPI005: dependencies are installed before the source is copied."""

from __future__ import annotations

from collections.abc import Iterator

from checker.dockerfile import Instruction, PackageInstall
from checker.rules.base import Context, Flag, rule
from checker.rules.facts import whole_context_copy


#: Installing these is setting up tools, not the app's dependencies.
TOOLING = frozenset({"pip", "setuptools", "wheel", "uv", "poetry", "pipenv", "pdm", "virtualenv", "build", "hatch", "hatchling", "pip-tools", "poetry-plugin-export"})


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


@rule("LPI005", severity="warning", lesson="05_layer_cache.ipynb#dependencies-before-source", family="layers")
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
