"""Checks on the rebuild after a source-only change: the dependency layer comes from the cache."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.checks.base import Evidence, Outcome, dynamic_check, not_run


@dynamic_check("cache_reuse", lesson="05_layer_cache.ipynb#dependencies-before-source", needs=("cache",), source_file=None)
def cache_reuse(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """Changing the source reuses the dependency layer.

    Why it matters:
        The cache reuses a layer only while everything before it is unchanged. If the source is
        copied before dependencies are installed, every code edit reinstalls (and recompiles)
        them: minutes per build instead of seconds.
    How to fix:
        Copy only the dependency manifest (requirements.txt, pyproject.toml and lock file) and
        install from it; copy the rest of the source afterwards (COPY . . last).
    """
    facts = evidence.cache
    if facts is None:
        return not_run("there is no image")
    if facts.error:
        return Outcome(False, facts.error)
    if not facts.install_steps:
        return Outcome(False, "No dependency-install step (pip, uv, poetry, pipenv or pdm install) was found in the build.")
    missed = [instruction for instruction, cached in facts.install_steps if not cached]
    changed = f"appending a comment to {facts.changed_file}"
    if missed:
        return Outcome(False, f"After {changed}, `{_clip(missed[0])}` ran again instead of coming from the cache.",
                       {"changed_file": facts.changed_file, "rebuilt": missed})
    return Outcome(True, f"After {changed}, all {len(facts.install_steps)} install step(s) came from the cache "
                         f"(rebuild {facts.seconds:.1f} s).", {"changed_file": facts.changed_file})


def _clip(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
