"""What a stage's layers keep installed: the one reading LPI001, LPI002, LPI003 and LPI020 share.

A layer holds what its RUN leaves on disk when it ends. A package installed, used and removed in
the same RUN (``apt-get install gcc && pip install ... && apt-get purge -y --auto-remove gcc``,
``apk add --virtual .build-deps gcc && ... && apk del .build-deps``) is in no layer, so it does
not ship. A package removed by a LATER RUN still ships: its bytes stay in the earlier layer, and
the later one only hides them. Pure functions over :mod:`checker.dockerfile`'s model.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from checker.dockerfile import Command, Instruction, PackageInstall

_APT = frozenset({"apt-get", "apt", "aptitude"})
_RPM = frozenset({"yum", "dnf", "microdnf", "tdnf"})
_AUTO_REMOVE = frozenset({"--auto-remove", "--autoremove"})


@dataclass(frozen=True)
class Installed:
    """One OS package a RUN installs and does not remove before it ends: it is in that RUN's layer."""

    name: str
    """The package name as installed (``gcc``, ``libpq-dev``)."""
    install: PackageInstall
    instruction: Instruction
    """The RUN whose layer holds the package."""
    removed_by: Instruction | None = None
    """A later RUN among the instructions read that removes it: the bytes stay in :attr:`instruction`'s layer."""


def _arguments(command: Command) -> list[str]:
    """The command's words after the program, options dropped (``purge -y gcc`` -> ``purge gcc``)."""
    return [word for word in command.words[1:] if not word.startswith("-")]


def _is_pattern(word: str) -> bool:
    """``'.*'``, ``'*'``, ``$saved``: an apt-mark argument that may name any package."""
    return any(ch in word for ch in "*?[$^")


def _removes(command: Command, candidates: set[str], virtual: str | None, auto: set[str]) -> set[str]:
    """Which of ``candidates`` ``command`` uninstalls; ``auto`` are those apt-mark marked automatic."""
    program = posixpath.basename(command.words[0]) if command.words else ""
    rest = _arguments(command)
    if not rest:
        return set()
    verb, listed = rest[0], set(rest[1:])
    if program == "apk" and verb == "del":
        return set(candidates) if virtual and virtual in listed else candidates & listed
    if program in _APT and verb in {"purge", "remove"}:
        removed = candidates & listed
        if any(word in _AUTO_REMOVE for word in command.words):
            removed |= candidates & auto
        return removed
    if program in _APT and verb == "autoremove":
        return candidates & auto
    if program in _RPM and verb in {"remove", "erase"}:
        return candidates & listed
    return set()


def _mark(command: Command, candidates: set[str], auto: set[str]) -> None:
    """Follow ``apt-mark auto|manual``: the official images' pattern before ``--auto-remove``."""
    if not command.words or posixpath.basename(command.words[0]) != "apt-mark":
        return
    rest = _arguments(command)
    if not rest:
        return
    named = set(rest[1:])
    if rest[0] == "auto":
        auto |= candidates if any(_is_pattern(word) for word in named) else candidates & named
    elif rest[0] == "manual":
        auto -= named


def removed_in_same_run(instruction: Instruction, install: PackageInstall) -> frozenset[str]:
    """The names ``install`` adds that a later command of the same RUN removes again.

    Understood: ``apt-get purge|remove`` (and ``--auto-remove``/``autoremove`` of packages
    ``apt-mark auto`` marked), ``apk del`` of a package or of the ``--virtual`` group,
    ``yum|dnf remove|erase``.
    """
    candidates = set(install.names)
    virtual = install.value("--virtual", "-t") if install.manager == "apk" else None
    removed: set[str] = set()
    auto: set[str] = set()
    seen = False
    for command in instruction.commands:
        if command is install.command:
            seen = True
            continue
        if not seen:
            continue
        _mark(command, candidates, auto)
        removed |= _removes(command, candidates - removed, virtual, auto)
    return frozenset(removed)


def _removed_later(name: str, install: PackageInstall, later: Iterable[Instruction]) -> Instruction | None:
    """The first RUN among ``later`` that removes ``name`` (a removal that cannot shrink the image)."""
    virtual = install.value("--virtual", "-t") if install.manager == "apk" else None
    for instruction in later:
        if any(_removes(command, {name}, virtual, set()) for command in instruction.commands):
            return instruction
    return None


def kept_installs(instructions: Iterable[Instruction], *, system_only: bool = True) -> Iterator[Installed]:
    """Each package the RUNs among ``instructions`` install and keep in their layer, in order.

    ``instructions`` are read in order (a stage's, or the final lineage's); a package removed in
    the RUN that installed it is left out, one removed by a later RUN among them is kept with
    :attr:`Installed.removed_by` set. ``system_only`` keeps to apt/apk/yum/dnf installs.
    """
    runs = [instruction for instruction in instructions if instruction.keyword == "RUN"]
    for position, instruction in enumerate(runs):
        for install in instruction.installs:
            if system_only and not install.system:
                continue
            gone = removed_in_same_run(instruction, install)
            for name in install.names:
                if name not in gone:
                    yield Installed(name, install, instruction, _removed_later(name, install, runs[position + 1:]))


def removed_in_same_run_names(instructions: Iterable[Instruction]) -> list[str]:
    """The OS packages installed and removed again within one RUN, in order (for advice)."""
    names: list[str] = []
    for instruction in instructions:
        for install in instruction.installs if instruction.keyword == "RUN" else ():
            if install.system:
                gone = removed_in_same_run(instruction, install)
                names.extend(name for name in install.names if name in gone)
    return names


def later_removal_note(packages: Iterable[Installed]) -> str:
    """`` (line N removes it, but too late: ...)`` when a later RUN removes any of ``packages``, else ""."""
    late = [(package, package.removed_by) for package in packages if package.removed_by is not None]
    if not late:
        return ""
    first, remover = late[0]
    pronoun = "them" if len(late) > 1 else "it"
    return (f" (line {remover.line} removes {pronoun}, but too late: the bytes stay in the layer of line "
            f"{first.instruction.line}; remove {pronoun} in the same RUN that installs {pronoun})")
