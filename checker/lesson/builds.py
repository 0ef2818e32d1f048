"""Build the lessons' images on the real engine, with visible progress, and keep them as a cache.

Every lesson image is tagged ``lpi-lesson/<name>:latest`` and labelled
``org.lean-python-images.keep=lesson``: it is kept on purpose, so running a lesson again reuses
its layers (and other lessons sharing a Dockerfile prefix reuse them too). ``python -m checker
clean`` removes them all. Builds that exist only to make a point (a rebuild after an edit, a probe)
are *throwaway*: :func:`discard` removes exactly the layers they created and nothing they reused.
"""

from __future__ import annotations


import re
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from .. import engine, probes
from .. import settings as course_settings
from ..dockerfile.history import layer_instructions
from ..engine.bkstatus import stage_nodes
from ..dockerfile.model import Dockerfile, ParseError, Stage
from ..dockerfile.parser import parse
from ..report import cache_summary as report_cache_summary
from ..report import counted_steps as report_counted_steps
from . import cli
from .context import SAMPLE_APP_DIR, stage
from .progress import BuildProgress
from .table import Table, human_bytes, human_seconds, shorten
from .variants import variant as lookup_variant

REPOSITORY = "lpi-lesson"
KEEP_VALUE = "lesson"
LABEL_VARIANT = "org.lean-python-images.lesson.variant"
#: Between a build's name and a stage's in the name of a stage image built for a measure
#: (``multi-stage--builder``, see :meth:`LessonImage.stage_image`).
STAGE_SEPARATOR = "--"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def counted_steps(steps: list[engine.BuildStep]) -> list[engine.BuildStep]:
    """The steps every lesson counts, tables and charts alike: the Dockerfile's own cacheable ones
    (the grader's one count, :func:`checker.report.counted_steps`; its report says the same)."""
    return report_counted_steps(steps)


def lesson_tag(name: str) -> str:
    """The tag a lesson build of variant ``name`` gets: ``lpi-lesson/<name>:latest``."""
    return f"{REPOSITORY}/{name}:latest"


@dataclass
class LessonImage:
    """One lesson build: what was built, how the build went, and (when it worked) the image."""

    name: str
    label: str
    tag: str | None
    dockerfile: str
    base_ref: str | None
    result: engine.BuildResult
    info: engine.ImageInfo | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    """The build arguments it was built with."""
    target: str | None = None
    """The stage built (``--target``), None for the last one."""
    _build_stage: Callable[[str], "LessonImage"] | None = field(default=None, repr=False, compare=False)
    _stage_images: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _stage_builds: list["LessonImage"] = field(default_factory=list, repr=False, compare=False)
    _measured: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def step_images(self) -> dict[int, str]:
        """Image id after each step number, as the classic builder's log printed it (BuildKit keeps no
        image per step: empty; :meth:`stage_image` works with both)."""
        return {step.number: step.image_id for step in self.result.steps if step.image_id}

    @property
    def builder(self) -> str:
        """The builder that ran the build: ``classic`` or ``buildkit``."""
        return self.result.builder

    @cached_property
    def model(self) -> Dockerfile:
        """The parsed Dockerfile (with the build arguments it was built with), parsed once. Raises ParseError."""
        return parse(self.dockerfile, build_args=dict(self.build_args))

    def _built_stage(self, model: Dockerfile) -> Stage:
        if self.target is None:
            return model.final_stage
        found = model.stage_for(self.target)
        if found is None:
            raise KeyError(f"{self.name} has no stage named {self.target!r}")
        return found

    def stage_of(self, step: engine.BuildStep) -> Stage:
        """The stage ``step`` belongs to. Raises KeyError when the Dockerfile has no such step."""
        model = self.model
        for stage in model.stages:
            if any(instruction.index + 1 == step.number for instruction in (stage.from_instruction, *stage.instructions)):
                return stage
        raise KeyError(f"step {step.number} of {self.name} is in no stage of its Dockerfile")

    def stage_image(self, stage: str) -> str:
        """A reference (id or tag) to an image holding stage ``stage`` (its name or index) as built: what
        ``docker build --target STAGE`` makes, e.g. to look inside a builder stage.

        The built stage's image is this build's. For another stage, the classic builder's image
        after the stage's last step is taken from the build log; BuildKit keeps no image per step, so
        the stage is built with ``--target`` (every step from cache) and kept as
        ``lpi-lesson/<name>--<stage>``. Raises KeyError for an unknown stage, ValueError when the
        build failed or the stage cannot be built.
        """
        if self.info is None:
            raise ValueError(f"{self.name} has no image: the build failed ({self.result.error})")
        model = self.model
        wanted = model.stage_for(stage)
        if wanted is None:
            raise KeyError(f"{self.name} has no stage named {stage!r}; it has {[s.name for s in model.stages]}")
        if wanted.index == self._built_stage(model).index:
            return self.info.id
        if wanted.name in self._stage_images:
            return self._stage_images[wanted.name]
        last = wanted.instructions[-1].index + 1 if wanted.instructions else wanted.from_instruction.index + 1
        kept = [number for number in self.step_images if wanted.from_instruction.index + 1 <= number <= last]
        if kept:
            image_id = self.step_images[max(kept)]
        elif self.builder == "buildkit" and self._build_stage is not None:
            staged = self._build_stage(wanted.name)
            self._stage_builds.append(staged)
            if not staged.ok or staged.info is None:
                raise ValueError(f"stage {wanted.name} of {self.name} did not build: {staged.result.error}")
            image_id = staged.tag or staged.info.id
        else:
            raise ValueError(f"the build of {self.name} left no image of stage {wanted.name}")
        self._stage_images[wanted.name] = image_id
        return image_id

    @property
    def ok(self) -> bool:
        """Whether the build produced an image."""
        return self.result.ok

    @property
    def size_bytes(self) -> int:
        """The image's uncompressed size in bytes, the same on every image store (the grader's measure:
        :func:`checker.probes.image_size`; `docker images` on the classic store shows the same).

        Raises ``ValueError`` if the build failed, :class:`checker.engine.EngineError` if the engine cannot export it.
        """
        if self.info is None:
            raise ValueError(f"{self.name} has no image: the build failed ({self.result.error})")
        if self.info.id not in self._measured:
            self._measured[self.info.id] = probes.image_size(self.info)
        return self._measured[self.info.id]

    @property
    def seconds(self) -> float:
        """Wall-clock seconds the build took."""
        return self.result.seconds

    @property
    def steps(self) -> list[engine.BuildStep]:
        """The build's steps in log order (number, instruction, cached, seconds, image id)."""
        return self.result.steps

    def step(self, needle: str) -> engine.BuildStep:
        """The last build step whose instruction contains ``needle`` (the final stage wins)."""
        found = [s for s in self.result.steps if needle in s.instruction]
        if not found:
            raise KeyError(f"no step of {self.name} contains {needle!r}")
        return found[-1]

    @property
    def counted_steps(self) -> list[engine.BuildStep]:
        """The steps the lessons count (see :func:`counted_steps`)."""
        return counted_steps(self.result.steps)

    def cache_summary(self) -> str:
        """``"N of M steps from cache"`` over :attr:`counted_steps`."""
        return report_cache_summary(self.result.steps)

    def printed_name(self, step: engine.BuildStep) -> str:
        """The step as the builder that ran it names it in ``docker build``'s output: BuildKit's
        ``[builder 4/6] RUN pip install ...`` (step 4 of the 6 of stage ``builder``; the terminal puts
        a ``#N`` numbering the build's operations before it) or the classic builder's
        ``Step 7/14 : RUN pip install ...``. The instruction as the file has it when the file does
        not say (a step the Dockerfile does not explain). BuildKit's own name is used when the build
        recorded it (it may name a one-stage file's stage ``stage-0``)."""
        if step.printed and self.builder == "buildkit":
            return step.printed
        try:
            model = self.model
        except ParseError:
            return step.instruction
        if self.builder == "classic":
            # The log's own count (it includes the LABEL steps the course's labels add), else the file's.
            printed = re.search(rf"^Step {step.number}/(\d+) : ", _ANSI.sub("", self.result.log), re.MULTILINE)
            total = int(printed.group(1)) if printed else len(model.instructions)
            return f"Step {step.number}/{total} : {step.instruction}"
        nodes = stage_nodes(model)
        for stage in model.stages:
            key = "" if len(model.stages) == 1 else (stage.alias.lower() if stage.alias else f"stage-{stage.index}")
            found = [position for position, instruction in enumerate(nodes.get(key, [])) if instruction.index + 1 == step.number]
            if found:
                prefix = f"{key} " if key else ""
                return f"[{prefix}{found[0] + 1}/{len(nodes[key])}] {step.instruction}"
        return step.instruction

    def steps_table(self) -> Table:
        """One row per counted step (:func:`counted_steps`): the step as ``docker build`` names it
        (:meth:`printed_name`, shortened), whether it came from the cache (the builder prints
        ``CACHED`` or ``---> Using cache``), and its seconds."""
        table = Table(["docker build step", "from cache", "seconds"],
                      caption=f"{self.label} ({self.builder} builder): {self.cache_summary()}",
                      formats={"seconds": lambda s: f"{s:.1f}", "from cache": lambda c: c})
        said = "CACHED" if self.builder == "buildkit" else "Using cache"
        for s in self.counted_steps:
            table.add(**{"docker build step": shorten(self.printed_name(s), 80),
                         "from cache": f"yes ({said})" if s.cached else "no: ran", "seconds": s.seconds})
        return table

    def error_tail(self, lines: int = 12) -> str:
        """The last lines of the build log, without terminal colour codes."""
        return "\n".join(_ANSI.sub("", self.result.log).rstrip().splitlines()[-lines:])

    def log_lines(self, pattern: str) -> list[str]:
        """Log lines matching a regular expression (colour codes removed)."""
        regex = re.compile(pattern)
        return [line.strip() for line in _ANSI.sub("", self.result.log).splitlines() if regex.search(line)]

    def step_layer_bytes(self, needle: str) -> int:
        """Size in bytes of the layer the step containing ``needle`` added, in whichever stage it ran.

        The step's stage image (:meth:`stage_image`: this image, or the builder stage's) is sized
        from its layer tars as the grader sizes images (the same on every image store); its layers
        after the base image's are paired with the stage's instructions by keyword (as the grader's
        report names layers, :func:`checker.dockerfile.history.layer_instructions`). A step that
        changed no file made no layer: 0. Raises KeyError when no step matches, EngineError when
        the engine cannot export the image.
        """
        from .layers import measured

        step = self.step(needle)
        model = self.model
        stage = self.stage_of(step)
        info = engine.image_info(self.stage_image(stage.name))
        sized = measured(info, show=False)
        root = model.lineage(stage)[0]
        skip = 0
        if root.root_base != "scratch":
            base = engine.image_info(root.base_resolved)
            if info.diff_ids[:len(base.diff_ids)] == base.diff_ids:
                skip = len(base.diff_ids)
        added = sized.layers[skip:]
        for layer, instruction in zip(added, layer_instructions([layer.created_by for layer in added], model, stage)):
            if instruction is not None and instruction.index + 1 == step.number:
                return layer.size_bytes
        return 0

    def _repr_markdown_(self) -> str:
        if self.ok and self.info is not None:
            return f"`{self.tag}`: {human_bytes(self.size_bytes)}, built in {human_seconds(self.seconds)}"
        return f"**{self.label}: the build failed** at `{self.result.failed_step}`"

    def __repr__(self) -> str:
        if self.ok and self.info is not None:
            return f"<LessonImage {self.tag}: {human_bytes(self.size_bytes)}, built in {human_seconds(self.seconds)}>"
        return f"<LessonImage {self.name}: build failed at {self.result.failed_step!r}>"


def build(
    name: str,
    dockerfile: str,
    *,
    label: str | None = None,
    base_ref: str | None = None,
    target: str | None = None,
    source: str | Path = SAMPLE_APP_DIR,
    dockerignore: bool = True,
    edits: Mapping[str, str] | None = None,
    tag: str | None = None,
    throwaway: bool = False,
    nocache: bool = False,
    show: bool = True,
    settings: course_settings.Settings | None = None,
    dockerfile_path: str | Path | None = None,
    secrets: Mapping[str, str] | None = None,
) -> LessonImage:
    """Build ``dockerfile`` against a staged copy of ``source`` and tag it ``lpi-lesson/<name>``.

    A failed build is returned (``.ok`` is False, ``.result.log`` has the engine's words); only
    engine trouble raises. A throwaway build gets a tag of its own (``<name>-throwaway-<random>``)
    so it never replaces a kept image; call :func:`discard` on it afterwards. With ``show``, the
    equivalent ``docker build`` (:func:`checker.lesson.cli.docker_build`) is shown before the
    progress; ``dockerfile_path`` names the file ``dockerfile`` was read from, for that command.
    ``secrets`` (id -> value) are offered to ``RUN --mount=type=secret`` and need
    ``settings.builder == "buildkit"`` (the classic builder raises ValueError).
    """
    settings = settings or course_settings.load()
    # The builder a learner's `docker build` would use here: BuildKit where the engine offers it.
    settings = replace(settings, builder=engine.choose_builder(settings).name)
    if base_ref is not None and not engine.image_exists(base_ref):
        raise engine.ImageUnavailable(
            f"{base_ref} is not on this engine, so {name} cannot be built here. "
            "Run `python -m checker images` (it pulls or provisions the course's base images)."
        )
    tag = tag or (lesson_tag(f"{name}-throwaway-{uuid.uuid4().hex[:8]}") if throwaway else lesson_tag(name))
    previous = engine.image_info(tag).id if engine.image_exists(tag) else None
    if show:
        cli.display_command(cli.docker_build(tag=tag, context=source, dockerfile_path=dockerfile_path, dockerfile_text=dockerfile,
                                  build_args=settings.build_args, target=target, nocache=nocache,
                                  builder=settings.builder, edited=sorted(edits or {}), dockerignore=dockerignore,
                                  secrets=sorted(secrets or {}), network=settings.build_network))
    progress = BuildProgress(f"{label or name} ({tag})") if show else None
    with tempfile.TemporaryDirectory(prefix="lpi-lesson-") as tmp:
        context = stage(Path(tmp) / "context", source=source, dockerignore=dockerignore, edits=edits)
        result = engine.build(
            context,
            dockerfile_text=dockerfile,
            tag=tag,
            target=target,
            build_args=settings.build_args,
            labels={course_settings.LABEL_KEEP: KEEP_VALUE, LABEL_VARIANT: name},
            nocache=nocache,
            on_line=progress.line if progress else None,
            settings=settings,
            secrets=dict(secrets) if secrets else None,
            # No limiting cgroup parent: it is part of BuildKit's RUN cache keys, and the learner's
            # own `docker build` of the command shown has none, so both share one cache.
            step_cgroup=False,
            # A folder, as `docker build .` sends it: .dockerignore applies (the Dockerfile stays out of COPY).
            local_context=True,
        )
    info = engine.image_info(result.image_id) if result.ok and result.image_id else None

    def build_stage(stage: str) -> LessonImage:
        return build(f"{name}{STAGE_SEPARATOR}{stage.lower()}", dockerfile, label=f"{label or name}, stage {stage}", base_ref=base_ref,
                     target=stage, source=source, dockerignore=dockerignore, edits=edits, nocache=False,
                     throwaway=throwaway, show=show, settings=settings, dockerfile_path=dockerfile_path, secrets=secrets)

    image = LessonImage(name, label or name, tag if result.ok else None, dockerfile, base_ref, result, info,
                        build_args=dict(settings.build_args), target=target, _build_stage=build_stage)
    if previous and info is not None and previous != info.id:
        _drop_if_untagged(previous)
    if progress:
        counted = counted_steps(result.steps)
        error_lines = (result.error or "").strip().splitlines()
        message = error_lines[-1] if (error_lines and not result.ok) else ""
        progress.finish(ok=result.ok, seconds=result.seconds, steps=len(counted),
                        cached=sum(step.cached for step in counted), message=message,
                        size_bytes=info.size_bytes if info is not None else None)
    return image


def build_variant(name: str, *, show: bool = True, **options) -> LessonImage:
    """Build one of the lesson variants (see checker.lesson.variants) by name; cached when unchanged.

    ``options`` are :func:`build`'s. Raises ``KeyError`` for an unknown variant and
    ``engine.ImageUnavailable`` when its base image is not on the engine.
    """
    spec = lookup_variant(name)
    settings = options.pop("settings", None) or course_settings.load()
    path = SAMPLE_APP_DIR / spec.source_file if spec.source_file else None
    return build(name, spec.dockerfile(), label=spec.label, base_ref=spec.base_ref(settings), target=spec.target,
                 show=show, settings=settings, dockerfile_path=path, **options)


def _drop_if_untagged(image_id: str) -> None:
    try:
        if not engine.image_info(image_id).tags:
            engine.remove_image(image_id, force=False)
    except engine.EngineError:
        pass


def discard(image: LessonImage) -> None:
    """Remove what a throwaway build created (stage images :meth:`LessonImage.stage_image` built for it
    included), and nothing it took from the cache."""
    for staged in image._stage_builds:
        engine.discard_build(staged.result)
    engine.discard_build(image.result)
