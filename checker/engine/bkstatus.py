"""A pure parser of BuildKit's solve status (``docker buildx build --progress=rawjson``) into :class:`BuildStep` s.

buildx writes one JSON object per line on standard error, each a ``SolveStatus``:

- ``vertexes``: build graph nodes, each with a ``digest``, a ``name`` and, as the build goes on,
  ``started``, ``completed`` (RFC 3339 times), ``cached`` and ``error``. A Dockerfile instruction's
  node is named ``[<stage> <i>/<n>] <instruction>`` (``[builder 3/6] RUN pip install ...``; no
  stage when the file has one stage); others are bookkeeping (``[internal] load ...``,
  ``exporting to image``);
- ``logs``: output of a vertex, ``data`` base64-encoded, in arbitrary chunks (not whole lines);
- ``statuses`` and ``warnings``: progress of pulls and exports, build-check warnings.

Lines that are not JSON (buildx's own final ``ERROR: ...``) are kept as they are.

Step numbers follow the classic builder's count (instruction index in the file plus one, global
ARGs included), so every reader of :class:`BuildStep` (the cache probe above all) sees the same
numbers from both builders. BuildKit's ``i/n`` counts only the instructions of a stage that make
a graph node (the stage's FROM when its base is an image, then RUN, COPY, ADD, WORKDIR);
:func:`step_index` maps it back to the file with the parsed Dockerfile. Nothing here talks to
the engine; the caller passes the decoded lines.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import datetime

from ..dockerfile import Dockerfile, Instruction
from .buildlog import LogLine
from .results import STEP_TAIL_LINES, BuildStep

_VERTEX_RE = re.compile(r"^\[(?:(?P<stage>[^\]\s]+) )?(?P<i>\d+)/(?P<n>\d+)\] (?P<text>.*)$", re.S)
#: Instructions of a stage that make a BuildKit graph node (besides an image FROM).
NODE_KEYWORDS = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})


def _time(value: str | None) -> float | None:
    """Seconds since the epoch of an RFC 3339 time with up to nanoseconds (``...T06:15:36.667288692Z``)."""
    if not value:
        return None
    match = re.match(r"^(.*?T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", value)
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    stamp = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    return stamp.timestamp() + (float("0." + fraction) if fraction else 0.0)


def stage_nodes(model: Dockerfile) -> dict[str, list[Instruction]]:
    """For every stage, by the names BuildKit prints (its alias lowercased, ``stage-<k>``, and ``""``
    for a one-stage file), the instructions that make a graph node, in order (``i`` is 1-based)."""
    found: dict[str, list[Instruction]] = {}
    for stage in model.stages:
        nodes = [stage.from_instruction] if stage.parent is None and stage.root_base != "scratch" else []
        nodes += [instruction for instruction in stage.instructions if instruction.keyword in NODE_KEYWORDS]
        found[f"stage-{stage.index}"] = nodes
        if stage.alias:
            found[stage.alias.lower()] = nodes
    if len(model.stages) == 1:
        found[""] = found["stage-0"]
    return found


def step_index(nodes: dict[str, list[Instruction]], stage: str, i: int, n: int, text: str) -> Instruction | None:
    """The instruction of node ``[stage i/n] text``, or None when the file does not explain it.

    By position when the stage has ``n`` nodes; otherwise the first node with the same keyword and
    the same start of text.
    """
    candidates = nodes.get(stage.lower())
    if candidates is None:
        return None
    if len(candidates) == n and 0 < i <= n:
        return candidates[i - 1]
    keyword = text.split(None, 1)[0].upper() if text.strip() else ""
    for instruction in candidates:
        if instruction.keyword == keyword and text[len(keyword):].strip()[:20] in instruction.raw:
            return instruction
    return None


class StatusParser:
    """Accumulates a BuildKit build's steps, log text and error from its status lines.

    Feed every line of buildx's standard error to :meth:`feed` (iterate what it yields), then call
    :meth:`finish`. ``model`` (the parsed Dockerfile) gives steps their file numbers and lines;
    without it steps are numbered as they appear.
    """

    def __init__(self, model: Dockerfile | None = None) -> None:
        self.steps: list[BuildStep] = []
        """Dockerfile steps in file order (stages skipped by BuildKit are absent)."""
        self.error: str | None = None
        """BuildKit's error for the first vertex that failed (or buildx's own ``ERROR:`` line)."""
        self.failed: BuildStep | None = None
        """The step whose vertex failed, None when the failure was outside a step."""
        self.warnings: list[dict] = []
        """Build-check warnings as BuildKit sent them (``short``, ``detail``, ``url``, ``range``...)."""
        self.cli_lines: list[str] = []
        """Lines of buildx's standard error that are not status JSON."""
        self._nodes = stage_nodes(model) if model is not None else {}
        self._by_digest: dict[str, BuildStep] = {}
        self._names: dict[str, str] = {}
        self._times: dict[str, tuple[float | None, float | None]] = {}
        self._partial: dict[str, str] = {}

    def feed(self, raw: str) -> Iterator[LogLine]:
        """Take one line of buildx's standard error; yield a :class:`LogLine` for every output line
        it carries, and one (the node's name) when a step starts running its own work."""
        raw = raw.rstrip("\n")
        if not raw.strip():
            return
        try:
            status = json.loads(raw)
        except ValueError:
            status = None
        if not isinstance(status, dict):
            self.cli_lines.append(raw)
            if raw.startswith("ERROR:") and self.error is None:
                self.error = raw[len("ERROR:"):].strip()
            yield LogLine(raw, None)
            return
        for vertex in status.get("vertexes") or ():
            yield from self._vertex(vertex)
        for entry in status.get("logs") or ():
            yield from self._log(entry)
        for warning in status.get("warnings") or ():
            if isinstance(warning, dict):
                self.warnings.append(warning)

    def _step(self, digest: str, name: str) -> BuildStep | None:
        if digest in self._by_digest:
            return self._by_digest[digest]
        match = _VERTEX_RE.match(name)
        if match is None:
            return None
        text = match["text"].strip()
        instruction = step_index(self._nodes, match["stage"] or "", int(match["i"]), int(match["n"]), text)
        if instruction is not None:
            # One instruction, one step: with builds running side by side BuildKit can report the same
            # step under a second vertex (measured: a class graded two at a time listed a shared pip
            # install twice, "8 of 9 steps").
            known = next((step for step in self.steps if step.number == instruction.index + 1), None)
            if known is not None:
                self._by_digest[digest] = known
                return known
        number = instruction.index + 1 if instruction is not None else len(self.steps) + 1
        step = BuildStep(number=number, instruction=text, line=instruction.line if instruction is not None else None,
                         printed=name.strip())
        self._by_digest[digest] = step
        self.steps.append(step)
        self.steps.sort(key=lambda known: known.number)
        return step

    def _vertex(self, vertex: dict) -> Iterator[LogLine]:
        digest = str(vertex.get("digest") or "")
        name = str(vertex.get("name") or self._names.get(digest, ""))
        self._names[digest] = name
        step = self._step(digest, name)
        started, completed = _time(vertex.get("started")), _time(vertex.get("completed"))
        known_start, _ = self._times.get(digest, (None, None))
        self._times[digest] = (started or known_start, completed)
        error = vertex.get("error")
        if error and self.error is None:
            self.error = str(error)
            self.failed = step
        if step is None:
            return
        if vertex.get("cached"):
            step.cached = True
        if started is not None and completed is not None:
            step.seconds = max(step.seconds, completed - started, 0.0)
        if started is not None and not vertex.get("cached") and not step.ran and completed is None:
            step.ran = True
            yield LogLine(name, step)

    def _log(self, entry: dict) -> Iterator[LogLine]:
        digest = str(entry.get("vertex") or "")
        try:
            data = base64.b64decode(entry.get("data") or "").decode("utf-8", "replace")
        except ValueError:
            return
        text = self._partial.pop(digest, "") + data
        lines = text.split("\n")
        if lines[-1]:
            self._partial[digest] = lines[-1]
        step = self._by_digest.get(digest)
        for line in lines[:-1]:
            yield self._output(step, line.rstrip("\r"))

    def _output(self, step: BuildStep | None, line: str) -> LogLine:
        if step is not None and line.strip():
            step.output.append(line)
            if len(step.output) > STEP_TAIL_LINES:
                del step.output[0]
        return LogLine(line, step)

    def finish(self) -> Iterator[LogLine]:
        """Flush output lines that had no newline yet."""
        for digest, rest in list(self._partial.items()):
            yield self._output(self._by_digest.get(digest), rest)
        self._partial.clear()
