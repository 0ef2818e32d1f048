"""Look inside an image: run a shell snippet in it and read what it printed.

A probe is one short-lived container from the image (``checker.engine.run``): the image's own
user, working directory and environment, no network, no capabilities, removed when it ends.
stdout and stderr are merged, in the order the snippet wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import engine
from .. import settings as course_settings
from . import cli


@dataclass(frozen=True)
class ProbeResult:
    """What a shell snippet run in an image (by :func:`run_in`) printed and how it exited.

    ``seconds`` is the wall-clock time of the run; ``error`` says why the probe itself failed.
    """

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
        """Whether the snippet exited with status 0."""
        return self.exit_code == 0

    def lines(self) -> list[str]:
        """The output's non-blank lines."""
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


def run_in(image: str, script: str, *, timeout_s: float = 300, settings: course_settings.Settings | None = None,
           show: bool = True) -> ProbeResult:
    """Run ``script`` with ``sh`` inside ``image`` and return its output and exit status.

    With ``show``, the equivalent ``docker run --rm IMAGE sh -c '...'`` is shown first
    (:func:`checker.lesson.cli.docker_run_script`).

    stderr is merged into the output; ``timeout_s`` (seconds) bounds the run. A snippet that fails
    is a result with a non-zero ``exit_code``; engine trouble raises ``engine.EngineError``.
    """
    if show:
        cli.display_command(cli.docker_run_script(image, script))
    result = engine.run(image, ["sh", "-c", f"(\n{script}\n) 2>&1"], timeout_s=timeout_s,
                        settings=settings or course_settings.load())
    output = result.stdout.rstrip("\n")
    error = None
    if result.timed_out:
        error = f"the probe did not finish within {timeout_s:.0f} s"
    elif result.exit_code is None:
        error = result.stderr.strip() or "the probe could not run"
    return ProbeResult(image, script, result.exit_code, output, result.seconds, error)


def parse_numbers(output: str) -> dict[str, int]:
    """Read ``<number> <name>`` lines (the shape `du -sb` and `wc -l` print) into ``{name: number}``.

    Lines of any other shape are skipped.
    """
    values: dict[str, int] = {}
    for line in output.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0].isdigit():
            values[parts[1].strip()] = int(parts[0])
    return values
