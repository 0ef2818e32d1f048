"""Package-manager installs found in shell commands: apt, apk, yum/dnf, pip, uv, poetry, pipenv, pdm."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .shell import Command

_APT_VALUE_OPTIONS = frozenset({"-o", "-c", "-t", "--option", "--config-file", "--target-release", "--default-release"})
_APK_VALUE_OPTIONS = frozenset({"-t", "--virtual", "-X", "--repository", "-p", "--root", "--keys-dir", "--arch", "--cache-dir"})
_YUM_VALUE_OPTIONS = frozenset({"-x", "--exclude", "--installroot", "--releasever", "-c", "--config", "--setopt", "--enablerepo", "--disablerepo"})
_PIP_VALUE_OPTIONS = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target", "--prefix",
        "--root", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--src", "--platform",
        "--python-version", "--implementation", "--abi", "--cache-dir", "--progress-bar", "--log",
        "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host", "--cert",
        "--client-cert", "--global-option", "-C", "--config-settings", "--no-binary", "--only-binary",
        "--upgrade-strategy", "--report", "--root-user-action", "--python", "--keyring-provider",
        "--group", "-p", "--extra", "--only-group", "--with", "--without", "--only", "-E", "--extras",
        "--directory", "--project", "--package", "--index", "--default-index", "--link-mode", "--compile-bytecode-dir", "--categories", "--pypi-mirror",
    }
)
_PIP_PROGRAM_RE = re.compile(r"^pip(\d+(\.\d+)?)?$")
_PYTHON_PROGRAM_RE = re.compile(r"^python(\d+(\.\d+)?)?$")
_VERSION_SPLIT_RE = re.compile(r"[=<>!~\[;@ ]")


@dataclass(frozen=True)
class PackageInstall:
    """One package-manager install found in a RUN."""

    manager: str
    """``apt``, ``apk``, ``yum``, ``dnf``, ``pip``, ``uv``, ``poetry``, ``pipenv`` or ``pdm``."""
    subcommand: str
    """``install``, ``add``, ``sync``..."""
    packages: tuple[str, ...]
    """Package arguments as written (``libpq5``, ``fastapi==0.115``, ``.``)."""
    options: tuple[tuple[str, str | None], ...]
    """``(option, value)`` pairs; value None for switches like ``--no-cache-dir``."""
    command: Command
    """The simple command the install was read from."""
    program: str = ""
    """The program as written: ``pip``, ``/opt/venv/bin/pip``, ``python3`` (for ``-m pip``)."""

    @property
    def system(self) -> bool:
        """True for OS package managers (apt, apk, yum, dnf)."""
        return self.manager in {"apt", "apk", "yum", "dnf"}

    @property
    def python(self) -> bool:
        """True for Python package managers (pip, uv, poetry, pipenv, pdm)."""
        return not self.system

    @property
    def names(self) -> tuple[str, ...]:
        """Package names without versions or extras (``libpq5=15.*`` -> ``libpq5``)."""
        names = []
        for package in self.packages:
            name = _VERSION_SPLIT_RE.split(package, 1)[0].strip()
            if name:
                names.append(name.lower() if self.python else name)
        return tuple(names)

    def has(self, *names: str) -> bool:
        """True when any of the options ``names`` (``"--no-cache-dir"``, ``"-n"``) was given."""
        return any(option in names for option, _ in self.options)

    def value(self, *names: str) -> str | None:
        """The value of the first of the options ``names`` given, None when absent or a switch."""
        for option, value in self.options:
            if option in names:
                return value
        return None

    def values(self, *names: str) -> tuple[str, ...]:
        """Every value given to any of the options ``names``, in order."""
        return tuple(value for option, value in self.options if option in names and value is not None)

    @property
    def requirement_files(self) -> tuple[str, ...]:
        """The files named with ``-r``/``--requirement``, as written."""
        return self.values("-r", "--requirement")


def _split_options(words: Iterable[str], value_options: frozenset[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Split a package manager's arguments into ``(option, value)`` pairs and positional words."""
    options: list[tuple[str, str | None]] = []
    positional: list[str] = []
    iterator = iter(words)
    for word in iterator:
        if word.startswith("--") and "=" in word:
            name, _, value = word.partition("=")
            options.append((name, value))
        elif word in value_options:
            options.append((word, next(iterator, None)))
        elif word.startswith("-") and len(word) > 1:
            # short options with attached values (-rrequirements.txt) or bundled switches (-qy)
            if not word.startswith("--") and word[:2] in value_options and len(word) > 2:
                options.append((word[:2], word[2:]))
            elif not word.startswith("--") and len(word) > 2:
                options.extend((f"-{letter}", None) for letter in word[1:])
            else:
                options.append((word, None))
        else:
            positional.append(word)
    return options, positional


def _install_from(command: Command) -> PackageInstall | None:
    """The install ``command`` runs, or None when it installs nothing."""
    words = list(command.words)
    if not words:
        return None
    program = posixpath.basename(words[0])
    if program in {"apt-get", "apt", "aptitude"}:
        options, positional = _split_options(words[1:], _APT_VALUE_OPTIONS)
        if positional and positional[0] == "install":
            return PackageInstall("apt", "install", tuple(positional[1:]), tuple(options), command, words[0])
        return None
    if program == "apk":
        options, positional = _split_options(words[1:], _APK_VALUE_OPTIONS)
        if positional and positional[0] == "add":
            return PackageInstall("apk", "add", tuple(positional[1:]), tuple(options), command, words[0])
        return None
    if program in {"yum", "dnf", "microdnf", "tdnf"}:
        options, positional = _split_options(words[1:], _YUM_VALUE_OPTIONS)
        if positional and positional[0] == "install":
            manager = "yum" if program == "yum" else "dnf"
            return PackageInstall(manager, "install", tuple(positional[1:]), tuple(options), command, words[0])
        return None
    rest: list[str] | None = None
    manager = ""
    if _PIP_PROGRAM_RE.match(program):
        rest, manager = words[1:], "pip"
    elif _PYTHON_PROGRAM_RE.match(program):
        tail = words[1:]
        while tail and tail[0].startswith("-") and tail[0] != "-m":
            tail = tail[1:]
        if len(tail) >= 2 and tail[0] == "-m" and tail[1] == "pip":
            rest, manager = tail[2:], "pip"
        elif len(tail) >= 2 and tail[0] == "-m" and tail[1] in {"uv", "poetry", "pipenv"}:
            words = [tail[1], *tail[2:]]
            program = tail[1]
    if rest is None and program == "uv":
        tail = words[1:]
        if tail[:1] == ["pip"]:
            rest, manager = tail[1:], "uv"
        elif tail[:1] == ["sync"]:
            options, positional = _split_options(tail[1:], _PIP_VALUE_OPTIONS)
            return PackageInstall("uv", "sync", tuple(positional), tuple(options), command, words[0])
        else:
            return None
    if rest is None and program in {"poetry", "pipenv", "pdm"}:
        options, positional = _split_options(words[1:], _PIP_VALUE_OPTIONS)
        if positional and positional[0] in {"install", "sync"}:
            return PackageInstall(program, positional[0], tuple(positional[1:]), tuple(options), command, words[0])
        return None
    if rest is None:
        return None
    options, positional = _split_options(rest, _PIP_VALUE_OPTIONS)
    if not positional or positional[0] not in {"install", "sync"}:
        return None
    editables = [value for option, value in options if option in {"-e", "--editable"} and value]
    return PackageInstall(manager, positional[0], tuple(positional[1:] + editables), tuple(options), command, words[0])


def package_installs(commands: Iterable[Command]) -> tuple[PackageInstall, ...]:
    """The package-manager installs among shell commands (see :func:`split_commands`)."""
    found = []
    for command in commands:
        install = _install_from(command)
        if install is not None:
            found.append(install)
    return tuple(found)
