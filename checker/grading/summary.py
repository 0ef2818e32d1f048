"""The report's pieces about the engine, the base images, the build and the image.

Pure functions from what the engine returned to the report's dataclasses (:mod:`checker.report`),
plus the look-up (and pull, under a deadline) of the base images a Dockerfile names.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from .. import checks as dynamic
from .. import engine
from .. import settings as course_settings
from ..engine import build_errors
from ..dockerfile import Dockerfile
from ..dockerfile.history import layer_lines
from ..report import BaseImageRef, BuildStepSummary, BuildSummary, ImageSummary, LayerSummary
from ..reporters import clean

#: Seconds a missing base image may take to pull before grading gives up on it.
PULL_DEADLINE_S = 120
#: The largest hidden files the report lists (``image.wasted_files``).
WASTED_FILES_KEPT = 20
#: Lines of the failing step's output the report keeps.
LOG_TAIL_LINES = 20


def engine_info() -> dict[str, Any]:
    """The engine's measured facts: version, API version, image store, builders offered, and the builder used.

    Returns ``{}`` when the engine cannot say (an :class:`engine.EngineError` is swallowed).
    """
    try:
        data = engine.info()
    except engine.EngineError:
        return {}
    # ``builder`` is the one the settings and this engine call for (the build itself then says
    # which one ran: the pipeline overwrites it with the build's own); ``builders`` what is offered.
    try:
        builder = engine.choose_builder(course_settings.load()).name
    except (engine.EngineError, ValueError):
        builder = "classic"
    return {"server_version": data.server_version, "version": data.server_version, "api_version": data.api_version,
            "storage_driver": data.storage_driver, "image_store": data.image_store, "snapshotter": data.snapshotter,
            "builders": list(data.builders), "builder": builder, "operating_system": data.operating_system}


def base_images(model: Dockerfile) -> list[BaseImageRef]:
    """The external images ``model`` names (root FROM lines, ``COPY --from=<image>``), in order.

    A missing one is pulled (at most :data:`PULL_DEADLINE_S` seconds); one still missing comes
    back with ``available=False``. Raises :class:`engine.EngineUnavailable` when the engine
    does not answer.
    """
    from .. import images

    refs: list[str] = []
    for stage in model.stages:
        if stage.parent is None and stage.root_base and stage.root_base != "scratch" and not stage.unresolved:
            refs.append(stage.root_base)
        for instruction in stage.instructions:
            source = instruction.flag("from") if instruction.keyword in {"COPY", "ADD"} else None
            if source and model.stage_for(source, before=stage.index) is None and not source.isdigit():
                refs.append(source)
    found = []
    for ref in dict.fromkeys(refs):
        described = images.describe(ref)
        if not described.available:
            try:
                pull_with_deadline(ref, PULL_DEADLINE_S)
                described = images.describe(ref)
            except engine.EngineUnavailable:
                raise
            except engine.EngineError:
                pass
        found.append(BaseImageRef(ref, described.standin, described.available, described.detail))
    return found


def missing_image_message(model: Dockerfile, ref: str) -> str:
    """One sentence for an external image ``ref`` the engine lacks: which line names it and what to fix.

    A root FROM line names a base image; a ``COPY --from=<image>`` names an image to copy from
    (often a stage name with a typo, which Docker then reads as an image name), so the
    sentence names that COPY line and the stages that do exist, never "the FROM line".
    """
    for stage in model.stages:
        if stage.parent is None and stage.root_base == ref:
            return (f"The base image {ref} (FROM on line {stage.line}) is not on this engine and could not be pulled: "
                    f"run `python -m checker images` (course images) or fix the FROM line if the name is mistyped.")
    copies = [instruction for instruction in model.instructions
              if instruction.keyword in {"COPY", "ADD"} and instruction.flag("from") == ref]
    if not copies:
        return f"The image {ref} is not on this engine and could not be pulled."
    first = copies[0]
    names = [stage.alias for stage in model.stages[:first.stage] if stage.alias]
    stages = (f"the stages before it are named {', '.join(repr(name) for name in names)}" if names
              else "no stage before it has a name (FROM ... AS name)")
    return (f"The image {ref} that {first.keyword} --from={ref} on line {first.line} copies from is not on this engine "
            f"and could not be pulled: no earlier stage is called {ref!r}, so Docker reads it as an image name "
            f"({stages}). Fix the --from value on line {first.line}, or pull the image if you meant one.")


def pull_with_deadline(ref: str, seconds: float) -> None:
    """Pull ``ref``, giving up after ``seconds``.

    Raises :class:`engine.ImageUnavailable` at the deadline (the pull goes on in a daemon
    thread), or whatever :func:`engine.pull` raised.
    """
    outcome: dict[str, BaseException] = {}

    def pull() -> None:
        try:
            engine.pull(ref)
        except BaseException as exc:  # surfaced below
            outcome["exc"] = exc

    worker = threading.Thread(target=pull, name="lpi-pull", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise engine.ImageUnavailable(f"Pulling {ref} did not finish within {seconds:.0f} s.")
    if "exc" in outcome:
        raise outcome["exc"]


def build_summary(result: engine.BuildResult, buildkit_lines: list[tuple[int, str]] | tuple = (),
                  model: Dockerfile | None = None) -> BuildSummary:
    """The report's view of a build: every step, and for a failure its step, the lines that explain it
    (:func:`checker.engine.build_errors.diagnose`: error markers, not the tail), a recognised cause, and the tail.

    ``buildkit_lines`` (``(line, feature)`` pairs from the lint) adds a note to a failed build
    that the classic builder could not run BuildKit-only syntax. With ``model`` (the parsed
    Dockerfile), a failed step that spans several lines (a heredoc, which BuildKit names
    ``RUN <<EOF (set -e...)``) is quoted as the Dockerfile writes it, line by line; a command the
    engine Go-quoted (``\\n`` for each line break) is shown with its lines as lines.
    """
    summary = BuildSummary(
        ok=result.ok, seconds=result.seconds, error=(result.error or None) if not result.ok else None,
        failed_step=result.failed_step if not result.ok else None,
        failed_line=result.failed_line if not result.ok else None, builder=result.builder,
        log_tail=clean("\n".join(result.failed_output.splitlines()[-LOG_TAIL_LINES:])) if not result.ok else "",
        timed_out=result.timed_out,
        steps=[BuildStepSummary(s.number, s.instruction, s.cached, s.seconds) for s in result.steps],
    )
    if not result.ok and model is not None and result.failed_line:
        summary.failed_step = written_step(model, result.failed_line) or summary.failed_step
    if not result.ok and not summary.log_tail:
        summary.log_tail = clean("\n".join(result.log.rstrip().splitlines()[-LOG_TAIL_LINES:]))
    if not result.ok and not result.timed_out:
        diagnosis = build_errors.diagnose(result.log or result.failed_output)
        summary.error_lines = [clean(part) for line in diagnosis.lines
                               for part in (build_errors.readable_error(line) or "").splitlines() or [""]]
        if diagnosis.cause is not None:
            summary.cause, summary.hint = diagnosis.cause.id, diagnosis.cause.hint
    if not result.ok and buildkit_lines and result.builder == "classic":
        lines = "; ".join(f"line {line}: {feature}" for line, feature in buildkit_lines)
        summary.buildkit_note = (f"This Dockerfile uses syntax only BuildKit understands ({lines}). This engine builds "
                                 "with the classic builder, which cannot run it: write the classic equivalent (see LPI015).")
    return summary


def classic_cannot_build(lines: list[tuple[int, str]], facts: dict[str, Any] | None, asked_classic: bool = False) -> str:
    """Why a Dockerfile with BuildKit-only syntax cannot be graded on this engine, and what to do, in one paragraph.

    ``lines`` are ``(line, feature)`` pairs (:func:`checker.rules.buildkit.needs_buildkit` or the
    classic builder's own refusal; line 0 when unknown); ``facts`` the report's measured ``engine`` (its version and the
    builders it offers); ``asked_classic`` True when ``LPI_BUILDER``/``--builder`` asked for the
    classic builder. That is the grading machine's limit, so grading stops (status ``error``).
    """
    facts = facts or {}
    where = "; ".join(f"line {line}: {feature}" if line else feature for line, feature in lines[:4])
    if len(lines) > 4:
        where += f" and {len(lines) - 4} more"
    version = facts.get("version") or facts.get("server_version")
    engine_said = f"Docker {version}" if version else "this engine"
    offered = list(facts.get("builders") or ())
    if asked_classic:
        why = f"the classic builder was asked for (LPI_BUILDER / --builder classic) on {engine_said}"
    elif "buildkit" in offered:
        why = (f"{engine_said} offers BuildKit but the grader builds with the classic builder here "
               "(no docker-buildx CLI plugin was found)")
    else:
        why = f"{engine_said} builds with the classic builder only (builders offered: {', '.join(offered) or 'classic'})"
    if asked_classic and "buildkit" in offered:
        how = ("Grade it with BuildKit, which this engine offers: drop `--builder classic` (and unset "
               "LPI_BUILDER) or say `--builder buildkit`.")
    else:
        how = ("Grade it on an engine with BuildKit: add `--builder buildkit` where the engine offers it, or set "
               "DOCKER_HOST to an engine that `python -m checker engines list` prints (the course's modern "
               "engines, modern-containerd or modern-overlay2).")
    return (f"This Dockerfile cannot be graded on this engine: it uses syntax only BuildKit understands ({where}), "
            f"and {why}. That is the grading machine's limit, not a fault of your Dockerfile, so it is not scored. "
            f"{how} Or write the classic equivalent (LPI015 says how).")


def unreachable_index(said: str | None) -> str:
    """Why a build that could not reach a package index is not graded, in one sentence.

    ``said`` is the log's telling words (:func:`checker.engine.build_errors.diagnose`'s evidence), or None.
    A certificate error gets its own advice: grading again cannot fix it (a TLS-intercepting network whose
    authority the build's tool does not trust, as uv and poetry did not in this course's trial).
    """
    certificate = bool(said) and re.search(r"certificate|SSL", said or "", re.IGNORECASE) is not None
    return ("The build failed because this grading machine could not reach a package index"
            + (f" (the log says: {said})" if said else "")
            + ": that is not your Dockerfile's fault; "
            + ("a certificate error does not go away by grading again: the machine's network intercepts TLS and "
               "the tool in this build does not trust its certificate authority, so tell whoever runs the grader."
               if certificate else "grade again later or tell whoever runs the grader."))


def written_step(model: Dockerfile, line: int) -> str | None:
    """The instruction starting at ``line`` as the Dockerfile writes it, when it holds a heredoc (its lines,
    terminator included, joined by newlines); None for any other instruction or line."""
    for instruction in model.instructions:
        if instruction.line == line and instruction.heredocs:
            lines = model.text.splitlines()[instruction.line - 1:instruction.end_line]
            return "\n".join(text.rstrip() for text in lines) or None
    return None


def build_gate(build: BuildSummary) -> str:
    """The one sentence that sets a failed build's score to 0 (timed out, failing step, or error)."""
    if build.timed_out:
        reason = f"the build did not finish in time (stopped at `{build.failed_step}`)"
    elif build.failed_step:
        first, *more = build.failed_step.splitlines() or [""]
        reason = f"the image did not build (failing step: `{first}{' …' if more else ''}`)"
    else:
        reason = f"the image did not build ({(build.error or 'no reason given').strip()})"
    if build.buildkit_note:
        reason += ". " + build.buildkit_note.rstrip(".")
    return reason[0].upper() + reason[1:] + "."


def image_summary(evidence: dynamic.Evidence, model: Dockerfile | None = None) -> ImageSummary:
    """The report's view of the built image and what the probes measured (sizes in bytes).

    ``evidence.image`` must be set. With the parsed Dockerfile (``model``) each layer after the base image's is
    named by the line that made it (:func:`checker.dockerfile.history.layer_lines`, as the lessons name them).
    """
    image = evidence.image
    assert image is not None
    layers = evidence.layers
    shown = ([LayerSummary(layer.size_bytes, layer.created_by) for layer in layers.layers] if layers is not None
             else [LayerSummary(layer.size_bytes, layer.created_by) for layer in image.layers])
    base = min(evidence.base_layers, len(shown))
    if model is not None and (base or model.final_stage.root_base == "scratch"):
        # Without the base image's layers recognised, its history would be paired with the learner's lines.
        own = shown[base:]
        for layer, line in zip(own, layer_lines([layer.created_by for layer in own], model)):
            layer.instruction = line
    wasted_files = []
    if layers is not None:
        wasted_files = [
            {"path": wasted.path, "size_bytes": wasted.size_bytes, "added_by": layers.created_by(wasted.added_by),
             "removed_by": layers.created_by(wasted.removed_by), "added_by_layer": wasted.added_by,
             "removed_by_layer": wasted.removed_by}
            for wasted in layers.wasted_after(evidence.base_layers)[:WASTED_FILES_KEPT]
        ]
    return ImageSummary(
        size_bytes=evidence.size_bytes or 0,
        layers=shown,
        measure=layers.measure if layers is not None else ImageSummary.measure,
        engine_size_bytes=image.size_bytes,
        filesystem_bytes=(evidence.filesystem.total_bytes if evidence.filesystem
                          else layers.final_bytes if layers is not None else None),
        wasted_bytes=evidence.wasted_bytes,
        wasted_files=wasted_files,
        efficiency=round(layers.efficiency(evidence.base_layers), 4) if layers is not None else None,
        base_layers=evidence.base_layers,
        base_image=evidence.base_ref if base else None,
        reference_size_bytes=evidence.reference.size_bytes if evidence.reference else None,
        baseline_size_bytes=evidence.baseline.size_bytes if evidence.baseline else None,
        python=evidence.runtime.version if evidence.runtime and evidence.runtime.version else None,
    )
