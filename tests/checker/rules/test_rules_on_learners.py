"""Realistic learner Dockerfiles in many styles: the rules judge principles, not our fixtures.

Each file under ``learners/`` says on a ``# fails:`` line which course rules it fails (error or
warning findings); every other rule must pass. The build context has a sensible .dockerignore
unless the file says ``# dockerignore: none``.
"""

from __future__ import annotations

import re

import pytest

from checker.lint import lint
from static_cases import GOOD_DOCKERIGNORE, LEARNERS

FILES = sorted(LEARNERS.glob("*.Dockerfile"))


def _expected(text: str) -> set[str]:
    match = re.search(r"^# fails:(.*)$", text, re.MULTILINE)
    assert match, "a learner file says which rules it fails: # fails: LPI001 LPI012 (or none)"
    names = match.group(1).split()
    return set() if names == ["none"] else set(names)


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_when_a_learner_dockerfile_is_linted_then_exactly_the_expected_rules_fail(path):
    text = path.read_text()
    ignore = None if "# dockerignore: none" in text else GOOD_DOCKERIGNORE
    result = lint(text, dockerignore=ignore, with_hadolint=False) if ignore else lint(path, with_hadolint=False)
    assert result.parse_error is None
    failed = {rule_id for rule_id, outcome in result.rule_results.items() if not outcome.passed}
    details = [f"{f.rule}:{f.line} {f.message}" for f in result.findings if f.blocking]
    assert failed == _expected(text), details


def test_when_the_lessons_variants_are_linted_then_only_the_no_recommends_trap_gets_lpi020():
    # Lesson 6 builds the trap for real and asserts it fails on a missing C header; LPI020 says
    # so before the build, and stays silent on every variant that builds.
    from checker.lesson.variants import VARIANTS

    flagged = {name for name, variant in VARIANTS.items()
               if not lint(variant.dockerfile(), dockerignore=GOOD_DOCKERIGNORE, with_hadolint=False).rule_results["LPI020"].passed}
    assert flagged == {"no-recommends-trap"}
