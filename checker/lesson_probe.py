"""Look inside an image: run a shell snippet in it and read what it printed.

`checker.engine` has no "run a container" call yet, so a probe uses what it has: a two-step build
``FROM <image>`` + ``RUN sh probe.sh`` with the cache off. A RUN step is a container started from
the image, as the image's user, with its environment and working directory, and the classic
builder streams its output into the build log, between two marker lines we look for. The probe
image is removed straight away (its layers are the only ones it created).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import engine
from . import settings as course_settings

_BEGIN = "=== lpi-probe-begin ==="
_END_RE = re.compile(r"^=== lpi-probe-end (\d+) ===$")


@dataclass(frozen=True)
class ProbeResult:
    image: str
    script: str
    exit_code: int | None
    """The snippet's exit status; None when the probe itself could not run."""
    output: str
    """What the snippet printed (stdout and stderr, interleaved)."""
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.strip()]

    def fields(self) -> dict[str, str]:
        """Read ``name: value`` lines (how the lessons' probes label what they print)."""
        found = {}
        for line in self.lines():
            name, sep, value = line.partition(":")
            if sep:
                found[name.strip()] = value.strip()
        return found

    def __str__(self) -> str:
        return self.output


def run_in(image: str, script: str, *, timeout_s: float = 300, settings: course_settings.Settings | None = None) -> ProbeResult:
    """Run ``script`` with ``sh`` inside ``image`` and return its output and exit status."""
    settings = settings or course_settings.load()
    body = f"echo '{_BEGIN}'\n(\n{script}\n) 2>&1\necho \"=== lpi-probe-end $? ===\"\n"
    tag = f"lpi-probe/{uuid.uuid4().hex[:12]}:latest"
    with tempfile.TemporaryDirectory(prefix="lpi-probe-") as tmp:
        (Path(tmp) / "lpi-probe.sh").write_text(body)
        result = engine.build(
            tmp,
            dockerfile_text=f"FROM {image}\nCOPY lpi-probe.sh /tmp/lpi-probe.sh\nRUN sh /tmp/lpi-probe.sh\n",
            tag=tag,
            nocache=True,
            timeout_s=timeout_s,
            settings=settings,
        )
    if result.ok:
        engine.remove_image(tag, force=False)
    output, exit_code = _between_markers(result.log)
    error = None if exit_code is not None else (result.error or "the probe printed no result")
    return ProbeResult(image, script, exit_code, output, result.seconds, error)


def _between_markers(log: str) -> tuple[str, int | None]:
    lines = log.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == _BEGIN)
    except StopIteration:
        return "", None
    captured = []
    for line in lines[start + 1 :]:
        match = _END_RE.match(line.strip())
        if match:
            return "\n".join(captured), int(match.group(1))
        captured.append(line)
    return "\n".join(captured), None


def parse_numbers(output: str) -> dict[str, int]:
    """Read ``<number> <name>`` lines (the shape `du -sb` and `wc -l` print) into a dict."""
    values: dict[str, int] = {}
    for line in output.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0].isdigit():
            values[parts[1].strip()] = int(parts[0])
    return values
