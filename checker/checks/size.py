"""Checks on the image's size: lean against the reference and the baseline, no bytes hidden under later layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.checks.base import Evidence, Outcome, dynamic_check, human_bytes, not_run, unmeasured


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
    size = evidence.size_bytes or 0
    measure = "uncompressed: the sum of its layers' files" if evidence.layers is not None else "the engine's image size"
    parts = [f"{human_bytes(size)} ({measure})"]
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
    if evidence.image is None or (evidence.layers is None and evidence.filesystem is None):
        return unmeasured(evidence)
    wasted = evidence.wasted_bytes or 0
    limit = int(params.get("max_bytes") or 0)
    base = evidence.base_wasted_bytes or 0
    layers = evidence.layers
    files = []
    if layers is not None:
        size, final = layers.size_bytes, layers.final_bytes
        files = layers.wasted_after(evidence.base_layers)
    else:
        assert evidence.filesystem is not None  # checked above: the layers or the filesystem
        size, final = evidence.image.size_bytes, evidence.filesystem.total_bytes
    name = layers.created_by if layers is not None else (lambda index: f"layer {index}")
    measure = f"the layers add up to {human_bytes(size)}, the final filesystem holds {human_bytes(final)}"
    if base:
        measure += f"; {human_bytes(base)} of the difference is the base image's own"
    details: dict[str, Any] = {"wasted_bytes": wasted, "layers_bytes": size, "filesystem_bytes": final,
                               "base_wasted_bytes": base}
    if files:
        details["wasted_files"] = [{"path": item.path, "size_bytes": item.size_bytes,
                                    "added_by": name(item.added_by),
                                    "removed_by": name(item.removed_by)} for item in files[:5]]
    if wasted > limit:
        top = "; largest: " + ", ".join(
            f"{item.path} ({human_bytes(item.size_bytes)}, added by `{_short(name(item.added_by))}`, "
            f"hidden by `{_short(name(item.removed_by))}`)" for item in files[:3]) if files else ""
        return Outcome(False, f"{human_bytes(wasted)} ship without being visible ({measure}; limit {human_bytes(limit)}){top}.",
                       details)
    return Outcome(True, f"{human_bytes(max(0, wasted))} hidden by later layers ({measure}).", details)


@dynamic_check("efficiency", lesson="05_layer_cache.ipynb#clean-up-in-the-same-layer", needs=("filesystem",),
               min_efficiency=0.9)
def efficiency(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """Your layers keep what they write.

    Why it matters:
        dive's efficiency score: of the bytes your own layers write (the base image's left out),
        the share the final image still shows. A file written in one layer and deleted or
        overwritten in a later one still ships; an efficiency under 90 % means a tenth of what
        you added is dead weight.
    How to fix:
        Remove temporary files in the same RUN that made them, do not change files' owner or mode
        in a later layer (that copies them), and build what you do not ship in another stage.
    """
    layers = evidence.layers
    if layers is None:
        return unmeasured(evidence)
    written = sum(layer.size_bytes for layer in layers.layers[evidence.base_layers:])
    kept = sum(layers.kept_by_layer[evidence.base_layers:])
    score = layers.efficiency(evidence.base_layers)
    limit = float(params.get("min_efficiency") or 0)
    details = {"efficiency": round(score, 4), "written_bytes": written, "kept_bytes": kept, "min_efficiency": limit}
    message = (f"{score:.1%} efficient: your layers write {human_bytes(written)}, the final image shows "
               f"{human_bytes(kept)} of it (limit {limit:.0%})")
    if score < limit:
        return Outcome(False, message + ".", details)
    return Outcome(True, message + ".", details)


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
