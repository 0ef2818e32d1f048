"""LPI020: a stage that compiles C has the C library's headers, not only gcc."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from checker.dockerfile import Command, Dockerfile, Instruction, PackageInstall, Stage
from checker.rules.base import Context, Flag, rule
from checker.rules.facts import toolchain_base

_COMPILER_RE = re.compile(r"^(?:gcc|cc|clang)(?:-[\d.]+)?$")
#: Packages that bring the C library's headers along (as a dependency, not a recommendation):
#: libc6-dev itself, build-essential, g++ (libstdc++-dev depends on libc6-dev), zlib1g-dev and
#: the Python headers (python3-dev -> libpython3.X-dev -> zlib1g-dev -> libc6-dev); on Alpine
#: musl-dev, build-base, alpine-sdk; on Red Hat glibc-devel (gcc depends on it there).
_LIBC_HEADERS_RE = re.compile(
    r"^(?:libc6-dev|libc-dev|build-essential|g\+\+(?:-[\d.]+)?|libstdc\+\+(?:-[\d.]+)?-dev|zlib1g-dev|"
    r"(?:lib)?python3(?:\.\d+)?-dev|musl-dev|build-base|alpine-sdk|glibc-devel|gcc-c\+\+)$"
)
#: Packages PyPI has as a source distribution only (no Linux wheel), so pip compiles them.
SOURCE_ONLY = frozenset({"psycopg2", "mysqlclient", "uwsgi", "python-ldap", "dbus-python", "pygobject", "pyaudio"})
_EXPLICIT_COMPILE = frozenset({"gcc", "cc", "clang", "make", "cmake", "ninja", "cythonize"})


@dataclass(frozen=True)
class _Compiler:
    """A compiler installed without the C library's headers."""

    name: str
    install: PackageInstall
    instruction: Instruction


def _without_recommends(install: PackageInstall) -> bool:
    """apt told to skip recommended packages (gcc only recommends libc6-dev); apk has none at all."""
    if install.manager == "apk":
        return True
    if install.manager != "apt":
        return False
    settings = [value or "" for option, value in install.options if option in {"-o", "--option"}]
    return install.has("--no-install-recommends") or any(
        re.match(r"(?i)^APT::Install-Recommends=(?:false|0|no)$", value) for value in settings)


def _compiles(command: Command, install: PackageInstall | None) -> tuple[str, bool] | None:
    """``(what, certain)`` when ``command`` compiles C: certainly, or whenever a dependency has no wheel."""
    if command.program in _EXPLICIT_COMPILE or command.words[1:3] in (("setup.py", "build_ext"), ("setup.py", "build"), ("setup.py", "install")):
        return command.text, True
    if install is None or not install.python or install.subcommand not in {"install", "sync"}:
        return None
    source_only = [name for name in install.names if name in SOURCE_ONLY]
    if source_only:
        return f"pip install {', '.join(source_only)} (PyPI has no wheel for {'them' if len(source_only) > 1 else 'it'})", True
    if install.values("--no-binary"):
        return f"{install.command.text} (--no-binary builds from source)", True
    unseen = (install.requirement_files or install.subcommand == "sync" or install.manager in {"poetry", "pipenv", "pdm"}
              or any(package.startswith((".", "/")) for package in install.packages))
    if unseen:  # the packages are in a file we do not read: compiles whatever has no wheel
        return f"{install.command.text} (any dependency without a wheel, psycopg2 for example)", False
    return None


def _stage_problem(dockerfile: Dockerfile, stage: Stage) -> tuple[_Compiler, Instruction, str, bool] | None:
    """The compiler without headers and the first compile after it in ``stage``'s FROM chain."""
    if toolchain_base(dockerfile.lineage(stage)[0].base_resolved):
        return None
    compiler: _Compiler | None = None
    for member in dockerfile.lineage(stage):
        for instruction in member.instructions:
            if instruction.keyword != "RUN":
                continue
            installs = {id(install.command): install for install in instruction.installs}
            for command in instruction.commands:
                install = installs.get(id(command))
                if install is not None and install.system:
                    compilers = [name for name in install.names if _COMPILER_RE.match(name)]
                    if any(_LIBC_HEADERS_RE.match(name) for name in install.names) or (
                            compilers and install.manager == "apt" and not _without_recommends(install)):
                        return None  # the headers are there from here on (gcc's recommendations bring them)
                    if install.manager in {"yum", "dnf"}:
                        continue  # gcc depends on glibc-devel there: no trap
                    if compilers and _without_recommends(install) and compiler is None:
                        compiler = _Compiler(compilers[0], install, instruction)
                    continue
                if compiler is None:
                    continue
                found = _compiles(command, install)
                if found:
                    return compiler, instruction, found[0], found[1]
    return None


@rule("LPI020", severity="error", lesson="07_smaller_and_faster.ipynb#the-no-install-recommends-trap", family="packages")
def compiler_with_libc_headers(ctx: Context) -> Iterator[Flag]:
    """Install the C library headers with the compiler.

    Why it matters:
        apt-get install --no-install-recommends gcc leaves out libc6-dev, which gcc only
        recommends: without stdio.h, limits.h and the other C library headers, compiling
        psycopg2 (or any C extension) stops with "fatal error: ... .h: No such file or
        directory". On Alpine, gcc likewise needs musl-dev.
    How to fix:
        Name the headers with the compiler: apt-get install --no-install-recommends gcc libc6-dev
        (or build-essential); apk add gcc musl-dev (or build-base).
    """
    df = ctx.dockerfile
    reported: set[int] = set()
    for stage in df.stages:
        problem = _stage_problem(df, stage)
        if problem is None:
            continue
        compiler, compile_at, what, certain = problem
        if id(compiler.instruction) in reported:
            continue
        reported.add(id(compiler.instruction))
        if compiler.install.manager == "apk":
            why = f"{compiler.name} is installed without musl-dev, the C library headers Alpine's gcc does not bring"
        else:
            why = f"{compiler.name} is installed with --no-install-recommends and without libc6-dev, the C library headers gcc only recommends"
        outcome = "stops" if certain else "stops as soon as it builds anything from source"
        yield Flag(compiler.instruction.line,
                   f"{why}, so the compile on line {compile_at.line}, {what}, {outcome} with "
                   "\"fatal error: ... .h: No such file or directory\".",
                   severity=None if certain else "warning")
