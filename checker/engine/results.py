"""What any builder takes and returns: :class:`BuildLimits` in, :class:`BuildResult` (with its
:class:`BuildStep` s) out. A builder (see :mod:`checker.engine.builders`) fills these whatever its
engine protocol is."""

from __future__ import annotations

from dataclasses import dataclass, field

@dataclass(frozen=True)
class BuildLimits:
    """What one build may use; defaults come from Settings (see ``BuildLimits.from_settings``)."""

    memory_bytes: int
    """Memory (and memory plus swap: no extra swap) of every RUN step's container."""
    pids: int
    """Processes in one RUN step's container."""
    disk_bytes: int
    """Bytes the RUN steps may write together before the build is stopped (0: no limit)."""
    log_bytes: int
    """The build log kept in the result (its head and tail)."""
    network: str
    """The RUN steps' network: ``host``, ``none``, or ``default`` (the engine's default bridge)."""
    step_cgroup: bool = True
    """Whether BuildKit runs the RUN steps under the course's limiting cgroup parent
    (:mod:`checker.engine.cgroups`). The parent is part of every RUN's cache key, so such steps never
    share results with a terminal's ``docker build``; the lessons' own builds go without it."""

    @classmethod
    def from_settings(cls, settings, *, memory_bytes: int | None = None, network: str | None = None,
                      step_cgroup: bool = True) -> BuildLimits:
        """The limits of ``settings`` (a :class:`checker.settings.Settings`), three of them overridden."""
        return cls(
            memory_bytes=memory_bytes or settings.memory_bytes,
            pids=settings.pids_limit,
            disk_bytes=settings.build_disk_limit_bytes,
            log_bytes=settings.log_limit_bytes,
            network=network or settings.build_network,
            step_cgroup=step_cgroup,
        )


STEP_TAIL_LINES = 40
"""How many of its last output lines a :class:`BuildStep` keeps."""


@dataclass
class BuildStep:
    """One instruction of a build, as the build log shows it."""

    number: int
    """1-based, as the log counts (``Step 3/9``)."""
    instruction: str
    """The instruction as the builder echoes it (``RUN pip install ...``)."""
    cached: bool = False
    seconds: float = 0.0
    """Wall-clock time from this step's header to the next one (or to the end of the build)."""
    image_id: str | None = None
    """The (short) id of the image this step produced, as the build log prints it."""
    container_id: str | None = None
    """The intermediate container a RUN step ran in (removed by the engine afterwards)."""
    output: list[str] = field(default_factory=list, repr=False)
    """The last lines this step printed (at most ``STEP_TAIL_LINES``)."""
    ran: bool = False
    """Whether the step ran its own work (a RUN's container started; not taken from the cache)."""
    line: int | None = None
    """The Dockerfile line of the instruction (1-based), when the builder can tell (BuildKit)."""
    printed: str | None = None
    """The step's name as the builder printed it, when it names steps (BuildKit: ``[builder 4/6] RUN ...``;
    None for the classic builder, whose ``Step N/M`` the number gives)."""

    @property
    def is_from(self) -> bool:
        """Whether this step is a ``FROM`` (it starts a stage)."""
        return self.instruction.upper().startswith("FROM ")


@dataclass
class BuildResult:
    """The outcome of one build. A failed build is a result like this, never an exception."""

    ok: bool
    image_id: str | None
    """The built image's id (``sha256:...``); None unless ``ok``."""
    tag: str | None
    """The tag given to the built image; None unless ``ok``."""
    seconds: float
    """Wall-clock duration of the whole build."""
    steps: list[BuildStep] = field(default_factory=list)
    log: str = ""
    """The build output, capped at Settings.log_limit_bytes (the head and the tail are kept)."""
    error: str | None = None
    """Why the build failed, in one or a few sentences (the engine's own words when it has some)."""
    failed_step: str | None = None
    """The instruction the build failed or was stopped at."""
    timed_out: bool = False
    stopped: str | None = None
    """Why the caller's ``should_stop`` ended the build early (None when it ran to its end)."""
    failed_output: str = ""
    """The last lines the failing step printed (empty when the build did not fail in a step)."""
    builder: str = "classic"
    """The builder that built it: ``classic`` or ``buildkit``."""
    failed_line: int | None = None
    """The Dockerfile line of ``failed_step`` (1-based), when the builder can tell (BuildKit)."""

    def step_for(self, needle: str) -> BuildStep | None:
        """The first step whose instruction contains ``needle``, or None."""
        for step in self.steps:
            if needle in step.instruction:
                return step
        return None

    @property
    def stage_tips(self) -> list[str]:
        """Image ids of the last completed step of every stage (the final one included).

        The classic builder leaves earlier stages' images untagged and unlabelled; these are the
        images a caller tags to keep them as cache or removes to let the engine prune the chain.
        """
        tips: list[str] = []
        current: str | None = None
        for step in self.steps:
            if step.is_from:
                if current:
                    tips.append(current)
                current = None
            elif step.image_id:
                current = step.image_id
        if current:
            tips.append(current)
        return tips
