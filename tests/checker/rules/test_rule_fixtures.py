"""Every rule against its good and bad fixtures, and the registry's completeness."""

from __future__ import annotations

import re

import pytest

from checker.rules import all_rules, get_rule
from checker.rules.base import LESSONS

from static_cases import FIXTURES, fixture_cases

CASES = fixture_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_when_a_fixture_is_checked_then_its_rule_flags_exactly_the_marked_lines_with_the_pinned_messages(case):
    findings = get_rule(case.rule).check(case.context())
    expected = case.expected()
    if case.good:
        assert not expected, "a good fixture carries no expect markers"
        assert not case.messages_file.exists(), "a good fixture pins no messages"
        assert findings == [], f"{case.id} should pass {case.rule}, got: {findings}"
        return
    assert expected, f"{case.id} is a bad fixture without an '# expect: {case.rule}' marker"
    assert {finding.line for finding in findings} == set(expected), findings
    for line, severity in expected.items():
        if severity is not None:
            assert severity in {f.severity for f in findings if f.line == line}, findings
    pinned = case.expected_messages()
    assert pinned, f"{case.id} is a bad fixture without {case.messages_file.name} (the messages a learner reads)"
    assert [f"{finding.line}: {finding.message}" for finding in findings] == pinned


def test_when_rules_are_registered_then_each_has_unique_id_title_and_full_documentation():
    rules = all_rules()
    assert len(rules) >= 15
    assert len({rule.id for rule in rules}) == len(rules)
    assert len({rule.title.lower() for rule in rules}) == len(rules)
    for rule in rules:
        assert re.fullmatch(r"LPI\d{3}", rule.id)
        assert rule.title and rule.title[0].isupper() and len(rule.title) <= 80, rule.id
        assert rule.severity in {"error", "warning", "info", "style"}
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", rule.rationale) if s]
        assert 1 <= len(sentences) <= 3, f"{rule.id}: 'Why it matters' should be 1-3 sentences"
        assert len(rule.fix) > 20, rule.id
        stem, _, anchor = rule.lesson.removeprefix("notebooks/").partition("#")
        assert rule.lesson.startswith("notebooks/") and stem.removesuffix(".ipynb") in LESSONS and anchor, rule.id


def test_when_rules_are_registered_then_each_has_good_and_bad_fixtures_and_no_fixture_is_orphaned():
    ids = {rule.id for rule in all_rules()}
    folders = {path.name for path in FIXTURES.iterdir() if path.is_dir()}
    assert folders == ids
    for rule_id in ids:
        stems = {case.stem for case in CASES if case.rule == rule_id}
        assert any(stem.startswith("good-") for stem in stems), f"{rule_id} has no good fixture"
        assert any(stem.startswith("bad-") for stem in stems), f"{rule_id} has no bad fixture"
    for case in CASES:
        assert case.stem.startswith(("good-", "bad-")), case.id
    for ignore in FIXTURES.glob("*/*.dockerignore"):
        assert ignore.with_name(ignore.name.replace(".dockerignore", ".Dockerfile")).exists(), ignore
    for messages in FIXTURES.glob("*/*.messages"):
        assert messages.name.startswith("bad-"), messages
        assert messages.with_name(messages.name.replace(".messages", ".Dockerfile")).exists(), messages
