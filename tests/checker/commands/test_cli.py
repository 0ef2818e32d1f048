"""``python -m checker lint`` and ``rules`` as a learner runs them: real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from checker.rules import all_rules

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "rules"


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_when_the_dockerfile_has_no_errors_then_lint_exits_0():
    done = _run("lint", str(FIXTURES / "LPI001" / "good-venv-builder.Dockerfile"), "--no-hadolint")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "course rules passed" in done.stdout


def test_when_the_dockerfile_has_an_error_then_lint_exits_1_and_names_the_rule():
    done = _run("lint", str(FIXTURES / "LPI012" / "bad-no-user.Dockerfile"))
    assert done.returncode == 1
    assert "error    LPI012" in done.stdout


def test_when_json_is_asked_then_the_output_is_the_result_as_json(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM python:latest\nCMD python app.py\n")
    done = _run("lint", str(tmp_path / "Dockerfile"), "--format", "json", "--context", str(tmp_path))
    data = json.loads(done.stdout)
    assert done.returncode == 1 and data["passed"] is False
    assert {"LPI009", "LPI011", "LPI012", "LPI013"} <= {f["rule"] for f in data["findings"]}
    assert any(f["source"] == "hadolint" or (f["same_as"] or "").startswith("DL") for f in data["findings"])


def test_when_the_dockerfile_does_not_exist_then_lint_exits_2_with_one_sentence(tmp_path: Path):
    done = _run("lint", str(tmp_path / "nope"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "no file" in done.stderr


def test_when_arguments_are_wrong_then_exit_2(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\n")
    assert _run("lint").returncode == 2
    assert _run("lint", str(tmp_path / "Dockerfile"), "--build-arg", "NOVALUE").returncode == 2
    assert _run("lint", str(tmp_path / "Dockerfile"), "--context", str(tmp_path / "missing")).returncode == 2
    assert _run().returncode == 2


def test_when_a_parse_error_is_found_then_lint_exits_1_and_prints_the_line(tmp_path: Path):
    (tmp_path / "Dockerfile").write_bytes(b"FROM python:3.13-slim\nENTRYPOINT [\"python\", 3]\n")
    done = _run("lint", str(tmp_path / "Dockerfile"))
    assert done.returncode == 1
    assert f"{tmp_path / 'Dockerfile'}:2: cannot read this Dockerfile" in done.stdout


def test_when_an_exec_form_uses_single_quotes_then_lint_reads_it_as_shell_form_and_says_why(tmp_path: Path):
    (tmp_path / "Dockerfile").write_bytes(b"FROM python:3.13-slim\nUSER 10001\nCMD ['python', 'app.py']\n")
    done = _run("lint", "--no-hadolint", str(tmp_path / "Dockerfile"))
    assert done.returncode == 1, done.stdout
    assert "cannot read" not in done.stdout
    assert "LPI011" in done.stdout and "read as shell form because it is not a JSON array (JSON strings need double quotes)" in done.stdout


def test_when_the_rule_table_is_asked_then_it_lists_every_registered_rule():
    markdown = _run("rules").stdout
    table = _run("rules", "--format", "json")
    rules = json.loads(table.stdout)
    assert [rule["id"] for rule in rules] == [rule.id for rule in all_rules()]
    for rule in all_rules():
        assert f"| [{rule.id}]({rule.lesson}) | {rule.title} | {rule.severity} |" in markdown


def test_when_the_reader_closes_the_pipe_early_then_rules_ends_quietly():
    # `lean-check rules | head -1`: the reader is gone before the table is written.
    child = subprocess.Popen([sys.executable, "-m", "checker", "rules", "--format", "markdown"], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 0
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_when_a_rubric_has_a_typo_in_a_declarative_check_then_grade_exits_2_naming_it(tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\n")
    (tmp_path / "rubric.toml").write_text('[[checks]]\nid = "file_exists:venv"\npoints = 1\npaht = "/opt/venv"\n')
    done = _run("grade", str(tmp_path / "Dockerfile"), "--rubric", str(tmp_path / "rubric.toml"))
    assert done.returncode == 2 and "check file_exists:venv has no parameter paht" in done.stderr


def test_lint_without_an_engine_does_not_claim_the_engine_is_classic_and_names_the_buildkit_flag(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.13-slim\nRUN --mount=type=cache,target=/root/.cache/pip pip install fastapi\n"
                          'CMD ["python", "-m", "app"]\n')
    said = _run("lint", "--no-hadolint", str(dockerfile)).stdout
    assert "LPI015" in said and "lint --buildkit" in said
    assert "this engine uses the classic builder" not in said
    assert "LPI015" not in _run("lint", "--no-hadolint", "--buildkit", str(dockerfile)).stdout


def test_when_lint_finds_only_warnings_then_it_exits_0_and_its_summary_does_not_say_ok(tmp_path: Path):
    text = (FIXTURES / "LPI001" / "good-venv-builder.Dockerfile").read_text()
    (tmp_path / "Dockerfile").write_text(text.replace("AS builder", "AS context").replace("--from=builder", "--from=context"))
    assert "AS context" in (tmp_path / "Dockerfile").read_text()
    done = _run("lint", str(tmp_path / "Dockerfile"), "--no-hadolint")
    last = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no errors (exit 0), but" in last and "warning" in last and ": ok:" not in last, last
