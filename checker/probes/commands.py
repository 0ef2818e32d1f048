"""A rubric's ``command`` checks, run in the built image as its own user, each with a deadline.

Pure parameters in (the image id, the commands), :class:`checker.engine.RunResult` out; the
container is network-less, capability-less, limited like every probe and always removed
(:func:`checker.engine.run`). Judged by :func:`checker.checks.declarative.command`.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker import engine


@dataclass(frozen=True)
class CommandSpec:
    """One command to run: argv (no shell unless it is ``["sh", "-c", ...]``) and its deadline in seconds."""

    run: tuple[str, ...]
    deadline_s: float = 10.0


def run_commands(image: engine.ImageInfo, commands: list[CommandSpec], *, labels: dict[str, str] | None = None,
                 settings=None) -> dict[tuple[str, ...], engine.RunResult]:
    """Run each command in ``image`` as its ``Config.User`` in its ``WorkingDir``; argv -> result.

    The image's ENTRYPOINT is bypassed (the command is the program). A command that fails to
    start, fails or times out is a result; raises :class:`checker.engine.EngineUnavailable`
    when the engine is gone (other :class:`checker.engine.EngineError` become a result with
    ``exit_code`` None and the error as stderr).
    """
    results: dict[tuple[str, ...], engine.RunResult] = {}
    for spec in commands:
        try:
            results[spec.run] = engine.run(image.id, list(spec.run), entrypoint="", user=image.user or None,
                                           workdir=image.workdir or None, labels=labels, timeout_s=spec.deadline_s,
                                           settings=settings)
        except engine.EngineUnavailable:
            raise
        except engine.EngineError as exc:
            results[spec.run] = engine.RunResult(None, "", str(exc), 0.0)
    return results
