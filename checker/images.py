"""Base images for the course: use what is there, pull what can be pulled, provision stand-ins.

Where no registry answers (our CI), the slim and full Python images are provisioned from Debian's
packages: a debootstrap root filesystem becomes a ``debian:<suite>-slim`` stand-in, CPython is
compiled from the upstream tarball that Debian's mirror carries, and the two variants are built on
top (see ``standin/python.Dockerfile``). Stand-ins carry the tag of the Python they really contain
and labels saying what they are. A half-built stand-in is never tagged: the engine tags a build only
when it succeeds, and the root filesystem is assembled in a temp dir that is always removed.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import engine
from . import settings as course_settings

#: The stand-ins' Dockerfiles (``debian-slim.Dockerfile``, ``python.Dockerfile``).
STANDIN_DIR = Path(__file__).parent / "standin"
#: Extra CA certificates the host trusts; copied into the stand-ins so they trust the same proxies.
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")

#: Called with one line of human-readable progress at a time.
Progress = Callable[[str], None]


class ProvisionError(engine.EngineError):
    """A stand-in could not be provisioned; the message names what failed."""


@dataclass(frozen=True)
class BaseImage:
    """What this engine has under one course base image's name, and how it got there."""

    ref: str
    """The image reference: ``python:3.13-slim``."""
    available: bool
    """The engine has an image under that name."""
    standin: bool
    """It is a provisioned stand-in, not the official image."""
    source: str
    """How it became available: "local", "pulled", "provisioned", or "unavailable"."""
    detail: str
    """One sentence: what the image is, or why it is unavailable."""
    size_bytes: int | None = None
    """Its size in bytes as the engine reports it; None when unavailable."""

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dict (``lean-check images --format json``)."""
        return {
            "ref": self.ref,
            "available": self.available,
            "standin": self.standin,
            "source": self.source,
            "detail": self.detail,
            "size_bytes": self.size_bytes,
        }


def debian_recipe_digest(settings: course_settings.Settings) -> str:
    """16 hex digits that change whenever the Debian stand-in's recipe changes (then it, and what builds on it, is rebuilt).

    Raises OSError when the recipe's Dockerfile cannot be read.
    """
    digest = hashlib.sha256()
    for part in ((STANDIN_DIR / "debian-slim.Dockerfile").read_text(), _APT_CLEAN, _APT_NO_LANGUAGES,
                 _APT_GZIP_INDEXES, _APT_NO_SUGGESTS, _DPKG_EXCLUDES, _sources(settings), settings.debian_suite,
                 _PIP_CONF):
        digest.update(part.encode())
    for cert in host_extra_cas():  # the host trusts another CA: the stand-in must too
        digest.update(cert.name.encode() + b"\0" + cert.read_bytes())
    return digest.hexdigest()[:16]


def host_extra_cas() -> list[Path]:
    """The host's extra CA certificates (``/usr/local/share/ca-certificates/*.crt``), sorted; [] without any."""
    return sorted(HOST_CA_DIR.glob("*.crt")) if HOST_CA_DIR.is_dir() else []


def recipe_digest(settings: course_settings.Settings | None = None) -> str:
    """16 hex digits that change whenever the Python stand-ins' recipe changes, so an outdated stand-in is rebuilt.

    Raises OSError when a recipe's Dockerfile cannot be read.
    """
    settings = settings or course_settings.load()
    digest = hashlib.sha256()
    digest.update((STANDIN_DIR / "python.Dockerfile").read_bytes())
    digest.update(debian_recipe_digest(settings).encode())
    digest.update(settings.python_version.encode())
    return digest.hexdigest()[:16]


def _standin_labels(ref: str, digest: str, description: str) -> dict[str, str]:
    """The labels every stand-in carries: owner, stand-in marker, the ref it stands in for, recipe digest."""
    # Children of a base image inherit its labels. Stand-ins therefore carry an owner value of their
    # own (so cleaning up what the checker built never matches them, nor their children built by
    # hand) and name the ref they stand in for (a child inherits the label but not the tag).
    return {
        course_settings.LABEL_OWNER: course_settings.BASE_OWNER_VALUE,
        course_settings.LABEL_STANDIN: "true",
        course_settings.LABEL_STANDIN_REF: ref,
        course_settings.LABEL_STANDIN_RECIPE: digest,
        "org.opencontainers.image.description": description,
    }


def is_standin(info: engine.ImageInfo) -> bool:
    """True for a stand-in base image itself, not for an image built on top of one."""
    return info.labels.get(course_settings.LABEL_STANDIN) == "true" and info.labels.get(course_settings.LABEL_STANDIN_REF) in info.tags


_HOST_CERT_FILES = re.compile(r"\s*\((?:[\w.+-]+\.(?:crt|pem|cer)(?:,\s*)?)+\)")


def without_host_files(text: str) -> str:
    """``text`` without a list of this machine's CA certificate file names (stand-ins built before
    their descriptions left them out named them): a learner reads that the image trusts the host's
    extra certificates, not what they are called."""
    return _HOST_CERT_FILES.sub("", text)


def describe(ref: str) -> BaseImage:
    """What is known about a base image on this engine, without changing anything; raises engine.EngineError."""
    if not engine.image_exists(ref):
        return BaseImage(ref, False, False, "unavailable", f"{ref} is not on this engine")
    info = engine.image_info(ref)
    standin = is_standin(info)
    detail = (without_host_files(info.labels.get("org.opencontainers.image.description", "")) if standin
              else "official or user-supplied image")
    return BaseImage(ref, True, standin, "local", detail, info.size_bytes)


def ensure_images(
    settings: course_settings.Settings | None = None,
    *,
    progress: Progress = print,
    refs: tuple[str, ...] | None = None,
) -> list[BaseImage]:
    """Make every course base image (or each of ``refs``) available; idempotent (a second run changes nothing).

    Uses an image already there, else pulls it, else provisions a stand-in (slim and full only).
    Returns one :class:`BaseImage` per ref, in order; an image that cannot be had is returned as
    unavailable, not raised. Raises :class:`ProvisionError` when provisioning fails and
    engine.EngineError when the engine fails.
    """
    settings = settings or course_settings.load()
    results = []
    for ref in refs or settings.course_images:
        results.append(_ensure_one(ref, settings, progress))
    return results


def _ensure_one(ref: str, settings: course_settings.Settings, progress: Progress) -> BaseImage:
    """Make ``ref`` available (local, pulled or provisioned) and describe it."""
    current = describe(ref)
    if current.available:
        outdated = current.standin and engine.image_info(ref).labels.get(course_settings.LABEL_STANDIN_RECIPE) != recipe_digest(settings)
        if not outdated:
            progress(f"{ref}: present ({'stand-in' if current.standin else 'official'}), nothing to do")
            return current
        progress(f"{ref}: stand-in built from an older recipe, rebuilding")
    else:
        try:
            progress(f"{ref}: not present, pulling")
            engine.pull(ref)
            progress(f"{ref}: pulled")
            return BaseImage(ref, True, False, "pulled", "pulled from the registry", engine.image_info(ref).size_bytes)
        except engine.ImageUnavailable as exc:
            progress(f"{ref}: pull failed ({_first_line(str(exc))})")
    variant = _variant_of(ref, settings)
    if variant is None:
        reason = (
            f"{ref} cannot be provisioned offline: Alpine's packages and musl toolchain come from Alpine's "
            "own mirrors, which this network does not reach. Lessons that need it say so and skip that build."
            if ref == settings.alpine_image
            else f"{ref} is not a course image this tool knows how to provision."
        )
        progress(f"{ref}: unavailable. {reason}")
        return BaseImage(ref, False, False, "unavailable", reason)
    provision_python(settings, progress=progress)
    return describe(ref)


def _variant_of(ref: str, settings: course_settings.Settings) -> str | None:
    """``slim`` or ``full`` for the course refs a stand-in can replace, else None."""
    return {settings.slim_image: "slim", settings.full_image: "full"}.get(ref)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


# ----------------------------------------------------------------------------------------------
# provisioning


@dataclass(frozen=True)
class Tarball:
    """The CPython source tarball a Debian source package is built from."""

    package_version: str
    """The Debian package version: ``3.13.5-2``."""
    url: str
    """Where the ``.orig.tar.xz`` is on the mirror."""
    sha256: str
    """Its SHA-256, hex, as the Sources index lists it."""

    @property
    def python_version(self) -> str:
        """The upstream version without Debian's revision: ``3.13.5`` for ``3.13.5-2``."""
        return self.package_version.split("-")[0].split("+")[0]


def find_python_tarball(settings: course_settings.Settings) -> Tarball:
    """The CPython source tarball for the course version, as listed in the suite's Sources index.

    Raises :class:`ProvisionError` when the mirror does not answer or the suite has no such package.
    """
    package = f"python{settings.python_version}"
    index_url = f"{settings.debian_mirror}/dists/{settings.debian_suite}/main/source/Sources.xz"
    try:
        with urllib.request.urlopen(index_url, timeout=60) as response:
            text = lzma.decompress(response.read()).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, lzma.LZMAError) as exc:
        raise ProvisionError(f"Debian's mirror did not answer for {index_url}: {exc}") from exc
    for paragraph in text.split("\n\n"):
        if f"\nPackage: {package}\n" not in "\n" + paragraph + "\n":
            continue
        fields = _deb822(paragraph)
        for line in fields.get("Checksums-Sha256", "").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2].endswith(".orig.tar.xz"):
                return Tarball(fields["Version"], f"{settings.debian_mirror}/{fields['Directory']}/{parts[2]}", parts[0])
    raise ProvisionError(
        f"Debian {settings.debian_suite} has no source package {package}: choose a Python version that "
        f"suite carries (LPI_PYTHON_VERSION) or another suite (LPI_DEBIAN_SUITE)."
    )


def _deb822(paragraph: str) -> dict[str, str]:
    """The fields of one deb822 paragraph; continuation lines joined with newlines."""
    fields: dict[str, str] = {}
    key = None
    for line in paragraph.splitlines():
        if line.startswith((" ", "\t")) and key:
            fields[key] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def debian_image_ref(settings: course_settings.Settings) -> str:
    """The Debian image the stand-ins start from: ``debian:trixie-slim``."""
    return f"debian:{settings.debian_suite}-slim"


def provision_python(settings: course_settings.Settings, *, progress: Progress = print) -> None:
    """Build and tag the slim and full stand-ins (and the Debian one they start from).

    Each is also tagged with its exact Python version (``python:3.13.5-slim``). Takes about
    3 minutes (CPython compiles once). Raises :class:`ProvisionError` when a step fails.
    """
    digest = recipe_digest(settings)
    debian_ref = _ensure_debian(settings, progress)
    tarball = find_python_tarball(settings)
    progress(f"CPython {tarball.python_version}: {tarball.url}")
    with tempfile.TemporaryDirectory(prefix="lpi-standin-") as tmp:
        context = Path(tmp)
        shutil.copy(STANDIN_DIR / "python.Dockerfile", context / "Dockerfile")
        extra_ca = context / "extra-ca"
        extra_ca.mkdir()
        trusted = host_extra_cas()
        for cert in trusted:
            shutil.copy(cert, extra_ca / cert.name)
        (extra_ca / "README").write_text("Extra CA certificates the host trusted when this stand-in was built.\n")
        for variant, ref in (("slim", settings.slim_image), ("full", settings.full_image)):
            description = (
                f"Stand-in for {ref} (not the official Docker image): Debian {settings.debian_suite} "
                f"(debootstrap minbase) with CPython {tarball.python_version} compiled from the upstream "
                f"source tarball on Debian's mirror, installed under /usr/local"
                + (", plus the buildpack-deps set of compilers and headers" if variant == "full" else "")
                + ("; trusts the host's extra CA certificates" if trusted else "")
            )
            labels = {
                **_standin_labels(ref, digest, description),
                "org.lean-python-images.python.version": tarball.python_version,
                "org.lean-python-images.debian.suite": settings.debian_suite,
                "org.lean-python-images.source": tarball.url,
            }
            progress(f"{ref}: building the {variant} stand-in (CPython compiles once, about 3 minutes)")
            result = engine.build(
                context,
                tag=ref,
                target=variant,
                build_args={
                    "DEBIAN_IMAGE": debian_ref,
                    "PYTHON_TARBALL_URL": tarball.url,
                    "PYTHON_TARBALL_SHA256": tarball.sha256,
                },
                labels=labels,
                timeout_s=3600,
                memory_bytes=4 * 1024**3,
                on_line=_step_lines(progress),
                settings=settings,
            )
            if not result.ok:
                raise ProvisionError(
                    f"Building the {ref} stand-in failed at {result.failed_step!r}: {result.error}\n"
                    + _tail(result.log)
                )
            exact = f"{ref.split(':')[0]}:{tarball.python_version}{'-slim' if variant == 'slim' else ''}"
            assert result.image_id is not None, "a build that succeeded has an image id"
            engine.tag_image(result.image_id, exact)
            size = engine.image_info(ref).size_bytes
            progress(f"{ref}: stand-in ready, {size / 1e6:.0f} MB (also tagged {exact})")


def _step_lines(progress: Progress) -> Callable[[str], None]:
    """Show the build's steps, not every compiler line (the full log is kept for errors)."""

    def show(line: str) -> None:
        if line.startswith("Step ") or line.startswith("Successfully"):
            progress("  " + line[:160])

    return show


def _tail(log: str, lines: int = 25) -> str:
    """The last ``lines`` lines of a build log."""
    return "\n".join(log.rstrip().splitlines()[-lines:])


# Apt and dpkg configuration written into the Debian stand-in so that installs cost what they cost
# on the official debian slim image: no kept .deb files or package caches, no translations, and no
# docs, man pages or locales unpacked.
_APT_CLEAN = """\
# Remove downloaded .deb files after every install; keep no binary package caches.
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
"""
_APT_NO_LANGUAGES = 'Acquire::Languages "none";\n'
_APT_GZIP_INDEXES = 'Acquire::GzipIndexes "true";\n'
_APT_NO_SUGGESTS = 'Apt::AutoRemove::SuggestsImportant "false";\n'
_PIP_CONF = "[global]\ncert = /etc/ssl/lpi-ca-bundle.pem\n"
_DPKG_EXCLUDES = """\
# Slim image: leave documentation, manuals and translations out of every package install.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
"""


def _sources(settings: course_settings.Settings) -> str:
    """The stand-in's ``debian.sources``: the suite, its updates and its security mirror."""
    mirror = settings.debian_mirror
    security = mirror.rsplit("/", 1)[0] + "/debian-security" if mirror.endswith("/debian") else mirror
    suite = settings.debian_suite
    return (
        f"Types: deb\nURIs: {mirror}\nSuites: {suite} {suite}-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        f"Types: deb\nURIs: {security}\nSuites: {suite}-security\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )


def _ensure_debian(settings: course_settings.Settings, progress: Progress) -> str:
    """The Debian base of the stand-ins, built with debootstrap when missing or outdated; returns its ref."""
    ref = debian_image_ref(settings)
    digest = debian_recipe_digest(settings)
    if engine.image_exists(ref):
        info = engine.image_info(ref)
        if not is_standin(info) or info.labels.get(course_settings.LABEL_STANDIN_RECIPE) == digest:
            progress(f"{ref}: present, used as the stand-ins' base")
            return ref
    if os.geteuid() != 0:
        raise ProvisionError(f"Provisioning {ref} needs root (debootstrap); no registry could supply the images.")
    if shutil.which("debootstrap") is None:
        progress("debootstrap: not installed, installing Debian's package")
        _run(["apt-get", "install", "-y", "-qq", "debootstrap"], "installing debootstrap")
    with tempfile.TemporaryDirectory(prefix="lpi-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        progress(f"{ref}: debootstrap --variant=minbase {settings.debian_suite} (about 30 s)")
        _run(
            ["debootstrap", "--variant=minbase", settings.debian_suite, str(rootfs), settings.debian_mirror],
            f"debootstrap of Debian {settings.debian_suite} from {settings.debian_mirror}",
        )
        _configure_rootfs(rootfs, settings)
        context = Path(tmp) / "context"
        context.mkdir()
        _run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(context / "rootfs.tar"), "."], "packing the root filesystem")
        shutil.rmtree(rootfs, ignore_errors=True)
        shutil.copy(STANDIN_DIR / "debian-slim.Dockerfile", context / "Dockerfile")
        result = engine.build(
            context,
            tag=ref,
            labels=_standin_labels(ref, digest, (
                f"Stand-in for {ref} (not the official Docker image): debootstrap --variant=minbase "
                f"{settings.debian_suite} from {settings.debian_mirror}, with the slim apt/dpkg settings"
                + ("; trusts the host's extra CA certificates" if host_extra_cas() else "")
            )),
            timeout_s=600,
            settings=settings,
        )
    if not result.ok:
        raise ProvisionError(f"Importing the Debian root filesystem as {ref} failed: {result.error}")
    progress(f"{ref}: stand-in ready, {engine.image_info(ref).size_bytes / 1e6:.0f} MB")
    return ref


def _configure_rootfs(rootfs: Path, settings: course_settings.Settings) -> None:
    """Give a debootstrap root filesystem the official slim image's apt/dpkg settings and leanness."""
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(_sources(settings))
    conf = rootfs / "etc/apt/apt.conf.d"
    (conf / "docker-clean").write_text(_APT_CLEAN)
    (conf / "docker-no-languages").write_text(_APT_NO_LANGUAGES)
    (conf / "docker-gzip-indexes").write_text(_APT_GZIP_INDEXES)
    (conf / "docker-autoremove-suggests").write_text(_APT_NO_SUGGESTS)
    (rootfs / "etc/dpkg/dpkg.cfg.d/lpi-slim-excludes").write_text(_DPKG_EXCLUDES)
    # What the excludes would have left out had they been in place during debootstrap.
    for pattern in ("var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "var/log/*",
                    "usr/share/man/*", "usr/share/info/*", "usr/share/locale/*", "usr/share/lintian/*",
                    "usr/share/groff/*", "dev/*", "tmp/*"):
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    for doc in (rootfs / "usr/share/doc").glob("*"):
        if doc.is_dir() and not doc.is_symlink():
            for item in doc.iterdir():
                if item.name != "copyright":
                    shutil.rmtree(item, ignore_errors=True) if item.is_dir() and not item.is_symlink() else item.unlink(missing_ok=True)
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
    _trust_host_cas(rootfs)


def _trust_host_cas(rootfs: Path) -> None:
    """Make a root filesystem trust the host's extra CAs the way the Python stand-ins do.

    The certificates go to ``/usr/local/share/ca-certificates/`` (``update-ca-certificates``, which
    the ``ca-certificates`` package runs when a learner installs it, adds them to the system bundle);
    the host's own bundle (Mozilla's set plus those extras) is kept at ``/etc/ssl/lpi-ca-bundle.pem``
    and ``/etc/pip.conf`` points pip at it, so a pip with its own vendored bundle (a venv's) trusts
    them too, even before ``ca-certificates`` is installed. Nothing is written when the host trusts
    no extra CA: the stand-in then stays the plain debootstrap.
    """
    extras = host_extra_cas()
    if not extras:
        return
    target = rootfs / "usr/local/share/ca-certificates"
    target.mkdir(parents=True, exist_ok=True)
    for cert in extras:
        shutil.copy(cert, target / cert.name)
    bundle = "".join(cert.read_text(encoding="utf-8", errors="replace").rstrip() + "\n" for cert in extras)
    for system_bundle in (Path("/etc/ssl/certs/ca-certificates.crt"), Path("/etc/pki/tls/certs/ca-bundle.crt")):
        if system_bundle.is_file():  # the host's whole trust store (it already holds the extras)
            bundle = system_bundle.read_text(encoding="utf-8", errors="replace")
            break
    (rootfs / "etc/ssl").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/ssl/lpi-ca-bundle.pem").write_text(bundle, encoding="utf-8")
    (rootfs / "etc/pip.conf").write_text(_PIP_CONF, encoding="utf-8")


def _run(command: list[str], what: str) -> None:
    """Run a host command (30 min limit); ProvisionError naming ``what`` when it fails."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProvisionError(f"{what} failed: {exc}") from exc
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
        raise ProvisionError(f"{what} failed (exit {completed.returncode}):\n{tail}")


def remove_standins() -> int:
    """Remove every stand-in image (the official ones, if present, are left alone).

    Returns the number of image tags removed; raises engine.EngineError when the engine fails.
    """
    removed = 0
    for info in engine.list_images(f"{course_settings.LABEL_STANDIN}=true"):
        if is_standin(info):
            for tag in info.tags:
                removed += engine.remove_image(tag)
    return removed
