"""What we learn from a built image: plain parameters in, plain facts out.

One module per kind of evidence gathered, each probe with a deadline and each cleaned up:

* :mod:`.filesystem` -- :func:`scan_filesystem`: the final filesystem, from ``docker export``;
* :mod:`.layers` -- :func:`scan_layers`: sizes and hidden files from the exported layer tars
  (the same on every image store);
* :mod:`.base_image` -- :func:`base_facts`: a base image's filesystem bytes (kept for callers);
* :mod:`.runtime` -- :func:`runtime_interpreter`, :func:`app_modules`, :func:`probe_runtime`:
  the image's own interpreter, its extensions' libraries and the app's imports;
* :mod:`.health` -- :func:`container_port`, :func:`probe_health`: the running container.

Probes take image ids, paths and numbers, never a rubric; judging the facts against a rubric
happens in :mod:`checker.checks`.
"""

from __future__ import annotations

from checker.probes.base_image import BaseFacts, base_facts
from checker.probes.filesystem import DEFAULT_PATH, FilesystemFacts, scan_filesystem
from checker.probes.layers import MEASURE, LayerFact, LayerFacts, WastedFile, image_size, scan_layers
from checker.probes.health import HealthFacts, container_port, probe_health
from checker.probes.runtime import PROBE_SCRIPT, RuntimeFacts, app_modules, probe_runtime, runtime_interpreter

__all__ = [
    "DEFAULT_PATH", "PROBE_SCRIPT", "BaseFacts", "FilesystemFacts", "HealthFacts", "RuntimeFacts", "app_modules",
    "MEASURE", "LayerFact", "LayerFacts", "WastedFile", "image_size", "scan_layers",
    "base_facts", "container_port", "probe_health", "probe_runtime", "runtime_interpreter", "scan_filesystem",
]
