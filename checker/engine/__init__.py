"""The only package that talks to the Docker engine (through the docker SDK).

Everything above it sees our own types: ``BuildResult``, ``ImageInfo``, ``RunResult``, ``Service``
and the small ``EngineError`` family. Its modules, by concern:

- :mod:`.client`: the connection, ``ping``/``info``, labels, and the ONE place where docker-py's
  and requests' errors become ours (the only module that imports ``docker``);
- :mod:`.images`: inspect, pull, tag, list, save (``docker save``'s layer tars) and remove images;
- :mod:`.results`: what any builder takes (``BuildLimits``) and returns (``BuildResult``, ``BuildStep``);
- :mod:`.buildlog`: a pure parser of the classic builder's stream into steps;
- :mod:`.classic`: the classic builder's driver (deadline, pids limit, disk watchdog, log cap, cut);
- :mod:`.bkstatus`: a pure parser of BuildKit's solve status (buildx ``rawjson``) into steps;
- :mod:`.buildkit`: the BuildKit builder's driver (buildx; deadline, cancel, log cap, secrets);
- :mod:`.cgroups`: the cgroup parent that limits BuildKit's RUN steps (memory, pids);
- :mod:`.builders`: the builder seam and :func:`build`, which callers use;
- :mod:`.containers`: ``run``, ``service``, the exported filesystem, under limits;
- :mod:`.cleanup`: removal by label, expiry, run prefix, of what one build made, and BuildKit's cache.

The grading cache policy (which builds to keep, the budget) is not here: see
:mod:`checker.grading.cache`.
"""

from .builders import Builder, BuildKitBuilder, ClassicBuilder, build, build_checks, choose_builder
from .cleanup import (
    build_cache_bytes,
    kept_by_run_prefix,
    discard_build,
    list_containers,
    prune_build_cache,
    prune_dangling_images,
    reap_expired_containers,
    remove_by_run_prefix,
    remove_containers,
    remove_images,
    remove_stopped_containers,
)
from .client import (
    LABEL_EXPIRES,
    EngineError,
    EngineInfo,
    EngineUnavailable,
    ImageUnavailable,
    NoSuchObject,
    info,
    ping,
    reset_connection,
)
from .containers import Limits, RunResult, Service, exported_filesystem, remove_container, run, service
from .images import (
    ImageInfo,
    ImageSummary,
    clean_created_by,
    Layer,
    find_images,
    image_exists,
    image_info,
    inventory,
    list_images,
    pull,
    remove_image,
    saved_image,
    tag_image,
)
from .classic import LineCallback, StopCheck
from .results import STEP_TAIL_LINES, BuildLimits, BuildResult, BuildStep

__all__ = [
    "LABEL_EXPIRES", "STEP_TAIL_LINES",
    "BuildKitBuilder", "BuildLimits", "BuildResult", "BuildStep", "Builder", "ClassicBuilder", "EngineError", "EngineInfo",
    "EngineUnavailable", "ImageInfo", "ImageSummary", "clean_created_by", "ImageUnavailable", "Layer", "Limits", "LineCallback",
    "NoSuchObject", "RunResult", "Service", "StopCheck",
    "build", "build_cache_bytes", "build_checks", "choose_builder", "discard_build", "exported_filesystem", "find_images", "image_exists",
    "image_info", "info", "inventory", "kept_by_run_prefix", "list_containers", "list_images", "ping", "prune_build_cache", "prune_dangling_images",
    "pull", "reap_expired_containers", "remove_by_run_prefix", "remove_container", "remove_containers",
    "remove_image", "remove_images", "remove_stopped_containers", "reset_connection", "run", "saved_image", "service",
    "tag_image",
]
