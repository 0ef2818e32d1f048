"""Checks on the image's size: lean against the reference and the baseline, no bytes hidden under later layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.checks.base import Evidence, Outcome, dynamic_check, human_bytes, not_run


@dynamic_check("image_size", lesson="01_single_stage_problem.ipynb#what-makes-an-image-heavy", needs=("sizes",),
               max_ratio_to_reference=1.25, max_ratio_to_baseline=0.5, max_bytes=None)
def image_size(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The image is lean.

    Why it matters:
        Every byte is pulled on each deploy and scanned for vulnerabilities; compilers, headers
        and caches in the final image cost time and widen the attack surface. Sizes are compared
        with images built on the same engine, because absolute sizes differ between engines.
    How to fix:
        Build in one stage and copy only the installed packages into a slim runtime stage;
        install runtime libraries only; keep caches and the source tree's clutter out.
    """
    if evidence.image is None:
        return not_run("there is no image")
    size = evidence.image.size_bytes
    parts = [f"{human_bytes(size)} (uncompressed, the engine's image size: the sum of its layers)"]
    failures = []
    details: dict[str, Any] = {"size_bytes": size}
    for ref, limit_key, label in ((evidence.reference, "max_ratio_to_reference", "the reference solution"),
                                  (evidence.baseline, "max_ratio_to_baseline", "the single-stage baseline")):
        limit = params.get(limit_key)
        if ref is None or limit is None:
            continue
        if not ref.size_bytes:
            parts.append(f"{label} could not be measured ({ref.error or 'no image'})")
            continue
        ratio = size / ref.size_bytes
        details[f"ratio_to_{ref.name}"] = round(ratio, 3)
        details[f"{ref.name}_size_bytes"] = ref.size_bytes
        text = f"{ratio:.2f}x {label} ({human_bytes(ref.size_bytes)}; limit {float(limit):.2f}x)"
        parts.append(text)
        if ratio > float(limit):
            failures.append(text)
    max_bytes = params.get("max_bytes")
    if max_bytes:
        if size > int(max_bytes):
            failures.append(f"over the {human_bytes(int(max_bytes))} limit")
        parts.append(f"limit {human_bytes(int(max_bytes))}")
    message = "; ".join(parts) + "."
    if failures:
        return Outcome(False, "Too large: " + message, details)
    return Outcome(True, message, details)


@dynamic_check("wasted_bytes", lesson="05_layer_cache.ipynb#clean-up-in-the-same-layer", needs=("filesystem",),
               max_bytes=5_000_000)
def wasted_bytes(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No bytes hidden under later layers.

    Why it matters:
        Layers only add: a file deleted or overwritten by a later instruction is hidden, but its
        bytes still ship in the earlier layer. `rm` in its own RUN makes the image no smaller.
    How to fix:
        Delete temporary files (apt lists, caches, build trees) in the same RUN that created
        them, or build them in a stage you do not ship.
    """
    if evidence.image is None or evidence.filesystem is None:
        return not_run(evidence.filesystem_error or "there is no image")
    total = evidence.image.size_bytes - evidence.filesystem.total_bytes
    wasted = evidence.wasted_bytes or 0
    limit = int(params.get("max_bytes") or 0)
    base = evidence.base_wasted_bytes or 0
    measure = (f"the layers add up to {human_bytes(evidence.image.size_bytes)}, the final filesystem holds "
               f"{human_bytes(evidence.filesystem.total_bytes)}")
    if base:
        measure += f"; {human_bytes(base)} of the difference is the base image's own"
    details = {"wasted_bytes": wasted, "layers_bytes": evidence.image.size_bytes,
               "filesystem_bytes": evidence.filesystem.total_bytes, "base_wasted_bytes": base}
    if wasted > limit:
        return Outcome(False, f"{human_bytes(wasted)} ship without being visible ({measure}; limit {human_bytes(limit)}).", details)
    return Outcome(True, f"{human_bytes(max(0, wasted))} hidden by later layers ({measure}).", details)
