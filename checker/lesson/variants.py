"""The Dockerfiles the lessons build, each a named variant of the sample app's image.

The texts are assembled from shared pieces on purpose. The classic builder reuses a cached layer
when the parent image and the instruction text are identical, whichever Dockerfile they come from,
so every variant that starts "slim base + build tools" shares that layer, every venv builder shares
its dependency install, and a lesson re-running another lesson's build gets it from cache. Change a
piece here and every variant using it changes with it.

Comments inside a Dockerfile are not part of a layer's cache key, so each variant may explain
itself in its own words without costing a rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import settings as course_settings
from .context import SAMPLE_APP_DIR

_HEADER = f"ARG PYTHON_VERSION={course_settings.DEFAULT_PYTHON_VERSION}\n"

#: Compiler and libpq headers, installed the straightforward way (recommended packages included).
BUILD_TOOLS = (
    "RUN apt-get update \\\n"
    "    && apt-get install -y gcc libpq-dev \\\n"
    "    && rm -rf /var/lib/apt/lists/*\n"
)
#: The same, without recommended packages: smaller, and missing the C library headers (lesson 7).
BUILD_TOOLS_NO_RECOMMENDS = (
    "RUN apt-get update \\\n"
    "    && apt-get install -y --no-install-recommends gcc libpq-dev \\\n"
    "    && rm -rf /var/lib/apt/lists/*\n"
)
#: The fix: ask for libc6-dev by name.
BUILD_TOOLS_MINIMAL = (
    "RUN apt-get update \\\n"
    "    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev \\\n"
    "    && rm -rf /var/lib/apt/lists/*\n"
)
#: Only the shared library psycopg2 links against at run time.
RUNTIME_LIBS = (
    "RUN apt-get update \\\n"
    "    && apt-get install -y libpq5 \\\n"
    "    && rm -rf /var/lib/apt/lists/*\n"
)
RUNTIME_LIBS_MINIMAL = (
    "RUN apt-get update \\\n"
    "    && apt-get install -y --no-install-recommends libpq5 \\\n"
    "    && rm -rf /var/lib/apt/lists/*\n"
)
MAKE_VENV = 'RUN python -m venv /opt/venv\nENV PATH="/opt/venv/bin:$PATH"\n'
USE_VENV = 'ENV PATH="/opt/venv/bin:$PATH"\n'
INSTALL_REQUIREMENTS = "WORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\n"
APP_SOURCE = "WORKDIR /app\nCOPY . .\n"
SERVE = 'CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]\n'


def _slim(alias: str = "") -> str:
    return "FROM python:${PYTHON_VERSION}-slim" + (f" AS {alias}" if alias else "") + "\n"


@dataclass(frozen=True)
class Variant:
    """One Dockerfile a lesson builds, with the base image it starts from and the lesson that uses it."""

    name: str
    """Short id; the image is tagged ``lpi-lesson/<name>:latest``."""
    label: str
    """How charts and tables name it."""
    base: str
    """"full", "slim" or "alpine": which course base image it starts from (its final stage)."""
    lesson: str
    summary: str
    text: str = ""
    source_file: str | None = None
    """A file to build instead of ``text``, relative to sample_app/ (the course's own starting point,
    or ``../solutions/...`` when a lesson builds an exercise's reference answer)."""
    target: str | None = None

    def dockerfile(self) -> str:
        """The Dockerfile's text; raises ``FileNotFoundError`` when its ``source_file`` is missing."""
        if self.source_file:
            path = SAMPLE_APP_DIR / self.source_file
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing: the {self.name!r} lesson build reads it")
            return path.read_text()
        return self.text

    def base_ref(self, settings: course_settings.Settings | None = None) -> str:
        """The image reference of its base (full, slim or alpine) in ``settings`` (default: the course's)."""
        settings = settings or course_settings.load()
        return {"full": settings.full_image, "slim": settings.slim_image, "alpine": settings.alpine_image}[self.base]


_SLIM_SINGLE = (
    "# One stage on the slim image: the build tools stay in the image you ship.\n"
    + _HEADER + _slim() + BUILD_TOOLS + INSTALL_REQUIREMENTS + "COPY . .\n" + SERVE
)

_MULTI_STAGE = (
    "# Stage 1 compiles; stage 2 receives the finished virtualenv and nothing else.\n"
    + _HEADER
    + _slim("builder") + BUILD_TOOLS + MAKE_VENV + INSTALL_REQUIREMENTS
    + "\n# A fresh slim image: no compiler, no headers, just the run-time libpq.\n"
    + _slim() + RUNTIME_LIBS
    + "COPY --from=builder /opt/venv /opt/venv\n" + USE_VENV + APP_SOURCE + SERVE
)

_USR_LOCAL = (
    "# Multi-stage without a virtualenv: pip installed into /usr/local, so we copy all of it.\n"
    + _HEADER
    + _slim("builder") + BUILD_TOOLS + INSTALL_REQUIREMENTS
    + "\n" + _slim() + RUNTIME_LIBS
    + "# /usr/local also holds the interpreter itself: this copies Python a second time.\n"
    + "COPY --from=builder /usr/local /usr/local\n" + APP_SOURCE + SERVE
)

_PREFIX = (
    "# Multi-stage with `pip install --prefix`: the packages land in /install, a tree of their own.\n"
    + _HEADER
    + _slim("builder") + BUILD_TOOLS
    + "WORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir --prefix=/install -r requirements.txt\n"
    + "\n" + _slim() + RUNTIME_LIBS
    + "# /install mirrors the layout of /usr/local (bin/, lib/python3.X/site-packages/).\n"
    + "COPY --from=builder /install /usr/local\n" + APP_SOURCE + SERVE
)

_WRONG_ORDER = (
    "# The multi-stage build with the builder's steps in the wrong order: all source before the install.\n"
    + _HEADER
    + _slim("builder") + BUILD_TOOLS + MAKE_VENV
    + "WORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n"
    + "\n" + _slim() + RUNTIME_LIBS
    + "COPY --from=builder /opt/venv /opt/venv\n" + USE_VENV + APP_SOURCE + SERVE
)

_TRAP = (
    "# Leaner build tools, but --no-install-recommends also drops libc6-dev: gcc has no C headers.\n"
    + _HEADER
    + _slim("builder") + BUILD_TOOLS_NO_RECOMMENDS + MAKE_VENV + INSTALL_REQUIREMENTS
    + "\n" + _slim() + RUNTIME_LIBS_MINIMAL
    + "COPY --from=builder /opt/venv /opt/venv\n" + USE_VENV + APP_SOURCE + SERVE
)

_PRODUCTION_BUILDER = _slim("builder") + BUILD_TOOLS_MINIMAL + MAKE_VENV
_PRODUCTION_RUNTIME = (
    _slim() + RUNTIME_LIBS_MINIMAL
    + "# A system user with a fixed uid: the app never needs root, so it never gets it. USER names it\n"
    + "# by number, which Kubernetes' runAsNonRoot can verify; a user name it cannot.\n"
    + "RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app\n"
    + "COPY --from=builder /opt/venv /opt/venv\n"
    + 'ENV PATH="/opt/venv/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\n'
    + APP_SOURCE
    + "USER 10001\nEXPOSE 8000\n" + SERVE
)

_PRODUCTION = (
    "# Everything from the lessons: two stages, no recommended extras, no pip cache, not root.\n"
    + _HEADER + _PRODUCTION_BUILDER + INSTALL_REQUIREMENTS + "\n" + _PRODUCTION_RUNTIME
)

_PIP_CACHE = (
    "# As the production image, but pip keeps its download and wheel cache (no --no-cache-dir).\n"
    + _HEADER + _PRODUCTION_BUILDER
    + "WORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    + "\n" + _PRODUCTION_RUNTIME
)

_BUILDKIT_CACHE_MOUNT = (
    "# A cache mount keeps pip's cache on the build host between builds (BuildKit only).\n"
    + _HEADER + _PRODUCTION_BUILDER
    + "WORKDIR /app\nCOPY requirements.txt .\n"
    + "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n"
    + "\n" + _PRODUCTION_RUNTIME
)

#: The production image's health check: Python's own urllib (slim has no curl), every second so that
#: a lesson sees it settle in seconds (a real service checks far less often, e.g. every 30 s).
HEALTH_PATH = "/health"
#: A path the sample app does not serve: its check fails (404).
WRONG_HEALTH_PATH = "/healthz"


def healthcheck_line(path: str = HEALTH_PATH) -> str:
    """A ``HEALTHCHECK`` in exec form asking the app on port 8000 for ``path`` (exit 0 only on a 2xx/3xx answer)."""
    return ("HEALTHCHECK --interval=1s --timeout=2s --start-period=5s --retries=3 \\\n"
            '    CMD ["python", "-c", "import urllib.request; '
            f"urllib.request.urlopen('http://127.0.0.1:8000{path}', timeout=2)\"]\n")


def _with_healthcheck(comment: str, path: str) -> str:
    """The production Dockerfile with ``comment`` on top and a HEALTHCHECK for ``path`` just before its CMD."""
    assert _PRODUCTION.endswith(SERVE)
    return comment + _PRODUCTION.removesuffix(SERVE) + healthcheck_line(path) + SERVE


_HEALTHY = _with_healthcheck(
    "# The production image, plus a HEALTHCHECK the engine runs inside the container every second.\n", HEALTH_PATH)
_UNHEALTHY = _with_healthcheck(
    "# The same, but the check asks for a path the app does not serve: every check fails.\n", WRONG_HEALTH_PATH)

_ALPINE_MULTI = (
    "# The same two stages on Alpine (musl libc). apk's build-base is Alpine's gcc + libc headers.\n"
    + _HEADER
    + "FROM python:${PYTHON_VERSION}-alpine AS builder\n"
    + "RUN apk add --no-cache build-base postgresql-dev\n"
    + MAKE_VENV + INSTALL_REQUIREMENTS
    + "\nFROM python:${PYTHON_VERSION}-alpine\n"
    + "RUN apk add --no-cache libpq\n"
    + "COPY --from=builder /opt/venv /opt/venv\n" + USE_VENV + APP_SOURCE + SERVE
)

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("full-single", "full, single stage", "full", "01",
                "sample_app/Dockerfile.single: one stage on the full python image", source_file="Dockerfile.single"),
        Variant("slim-single", "slim, single stage", "slim", "02",
                "one stage on the slim image, build tools included", _SLIM_SINGLE),
        Variant("multi-stage", "slim, multi-stage + venv", "slim", "02",
                "builder compiles into /opt/venv; runtime gets the venv and libpq5", _MULTI_STAGE),
        Variant("usr-local", "multi-stage, copy /usr/local", "slim", "03",
                "no venv: the runtime copies the builder's whole /usr/local", _USR_LOCAL),
        Variant("prefix", "multi-stage, pip --prefix", "slim", "03",
                "no venv: pip install --prefix=/install, copied onto /usr/local", _PREFIX),
        Variant("wrong-order", "multi-stage, source before install", "slim", "05",
                "COPY . . before pip install in the builder", _WRONG_ORDER),
        Variant("no-recommends-trap", "--no-install-recommends without libc6-dev", "slim", "07",
                "gcc without the C library headers: psycopg2 cannot compile", _TRAP),
        Variant("production", "production-ready", "slim", "06",
                "multi-stage, no recommends, no pip cache, non-root user", _PRODUCTION),
        Variant("healthcheck", "production + HEALTHCHECK", "slim", "06",
                "the production image with a HEALTHCHECK asking GET /health", _HEALTHY),
        Variant("healthcheck-wrong-path", "HEALTHCHECK on a wrong path", "slim", "06",
                "the production image with a HEALTHCHECK asking a path the app does not serve", _UNHEALTHY),
        Variant("production-builder", "builder, --no-cache-dir", "slim", "07",
                "the production Dockerfile's builder stage", _PRODUCTION, target="builder"),
        Variant("pip-cache-builder", "builder, pip cache kept", "slim", "07",
                "the builder stage when pip keeps its cache", _PIP_CACHE, target="builder"),
        Variant("buildkit-cache-mount", "BuildKit cache mount", "slim", "07",
                "RUN --mount=type=cache: needs BuildKit", _BUILDKIT_CACHE_MOUNT),
        Variant("bone", "to the bone, FROM scratch", "slim", "08",
                "solutions/08-to-the-bone/Dockerfile: only what the app needs, no shell, no package manager",
                source_file="../solutions/08-to-the-bone/Dockerfile"),
        Variant("bone-rootfs", "to the bone, its rootfs stage (debug)", "slim", "08",
                "the stage that assembles /rootfs: the same files, plus the builder's shell to look at them",
                source_file="../solutions/08-to-the-bone/Dockerfile", target="rootfs"),
        Variant("alpine-multi", "alpine, multi-stage + venv", "alpine", "04",
                "the multi-stage build on python:*-alpine (musl)", _ALPINE_MULTI),
    )
}


def variant(name: str) -> Variant:
    """The lesson variant called ``name``; raises ``KeyError`` listing the known names."""
    try:
        return VARIANTS[name]
    except KeyError:
        raise KeyError(f"no lesson variant {name!r}; known: {', '.join(VARIANTS)}") from None
