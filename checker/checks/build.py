"""Checks on the build itself: did the image build."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.engine.build_errors import diagnose
from checker.checks.base import Evidence, Outcome, dynamic_check, not_run
from checker.report import builder_name, cache_summary


@dynamic_check("builds", lesson="02_multi_stage.ipynb#the-multi-stage-pattern", needs=("build",))
def builds(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The image builds.

    Why it matters:
        Nothing else can be judged, and nothing can ship, until `docker build` succeeds on a
        clean engine with only the build context you submit.
    How to fix:
        Read the failing step and the lines of its output that explain the failure below; run the same build locally
        with `docker build`, fix that step, and build again.
    """
    build = evidence.build
    if build is None:
        return not_run("the build did not start")
    if build.ok:
        # The course's one step count (the Dockerfile's own cacheable steps), as the lessons count them.
        return Outcome(True, f"Built in {build.seconds:.1f} s with {builder_name(build.builder)} "
                             f"({cache_summary(build.steps)}).",
                       {"seconds": round(build.seconds, 3), "builder": build.builder})
    if build.timed_out:
        return Outcome(False, f"{build.error} Last step: {build.failed_step or 'none'}.")
    where = f" at `{build.failed_step}`" if build.failed_step else ""
    cause = diagnose(build.log or build.failed_output).cause
    error = (build.error or "").strip()
    if cause is not None and error and not error.endswith((".", "!", "?")):
        error += "."  # the engine's message ends without a full stop; the hint is a sentence of its own
    hint = f" {cause.hint}" if cause is not None else ""
    return Outcome(False, f"The build failed{where}: {error}{hint}",
                   {"cause": cause.id} if cause is not None else {})
