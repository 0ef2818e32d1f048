"""The course's settings: one place names the Python version, the base images and the limits.

Every value can be overridden from the environment (``LPI_*``), so a teacher can grade on another
engine or another Python without editing code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Where an installed package keeps the course's files (copied there by setup.py at build time).
PACKAGED_COURSE_DIR = Path(__file__).resolve().parent / "_data"
#: The environment variable naming a course folder (a checkout) to use instead.
COURSE_DIR_ENV = "LPI_COURSE_DIR"


class CourseFilesMissing(LookupError):
    """The course's files (sample app, exercises, solutions) are nowhere: the message says what to set."""


def _is_course(folder: Path) -> bool:
    """True when ``folder`` holds the course's ``sample_app/`` and ``exercises/``."""
    return (folder / "sample_app").is_dir() and (folder / "exercises").is_dir()


def course_dir() -> Path:
    """The folder holding ``sample_app/``, ``exercises/``, ``solutions/`` and ``checker/rubrics/``.

    In order: ``$LPI_COURSE_DIR`` (a checkout of the course), the checkout this package runs from
    (an editable install), the copy shipped in the package (``checker/_data/``). Raises
    :class:`CourseFilesMissing` when ``$LPI_COURSE_DIR`` is set to a folder without them, or when
    none of the three has them.
    """
    override = os.environ.get(COURSE_DIR_ENV, "").strip()
    if override:
        folder = Path(override).expanduser().resolve()
        if not _is_course(folder):
            raise CourseFilesMissing(f"{COURSE_DIR_ENV}={override} has no sample_app/ and exercises/ folders; "
                                     "point it at a checkout of the course.")
        return folder
    for folder in (REPO_ROOT, PACKAGED_COURSE_DIR):
        if _is_course(folder):
            return folder
    raise CourseFilesMissing(f"The course's files (sample_app/, exercises/) are not installed with this package; "
                             f"set {COURSE_DIR_ENV} to a checkout of the course, or reinstall from its wheel.")

#: The Python the course teaches with. python:3.13-slim is Debian 13 (trixie) based, as are the
#: stand-ins we provision (trixie's mirror carries the CPython 3.13 source tarball).
DEFAULT_PYTHON_VERSION = "3.13"

#: Every object the checker or the course creates carries this label, so cleanup finds them all.
LABEL_OWNER = "org.lean-python-images.owner"
OWNER_VALUE = "lean-python-images"
#: Set on stand-in base images: what they are and how they were built.
LABEL_STANDIN = "org.lean-python-images.standin"
LABEL_STANDIN_RECIPE = "org.lean-python-images.standin.recipe"
#: The ref a stand-in stands in for (python:3.13-slim, ...).
LABEL_STANDIN_REF = "org.lean-python-images.standin.ref"
#: Owner value of stand-in base images: not removed by cleanup of what the checker built.
BASE_OWNER_VALUE = "lean-python-images-base"
#: Set on everything a single grading run creates, so a run cleans up exactly its own objects.
LABEL_RUN = "org.lean-python-images.run"
#: Images kept on purpose as a build cache (see Settings.cache_budget_bytes).
LABEL_KEEP = "org.lean-python-images.keep"


def _env(name: str, default: str) -> str:
    """The environment variable ``name``, stripped, or ``default`` when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    """The environment variable ``name`` as an int, or ``default``; ValueError when it is not a whole number."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """The course's settings, each read from its ``LPI_*`` environment variable when the object is made.

    Raises :class:`ValueError` when a numeric variable is set to something that is not a whole number.
    """

    python_version: str = field(default_factory=lambda: _env("LPI_PYTHON_VERSION", DEFAULT_PYTHON_VERSION))
    """The Python the course teaches with, ``major.minor`` (``LPI_PYTHON_VERSION``, default 3.13)."""
    builder: str = field(default_factory=lambda: _env("LPI_BUILDER", "auto"))
    """Which builder builds (``LPI_BUILDER``): ``auto`` (BuildKit where the engine offers it and a
    buildx client is here, else the classic builder), ``buildkit`` or ``classic``."""
    build_network: str = field(default_factory=lambda: _env("LPI_BUILD_NETWORK", "host"))
    """Network mode for builds (``LPI_BUILD_NETWORK``). "host" is needed where the engine's bridge has no
    route out (our CI: dockerd runs with --iptables=false). "default" uses the engine's own choice."""
    debian_mirror: str = field(default_factory=lambda: _env("LPI_DEBIAN_MIRROR", "http://deb.debian.org/debian"))
    """Debian mirror used to provision stand-in images when no registry answers (``LPI_DEBIAN_MIRROR``)."""
    debian_suite: str = field(default_factory=lambda: _env("LPI_DEBIAN_SUITE", "trixie"))
    """Debian suite of the stand-ins (``LPI_DEBIAN_SUITE``); it must carry the course's Python source."""
    build_timeout_s: int = field(default_factory=lambda: _env_int("LPI_BUILD_TIMEOUT", 900))
    """Wall-clock limit of one learner build, in seconds (``LPI_BUILD_TIMEOUT``)."""
    run_timeout_s: int = field(default_factory=lambda: _env_int("LPI_RUN_TIMEOUT", 60))
    """Wall-clock limit of one container run, in seconds (``LPI_RUN_TIMEOUT``)."""
    memory_bytes: int = field(default_factory=lambda: _env_int("LPI_MEMORY_BYTES", 1024 * 1024 * 1024))
    """Memory limit of untrusted builds and containers, in bytes (``LPI_MEMORY_BYTES``, 1 GiB)."""
    pids_limit: int = field(default_factory=lambda: _env_int("LPI_PIDS_LIMIT", 256))
    """Process limit of untrusted containers (``LPI_PIDS_LIMIT``)."""
    context_limit_bytes: int = field(default_factory=lambda: _env_int("LPI_CONTEXT_LIMIT", 200 * 1024 * 1024))
    """Largest build context sent to the engine, in bytes (``LPI_CONTEXT_LIMIT``, 200 MiB)."""
    context_file_limit: int = field(default_factory=lambda: _env_int("LPI_CONTEXT_FILES", 20000))
    """Most files a build context may hold (``LPI_CONTEXT_FILES``)."""
    log_limit_bytes: int = field(default_factory=lambda: _env_int("LPI_LOG_LIMIT", 2 * 1024 * 1024))
    """Most build or container output kept, in bytes (``LPI_LOG_LIMIT``, 2 MiB)."""
    build_disk_limit_bytes: int = field(default_factory=lambda: _env_int("LPI_BUILD_DISK_LIMIT", 10 * 1024**3))
    """Bytes the RUN steps of one build may write before it is stopped (overlay2 has no quota;
    ``LPI_BUILD_DISK_LIMIT``, 10 GiB)."""
    cache_budget_bytes: int = field(default_factory=lambda: _env_int("LPI_CACHE_BUDGET", 8 * 1024**3))
    """Total size in bytes of graded images kept as a build cache before the oldest are removed
    (``LPI_CACHE_BUDGET``, 8 GiB)."""

    @property
    def full_image(self) -> str:
        """The full official image for the course's Python: ``python:3.13``."""
        return f"python:{self.python_version}"

    @property
    def slim_image(self) -> str:
        """The slim image: ``python:3.13-slim`` (Debian based)."""
        return f"python:{self.python_version}-slim"

    @property
    def alpine_image(self) -> str:
        """The Alpine image: ``python:3.13-alpine`` (musl based; cannot be provisioned offline)."""
        return f"python:{self.python_version}-alpine"

    @property
    def course_images(self) -> tuple[str, ...]:
        """The base images the lessons and exercises build on, in the order they are provisioned."""
        return (self.slim_image, self.full_image, self.alpine_image)

    @property
    def build_args(self) -> dict[str, str]:
        """Build arguments every course Dockerfile receives (the ARG PYTHON_VERSION pattern)."""
        return {"PYTHON_VERSION": self.python_version}


def load() -> Settings:
    """The settings from the environment as it is now; raises ValueError for a malformed ``LPI_*`` number."""
    return Settings()
