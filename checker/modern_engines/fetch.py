"""Fetch a modern Docker engine's binaries from Debian's mirror into a private prefix.

Nothing is installed on the host: a private apt configuration (own sources.list, state and cache
directories) downloads the ``.deb`` files, and ``dpkg-deb -x`` unpacks them under
``<prefix>/<suite>/root``. The suites are tried newest first; the first whose ``docker.io`` is at
least :data:`MIN_DOCKER_MAJOR` and can be fetched wins, and trixie is the fallback whatever its
version. runc is deliberately not fetched: sid's runc needs glibc 2.38, so the host's (bookworm's)
runc is used; every binary fetched is checked against the host's glibc before it is used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Suites tried in order: testing and unstable carry Docker 28.5.2; trixie (26.1.5) is the fallback.
SUITES: tuple[str, ...] = ("forky", "sid", "trixie")
#: The suite used even when its docker.io is older than :data:`MIN_DOCKER_MAJOR`.
FALLBACK_SUITE = "trixie"
#: A suite is preferred only when its docker.io has at least this major version.
MIN_DOCKER_MAJOR = 27
#: The packages unpacked into the prefix.
PACKAGES: tuple[str, ...] = ("docker.io", "docker-cli", "containerd", "docker-buildx")
#: Unpacked too when the suite has them: tini-static is dockerd's ``docker-init`` (static, no glibc;
#: forky and sid only, so ``docker run --init`` is unavailable on a trixie engine).
OPTIONAL_PACKAGES: tuple[str, ...] = ("tini-static",)
#: Binaries whose glibc needs are checked against the host's, relative to the unpacked root.
LINKED_BINARIES: tuple[str, ...] = (
    "usr/sbin/dockerd", "usr/sbin/docker-proxy", "usr/bin/containerd", "usr/bin/containerd-shim-runc-v2", "usr/bin/docker",
)
#: Written last into an unpacked root: the suite, the versions, the binaries' glibc needs.
STAMP = "lpi-engine.json"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class FetchError(RuntimeError):
    """The engine's packages could not be fetched or cannot run here; the message is one sentence."""


@dataclass(frozen=True)
class Bundle:
    """An unpacked modern engine: where its files are and what they are."""

    suite: str
    """The Debian suite the packages came from (``forky``, ``sid`` or ``trixie``)."""
    root: Path
    """The unpacked tree: ``root/usr/sbin/dockerd``, ``root/usr/bin/containerd``, ..."""
    versions: dict
    """Package name -> Debian version string, as apt downloaded it."""
    glibc_needed: str
    """The highest ``GLIBC_x.y`` symbol version any of :data:`LINKED_BINARIES` needs (``2.34``)."""

    @property
    def dockerd(self) -> Path:
        """The dockerd binary."""
        return self.root / "usr/sbin/dockerd"

    @property
    def docker_cli(self) -> Path:
        """The bundle's own docker CLI (newer than the host's; buildx beside it)."""
        return self.root / "usr/bin/docker"

    @property
    def path_dirs(self) -> list[Path]:
        """Directories to put first on dockerd's PATH (containerd, its shim); runc stays the host's."""
        return [self.root / "usr/bin", self.root / "usr/sbin"]


def load(prefix: Path) -> Bundle | None:
    """The bundle already unpacked under ``prefix`` (the newest suite first), or None when none is complete."""
    for suite in SUITES:
        stamp = prefix / suite / "root" / STAMP
        if stamp.is_file():
            data = json.loads(stamp.read_text())
            return Bundle(suite, stamp.parent, data["versions"], data["glibc_needed"])
    return None


def ensure(prefix: Path, *, mirror: str = DEFAULT_MIRROR, progress=print) -> Bundle:
    """The bundle under ``prefix``, fetched and unpacked first when missing; idempotent.

    ``progress`` receives one line per step. Raises :class:`FetchError` (one sentence naming the
    package and the suite) when no suite can be fetched, or when its binaries need a newer glibc
    than the host has.
    """
    bundle = load(prefix)
    if bundle is not None:
        return bundle
    for tool in ("apt-get", "apt-cache", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise FetchError(f"package docker.io cannot be fetched from Debian {SUITES[0]} here: {tool} is missing (Debian/Ubuntu only)")
    failures: list[str] = []
    for suite in SUITES:
        try:
            return _fetch_suite(prefix, suite, mirror, progress, accept_any_version=suite == FALLBACK_SUITE)
        except FetchError as exc:
            failures.append(str(exc))
            progress(f"engines: {exc}")
    raise FetchError(
        f"The modern Docker engine could not be fetched from {mirror}: {failures[-1]} "
        f"(tried {', '.join(SUITES)})."
    )


def _apt_options(base: Path) -> list[str]:
    """apt options that keep every file apt reads or writes under ``base`` (nothing of the host's)."""
    return [
        "-o", f"Dir::Etc={base / 'etc'}",
        "-o", f"Dir::Etc::sourcelist={base / 'etc/sources.list'}",
        "-o", "Dir::Etc::sourceparts=-",
        "-o", f"Dir::Etc::parts={base / 'etc/apt.conf.d'}",
        "-o", f"Dir::Etc::preferencesparts={base / 'etc/preferences.d'}",
        "-o", f"Dir::State={base / 'state'}",
        "-o", f"Dir::State::status={base / 'state/status'}",
        "-o", f"Dir::Cache={base / 'cache'}",
        # forky's and sid's Release files carry a Valid-Until already past.
        "-o", "Acquire::Check-Valid-Until=false",
        "-o", "Acquire::Languages=none",
        "-o", "APT::Architecture=amd64",
        "-o", "Debug::NoLocking=true",
    ]


def _run(command: list[str], *, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``command`` capturing text output; never raises for a non-zero exit."""
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"})


def _last_error(result: subprocess.CompletedProcess) -> str:
    """The most telling line of apt's output: its last ``E:`` line, else its last line."""
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("E:", "Err:"))]
    return (errors or lines or ["no output"])[-1]


def _fetch_suite(prefix: Path, suite: str, mirror: str, progress, *, accept_any_version: bool) -> Bundle:
    """Download :data:`PACKAGES` from ``suite`` and unpack them under ``prefix/suite/root``."""
    base = prefix / suite / "apt"
    for sub in ("etc/apt.conf.d", "etc/preferences.d", "state/lists/partial", "cache/archives/partial"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "state/status").touch()
    (base / "etc/sources.list").write_text(
        f"deb [signed-by={_KEYRING} check-valid-until=no] {mirror} {suite} main\n"
    )
    options = _apt_options(base)
    progress(f"engines: reading Debian {suite}'s package index from {mirror}")
    result = _run(["apt-get", *options, "update"])
    if result.returncode != 0 or "Err:" in result.stdout:
        raise FetchError(f"package docker.io from Debian {suite}: the index could not be read ({_last_error(result)})")
    versions: dict[str, str] = {}
    for package in PACKAGES + OPTIONAL_PACKAGES:
        shown = _run(["apt-cache", *options, "show", "--no-all-versions", package])
        match = re.search(r"^Version: (\S+)", shown.stdout, re.M)
        if shown.returncode == 0 and match:
            versions[package] = match.group(1)
        elif package in PACKAGES:
            raise FetchError(f"package {package} is not in Debian {suite}")
    major = int(re.match(r"(?:\d+:)?(\d+)", versions["docker.io"]).group(1))
    if major < MIN_DOCKER_MAJOR and not accept_any_version:
        raise FetchError(f"package docker.io in Debian {suite} is {versions['docker.io']}, older than {MIN_DOCKER_MAJOR}")
    with tempfile.TemporaryDirectory(dir=prefix) as tmp:
        downloads = Path(tmp) / "debs"
        downloads.mkdir()
        os.chmod(tmp, 0o755)
        progress(f"engines: downloading {', '.join(f'{p} {v}' for p, v in versions.items())} from Debian {suite}")
        for package in versions:
            result = _run(["apt-get", *options, "download", f"{package}={versions[package]}"], cwd=downloads)
            if result.returncode != 0:
                raise FetchError(f"package {package} {versions[package]} from Debian {suite} could not be downloaded ({_last_error(result)})")
        staging = Path(tmp) / "root"
        for deb in sorted(downloads.glob("*.deb")):
            result = _run(["dpkg-deb", "-x", str(deb), str(staging)])
            if result.returncode != 0:
                raise FetchError(f"package {deb.name} from Debian {suite} could not be unpacked ({_last_error(result)})")
        needed = _glibc_needed(staging)
        have = host_glibc()
        if _version_key(needed) > _version_key(have):
            raise FetchError(f"package docker.io from Debian {suite} needs glibc {needed}, the host has {have}")
        (staging / STAMP).write_text(json.dumps({"suite": suite, "versions": versions, "glibc_needed": needed}, indent=1))
        root = prefix / suite / "root"
        if root.exists():
            shutil.rmtree(root)
        staging.rename(root)  # the stamp makes it complete: a crash before this leaves nothing half-used
    shutil.rmtree(base / "cache", ignore_errors=True)
    return Bundle(suite, root, versions, needed)


def _version_key(version: str) -> tuple[int, ...]:
    """``"2.34"`` -> ``(2, 34)``, for comparing glibc versions."""
    return tuple(int(part) for part in version.split("."))


def _glibc_needed(root: Path) -> str:
    """The highest GLIBC symbol version the :data:`LINKED_BINARIES` under ``root`` need (``"2.34"``).

    Read with ``objdump -T`` when present, else from the raw bytes (the version strings are in the
    ``.gnu.version_r`` section's string table); a static binary needs none (``"0"``).
    """
    found: set[str] = set()
    for relative in LINKED_BINARIES:
        binary = root / relative
        if not binary.is_file():
            continue
        if shutil.which("objdump"):
            text = _run(["objdump", "-T", str(binary)]).stdout
        else:
            text = binary.read_bytes().decode("latin-1")
        found.update(re.findall(r"GLIBC_(\d+\.\d+(?:\.\d+)?)", text))
    return max(found, key=_version_key, default="0")


def host_glibc() -> str:
    """The host's glibc version (``"2.36"``), from ``os.confstr``."""
    value = os.confstr("CS_GNU_LIBC_VERSION") or "glibc 0"
    return value.split()[-1]
