"""Ask the package index, live, which of a project's packages have a wheel for a given platform.

We run ``pip download --only-binary=:all: --platform <tag>... --python-version <X.Y> --no-deps``
into a temporary folder (removed afterwards). pip answers exactly the question "could `pip
install` on that platform use a pre-built wheel?", given every platform tag that system accepts
(a musl 1.2 system also takes musllinux_1_1 wheels; glibc 2.41 takes manylinux_2_17 ones; every
system takes pure-Python ``none-any`` wheels). When no wheel fits, installing there means compiling.

pip is run without configuration files and without local wheel folders (``PIP_FIND_LINKS``), so the
answer comes from the index (PyPI, or ``PIP_INDEX_URL`` when that is set), not from a cache.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .table import Table

@dataclass(frozen=True)
class Platform:
    """A target system, as the list of wheel platform tags its pip would accept."""

    label: str
    tags: tuple[str, ...]


def musllinux(minor: int = 2, arch: str = "x86_64") -> Platform:
    """musl 1.<minor>: accepts musllinux_1_<minor> wheels and every older musllinux_1_x."""
    return Platform(f"musl 1.{minor} (Alpine)", tuple(f"musllinux_1_{m}_{arch}" for m in range(minor, -1, -1)))


def manylinux(glibc_minor: int, arch: str = "x86_64") -> Platform:
    """glibc 2.<minor>: accepts manylinux_2_<m> for every m up to its own, and the legacy aliases."""
    tags = [f"manylinux_2_{m}_{arch}" for m in range(glibc_minor, 4, -1)]
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    tags += [f"{name}_{arch}" for minimum, name in legacy.items() if glibc_minor >= minimum]
    return Platform(f"glibc 2.{glibc_minor} (Debian slim)", tuple(tags))


#: pip's --platform takes exact tags (it does not widen musllinux_1_2 to musllinux_1_1), so a
#: platform is checked with every tag its own pip would accept.
MUSL = musllinux(2)


@dataclass(frozen=True)
class WheelCheck:
    """Whether pip found a wheel of ``requirement`` for one platform (see :func:`check_platform`)."""

    requirement: str
    platform: str
    """The platform's label."""
    wheel: str | None
    """The file pip chose, or None when no wheel fits."""
    error: str | None = None
    """Set when the index could not be asked (no network): then we do not know."""

    @property
    def known(self) -> bool:
        """Whether the index answered (False: we do not know if a wheel exists)."""
        return self.error is None

    @property
    def kind(self) -> str:
        """One phrase for a table: unknown, no wheel (compiles from source), pure Python or binary wheel."""
        if self.error:
            return "unknown (index not reachable)"
        if self.wheel is None:
            return "no wheel: compiles from source"
        if self.wheel.endswith("-none-any.whl"):
            return "pure Python wheel"
        return "binary wheel"

    @property
    def name(self) -> str:
        """The requirement's project name, canonical (see :func:`canonical`)."""
        return project_name(self.requirement)


def canonical(name: str) -> str:
    """A project name normalised as PyPI compares them (PEP 503): ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_name(requirement: str) -> str:
    """The canonical project name of a requirement specifier: ``Foo_Bar[x]>=1.2`` -> ``foo-bar``."""
    return canonical(re.split(r"[=<>!~\[; ]", requirement, maxsplit=1)[0])


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX", "PIP_CONFIG_FILE"}}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


_NO_MATCH = re.compile(r"No matching distribution found for (\S+)")


def _download(requirements: list[str], platform: Platform, python_version: str, dest: str,
              timeout_s: float) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--python-version", python_version, "--dest", dest]
    for tag in platform.tags:
        command += ["--platform", tag]
    return subprocess.run(command + requirements, capture_output=True, text=True, timeout=timeout_s, env=_env())


def check_platform(requirements: Iterable[str], platform: Platform, *, python_version: str = "3.13",
                   timeout_s: float = 300) -> list[WheelCheck]:
    """Which requirements have a wheel for ``platform``: `pip download --only-binary=:all: --no-deps`.

    pip is asked for all of them at once; when it names one with no matching distribution, that
    one is recorded as "no wheel" and pip is asked again for the rest. With ``--no-deps`` each
    requirement is resolved on its own, so this gives the same answer as one call per package, in
    a few calls instead of dozens.
    """
    pending = list(requirements)
    found: dict[str, WheelCheck] = {}
    with tempfile.TemporaryDirectory(prefix="lpi-wheels-") as tmp:
        while pending:
            try:
                completed = _download(pending, platform, python_version, tmp, timeout_s)
            except subprocess.TimeoutExpired:
                error = f"pip did not answer within {timeout_s:.0f} s"
                found.update({req: WheelCheck(req, platform.label, None, error) for req in pending})
                break
            text = completed.stdout + completed.stderr
            missing = _NO_MATCH.search(text)
            if completed.returncode == 0:
                files = {canonical(path.name.split("-", 1)[0]): path.name for path in Path(tmp).glob("*.whl")}
                for req in pending:
                    wheel = files.get(project_name(req))
                    found[req] = WheelCheck(req, platform.label, wheel,
                                            None if wheel else "pip reported success but saved no wheel")
                break
            if missing:
                culprit = next((req for req in pending if canonical(req.split("==")[0]) ==
                                project_name(missing.group(1))), None)
                if culprit is not None:
                    found[culprit] = WheelCheck(culprit, platform.label, None)
                    pending.remove(culprit)
                    continue
            lines = [line for line in text.strip().splitlines() if line.strip()]
            error = lines[-1] if lines else f"pip exited with {completed.returncode}"
            found.update({req: WheelCheck(req, platform.label, None, error) for req in pending})
            break
    return [found[req] for req in requirements if req in found]


def check(requirements: Iterable[str], *, platforms: Iterable[Platform] = (MUSL,), python_version: str = "3.13") -> list[WheelCheck]:
    """Check every requirement on every platform (the platforms are asked in parallel).

    Returns one :class:`WheelCheck` per requirement and platform, platform by platform. Never
    raises for an unreachable index: those checks carry an ``error`` instead.
    """
    requirements = list(requirements)
    with ThreadPoolExecutor(max_workers=4) as pool:
        batches = list(pool.map(lambda p: check_platform(requirements, p, python_version=python_version), platforms))
    return [result for batch in batches for result in batch]


def requirement_lines(text: str) -> list[str]:
    """The requirement specifiers of a requirements file or of `pip freeze` output."""
    found = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            found.append(line)
    return found


def wheel_table(results: Iterable[WheelCheck], platforms: Iterable[Platform]) -> Table:
    """One row per requirement, one column per platform (its :attr:`WheelCheck.kind`), and the wheel file
    pip chose for the first platform."""
    labels = [p.label for p in platforms]
    by_req: dict[str, dict[str, WheelCheck]] = {}
    for result in results:
        by_req.setdefault(result.requirement, {})[result.platform] = result
    table = Table(["package", *labels, "wheel pip chose (first platform)"])
    for requirement, found in by_req.items():
        first = found.get(labels[0])
        table.add(package=requirement, **{label: found[label].kind if label in found else "" for label in labels},
                  **{"wheel pip chose (first platform)": first.wheel if first and first.wheel else ""})
    return table
