"""A pure parser of the classic builder's JSON stream into :class:`BuildStep` s.

The classic builder (``POST /build`` without BuildKit) streams JSON chunks:

- ``{"stream": "Step 2/5 : RUN make\\n"}``: a step starts (``Step N/M : <instruction>``);
- ``{"stream": " ---> Using cache\\n"}``: the step reused a cached image;
- ``{"stream": " ---> Running in 0123456789ab\\n"}``: the step's container was created;
- ``{"stream": " ---> 0123456789ab\\n"}``: the image the step produced;
- ``{"stream": "Removing intermediate container ...\\n"}``: bookkeeping, not the step's output;
- any other ``stream`` text: what the step printed;
- ``{"aux": {"ID": "sha256:..."}}``: the final image;
- ``{"error": "...", "errorDetail": {...}}``: the build failed.

Nothing here talks to the engine or reads a clock: the caller passes the time of each chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .results import STEP_TAIL_LINES, BuildStep

_STEP_RE = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_IMAGE_RE = re.compile(r"^ ?---> ([0-9a-f]{12,64})$")
_RUNNING_RE = re.compile(r"^ ?---> Running in ([0-9a-f]{12,64})$")


@dataclass(frozen=True)
class LogLine:
    """One line of the build's ``stream`` text, after the parser has taken it in."""

    text: str
    """The line as the builder wrote it (no newline)."""
    step: BuildStep | None
    """The step running when the line came (None before the first ``Step``)."""
    started_container: str | None = None
    """The container id when this line says a step's container was created (``Running in``)."""

    @property
    def blank(self) -> bool:
        """Whether the line has only whitespace."""
        return not self.text.strip()


class BuildLogParser:
    """Accumulates a classic build's steps, final image id and error from its chunks.

    Feed every chunk to :meth:`feed` (iterate what it yields), then call :meth:`finish`.
    """

    def __init__(self) -> None:
        self.steps: list[BuildStep] = []
        self.image_id: str | None = None
        """The final image's id from the ``aux`` chunk (``sha256:...``), None until it comes."""
        self.error: str | None = None
        """The builder's error message, None unless an error chunk came."""
        self._step_started = 0.0

    def feed(self, chunk: dict, now: float = 0.0) -> Iterator[LogLine]:
        """Take one decoded JSON chunk received at ``now`` (seconds, any monotonic clock).

        Yields a :class:`LogLine` for every line of its ``stream`` text, each after the parser
        took it in (so a caller may act on a line before the next one is parsed).
        """
        if "stream" in chunk:
            for line in str(chunk["stream"]).splitlines():
                yield self._line(line, now)
        aux = chunk.get("aux")
        if isinstance(aux, dict) and "ID" in aux:
            self.image_id = aux["ID"]
        if "error" in chunk:
            self.error = chunk.get("error") or str(chunk.get("errorDetail"))

    def _line(self, line: str, now: float) -> LogLine:
        stripped = line.strip()
        match = _STEP_RE.match(stripped)
        if match:
            if self.steps:
                self.steps[-1].seconds = now - self._step_started
            self._step_started = now
            self.steps.append(BuildStep(number=int(match.group(1)), instruction=match.group(3)))
            return LogLine(line, self.steps[-1])
        if not self.steps:
            return LogLine(line, None)
        step = self.steps[-1]
        if stripped == "---> Using cache":
            step.cached = True
        elif (running := _RUNNING_RE.match(line)) is not None:
            step.container_id = running.group(1)
            step.ran = True
            return LogLine(line, step, started_container=step.container_id)
        elif (image := _IMAGE_RE.match(line)) is not None:
            step.image_id = image.group(1)
        elif stripped and not stripped.startswith("Removing intermediate container"):
            step.output.append(line.rstrip())
            if len(step.output) > STEP_TAIL_LINES:
                del step.output[0]
        return LogLine(line, step)

    def finish(self, now: float) -> None:
        """Close the last step's timing at ``now`` (unless a later header already did)."""
        if self.steps and self.steps[-1].seconds == 0.0:
            self.steps[-1].seconds = now - self._step_started


def parse_chunks(chunks: Iterable[dict]) -> BuildLogParser:
    """Parse a whole recorded stream (timings all zero); the parser holds steps, image id, error."""
    parser = BuildLogParser()
    for chunk in chunks:
        for _ in parser.feed(chunk):
            pass
    parser.finish(0.0)
    return parser
