"""The library API: lint() on paths, text and bytes; LintResult and its views."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from checker.lint import lint, needs_buildkit
from checker.rules import all_rules

GOOD = """\
FROM python:3.13-slim AS builder
RUN python -m venv /opt/venv
COPY requirements.txt .
RUN /opt/venv/bin/pip install --no-cache-dir -r requirements.txt

FROM python:3.13-slim
COPY --from=builder /opt/venv /opt/venv
COPY app/ /app/
USER 10001
CMD ["/opt/venv/bin/python", "-m", "app"]
"""
IGNORE = ".git\n.venv\nvenv\n**/__pycache__\n**/*.pyc\n.pytest_cache\n"


def test_when_a_good_dockerfile_is_linted_then_every_course_rule_passes():
    result = lint(GOOD, dockerignore=IGNORE, with_hadolint=False)
    assert result.passed and result.parse_error is None
    assert set(result.rule_results) == {rule.id for rule in all_rules()}
    assert all(outcome.passed for outcome in result.rule_results.values()), result.summary()


def test_when_a_path_is_given_then_its_folder_is_the_build_context(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(GOOD)
    assert not lint(tmp_path / "Dockerfile", with_hadolint=False).rule_results["LPI013"].passed
    (tmp_path / ".dockerignore").write_text(IGNORE)
    result = lint(str(tmp_path / "Dockerfile"), with_hadolint=False)
    assert result.rule_results["LPI013"].passed and result.path == str(tmp_path / "Dockerfile")


def test_when_the_context_holds_a_venv_with_another_name_then_dockerignore_must_cover_it(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(GOOD)
    (tmp_path / ".dockerignore").write_text(IGNORE)
    (tmp_path / "py311").mkdir()
    (tmp_path / "py311" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    findings = lint(tmp_path / "Dockerfile", with_hadolint=False).rule_results["LPI013"].findings
    assert [f.line for f in findings] == [0] and "py311" in findings[0].hint


def test_when_several_patterns_are_missing_then_one_finding_lists_them_all(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text(GOOD)
    (tmp_path / ".dockerignore").write_text(".git\n.venv\n")
    findings = lint(tmp_path / "Dockerfile", with_hadolint=False).rule_results["LPI013"].findings
    assert len(findings) == 1
    assert all(line in findings[0].hint for line in ("venv", "**/__pycache__", ".pytest_cache"))


def test_when_the_course_sample_app_is_linted_with_its_own_dockerignore_then_lpi013_passes():
    # Issue 16, kind 3: **/__pycache__ keeps out all the bytecode CPython writes; no **/*.pyc needed.
    sample = Path(__file__).resolve().parents[2] / "sample_app"
    assert "**/*.pyc" not in (sample / ".dockerignore").read_text().split()
    for dockerfile in ("Dockerfile", "../solutions/06-production-ready/Dockerfile"):
        result = lint(sample / dockerfile, context_dir=sample, with_hadolint=False)
        assert result.rule_results["LPI013"].findings == (), dockerfile


def test_when_no_dockerignore_and_no_whole_context_copy_then_the_message_does_not_invent_one(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\nCOPY app.py /srv/\nUSER 1000\nCMD [\"python\", \"/srv/app.py\"]\n")
    message = lint(tmp_path / "Dockerfile", with_hadolint=False).rule_results["LPI013"].findings[0].message
    assert "COPY . ." not in message and "every build" in message


def test_when_text_comes_without_a_context_then_context_rules_stay_silent():
    result = lint(GOOD, with_hadolint=False)
    assert result.rule_results["LPI013"].findings == ()


def test_when_the_path_does_not_exist_then_lint_says_so():
    with pytest.raises(FileNotFoundError):
        lint("no/such/Dockerfile", with_hadolint=False)


def test_when_the_file_cannot_be_parsed_then_the_result_carries_the_error_and_fails():
    result = lint(b"FROM python:3.13-slim\nRUNN echo\n", with_hadolint=False)
    assert not result.passed and result.parse_error.line == 2
    assert result.rule_results == {}
    assert result.summary().startswith("Dockerfile:2: cannot read this Dockerfile: 'RUNN' is not a Dockerfile instruction")
    assert result.to_dict()["parse_error"]["line"] == 2


def test_when_only_advice_is_found_then_the_rule_still_passes():
    text = GOOD.replace("RUN python -m venv", "RUN --mount=type=cache,target=/root/.cache python -m venv")
    result = lint(text, dockerignore=IGNORE, with_hadolint=False)
    buildkit = result.rule_results["LPI015"]
    assert buildkit.findings and buildkit.passed and result.passed
    assert result.buildkit_lines == ((2, "RUN --mount"),)


def test_when_the_engine_has_buildkit_then_buildkit_syntax_is_not_flagged():
    text = GOOD.replace("RUN python -m venv", "RUN --mount=type=cache,target=/root/.cache python -m venv")
    assert lint(text, with_hadolint=False, buildkit=True).rule_results["LPI015"].findings == ()


def test_when_build_args_are_given_then_from_lines_use_them():
    text = "ARG TAG=latest\nFROM python:${TAG}\nUSER 1\nCMD [\"python\"]\n"
    assert not lint(text, with_hadolint=False).rule_results["LPI009"].passed
    assert lint(text, with_hadolint=False, build_args={"TAG": "3.13-slim"}).rule_results["LPI009"].passed


def test_when_a_result_is_viewed_then_dict_text_and_html_agree():
    result = lint(GOOD.replace("USER 10001\n", ""), dockerignore=IGNORE, with_hadolint=False)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["passed"] is False and data["rules"]["LPI012"]["passed"] is False
    assert data["counts"]["error"] == 1 and data["findings"][0]["rule"] == "LPI012"
    assert "LPI012" in result.summary() and "how to fix" in result.summary()
    assert "LPI012" in result._repr_html_()
    assert [f.line for f in result.findings] == sorted(f.line for f in result.findings)


def test_when_needs_buildkit_is_asked_then_it_lists_each_line_the_classic_builder_rejects():
    from checker.dockerfile import parse

    df = parse("FROM python:3.13-slim\nRUN --mount=type=cache,target=/x --network=none echo\nCOPY --chmod=755 a /a\nRUN <<EOF\necho\nEOF\n")
    assert needs_buildkit(df) == [(2, "RUN --mount"), (2, "RUN --network"), (3, "COPY --chmod"), (4, "heredoc (RUN <<EOF)")]
    assert needs_buildkit(df.text) == needs_buildkit(df)
    assert needs_buildkit("not a dockerfile") == []


def test_when_linting_without_hadolint_then_a_typical_dockerfile_takes_milliseconds():
    lint(GOOD, dockerignore=IGNORE, with_hadolint=False)
    start = time.perf_counter()
    for _ in range(20):
        lint(GOOD, dockerignore=IGNORE, with_hadolint=False)
    assert (time.perf_counter() - start) / 20 < 0.05


ISSUE16_PURGED_IN_ONE_RUN = (
    "FROM python:3.13-slim\n"
    "RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev libpq5"
    " && pip install --no-cache-dir psycopg2==2.9.13"
    " && apt-get purge -y --auto-remove gcc libc6-dev libpq-dev && rm -rf /var/lib/apt/lists/*\n"
    "USER 10001\n"
    'CMD ["python", "-c", "import psycopg2"]\n'
)


@pytest.mark.parametrize("later", [False, True], ids=["same-run", "later-run"])
def test_when_build_packages_are_purged_then_lpi001_to_lpi003_agree_on_what_the_layers_keep(later):
    # Issue 16, kind 1: one reading of "what the layers keep" for all three rules.
    text = ISSUE16_PURGED_IN_ONE_RUN
    if later:
        text = text.replace(" && apt-get purge", "\nRUN apt-get purge")
    results = lint(text, with_hadolint=False).rule_results
    verdicts = {rule: results[rule].passed for rule in ("LPI001", "LPI002", "LPI003")}
    assert verdicts == {rule: not later for rule in verdicts}, verdicts
    if later:
        assert all("too late" in finding.message for rule in verdicts for finding in results[rule].findings)
    else:
        assert [finding.severity for finding in results["LPI001"].findings] == ["info"]


WARNED = GOOD.replace("AS builder", "AS context").replace("--from=builder", "--from=context")


def test_when_only_warnings_are_found_then_the_summary_says_no_errors_and_counts_them_without_saying_ok():
    result = lint(WARNED, dockerignore=IGNORE, with_hadolint=False)
    assert result.passed and result.counts()["warning"] == 1 and not result.counts()["error"], result.summary()
    last = result.summary().splitlines()[-1]
    assert last.startswith("Dockerfile: no errors (exit 0), but 1 warning to read;"), last
    assert "ok" not in last.split(";")[0]
    assert "no errors (exit 0), but 1 warning to read" in result._repr_html_()


def test_when_nothing_is_found_then_the_summary_says_ok_and_when_an_error_is_found_it_says_errors_found():
    assert lint(GOOD, dockerignore=IGNORE, with_hadolint=False).summary().splitlines()[-1].startswith(
        "Dockerfile: ok: nothing found;")
    failing = lint(WARNED.replace("USER 10001\n", ""), dockerignore=IGNORE, with_hadolint=False)
    assert failing.summary().splitlines()[-1].startswith("Dockerfile: errors found: 1 error, 1 warning;"), failing.summary()
    advice = lint(GOOD.replace("FROM python:3.13-slim\n", "FROM python:3.13-slim\nRUN --mount=type=cache,target=/x true\n", 1),
                  dockerignore=IGNORE, with_hadolint=False)
    assert [f.severity for f in advice.findings] == ["info"], advice.summary()
    assert advice.summary().splitlines()[-1].startswith("Dockerfile: ok: no errors or warnings, 1 info;"), advice.summary()


def test_when_lint_runs_without_an_engine_then_lpi015_names_the_classic_builders_limit_without_claiming_this_engine_has_it():
    text = GOOD.replace("RUN python -m venv", "RUN --mount=type=cache,target=/root/.cache python -m venv")
    said = [finding.message for finding in lint(text, with_hadolint=False).findings if finding.rule == "LPI015"]
    assert said and all("this engine uses the classic builder" not in message for message in said), said
    assert "the classic builder (Docker 20.10 through its API, DOCKER_BUILDKIT=0) cannot build this line" in said[0]
    measured = lint(text, with_hadolint=False, buildkit=False).findings
    assert any("this engine uses the classic builder" in f.message for f in measured if f.rule == "LPI015")
