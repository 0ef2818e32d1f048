"""Rubrics: parsing, validation, exercise lookup, and scoring (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import checks as dynamic
from checker import grading, rubric as rubrics
from checker.lint import lint
from checker.report import Report

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "rubric.toml"
    path.write_text(text)
    return path


def test_the_default_rubric_loads_and_adds_up_to_100_points():
    rubric = rubrics.load(rubrics.DEFAULT_RUBRIC)
    assert rubric.max_score == 100 and rubric.pass_score == 70
    assert rubric.reference is not None and rubric.reference.dockerfile == REPO / "sample_app" / "Dockerfile"
    assert rubric.baseline is not None and rubric.baseline.dockerfile.name == "Dockerfile.single"
    core = {check.id for check in dynamic.all_checks()
            if check.judge.__module__ != "checker.checks.exercise" and not check.repeatable}
    assert core <= set(rubric.ids()), "the default rubric uses every core dynamic check (the declarative kinds need a teacher's parameters)"
    assert rubric.params("image_size")["max_ratio_to_reference"] == 1.25
    assert {"build", "filesystem", "runtime", "health", "cache", "sizes"} <= rubric.needs()


def test_a_check_parameter_defaults_unless_the_rubric_sets_it(tmp_path):
    rubric = rubrics.load(write(tmp_path, '[[checks]]\nid = "no_headers"\npoints = 2\n\n[[checks]]\nid = "health"\npoints = 3\nport = 9000\n'))
    assert rubric.params("no_headers") == {"max_files": 5}
    assert rubric.params("health") == {"path": "/health", "port": 9000, "deadline_s": 30}
    assert rubric.pass_mark == 70 and rubric.reference is None


@pytest.mark.parametrize("text, message", [
    ("[[checks]]\nid = \"no_such_check\"\npoints = 1\n", "unknown check id"),
    ("[[checks]]\nid = \"image_size\"\npoints = 1\nmax_ratio = 2\n", "has no parameter max_ratio"),
    ("[[checks]]\nid = \"LPI001\"\npoints = 1\nstrict = true\n", "takes no parameters"),
    ("[[checks]]\nid = \"builds\"\npoints = -1\n", "points >= 0"),
    ("[[checks]]\nid = \"builds\"\npoints = 1\n[[checks]]\nid = \"builds\"\npoints = 1\n", "listed twice"),
    ("[rubric]\npass_mark = 120\n[[checks]]\nid = \"builds\"\n", "pass_mark"),
    ("[rubric]\ntitle = \"x\"\n", "at least one"),
    ("[[checks]\nid=", "not valid TOML"),
    ("[[checks]]\nid = \"builds\"\npoints = 1\nfix = 3\n", "fix must be text"),
    ("[reference]\ndockerfile = \"nope/Dockerfile\"\n[[checks]]\nid = \"builds\"\n", "does not exist"),
    # the declarative kinds: a typo or a bad parameter is a rubric error when it loads (exit 2)
    ("[[checks]]\nid = \"file_exits:venv\"\npath = \"/opt/venv\"\n", "unknown check id 'file_exits:venv'"),
    ("[[checks]]\nid = \"file_exists:venv\"\npth = \"/opt/venv\"\n", "has no parameter pth"),
    ("[[checks]]\nid = \"file_exists:venv\"\n", "needs path = an absolute path"),
    ("[[checks]]\nid = \"file_absent:x\"\npath = \"opt/venv\"\n", "absolute path"),
    ("[[checks]]\nid = \"file_contains:p\"\npath = \"/etc/passwd\"\n", "expected = \\[regexes\\]"),
    ("[[checks]]\nid = \"file_contains:p\"\npath = \"/etc/passwd\"\nexpected = [\"(unclosed\"]\n", "not a valid regex"),
    ("[[checks]]\nid = \"metadata\"\n", "needs at least one of env"),
    ("[[checks]]\nid = \"metadata\"\nenv = \"A=1\"\n", "env must be a table"),
    ("[[checks]]\nid = \"command:v\"\nrun = \"python -V\"\n", "needs run = "),
    ("[[checks]]\nid = \"command:v\"\nrun = [\"python\"]\ndeadline_s = 0\n", "deadline_s must be"),
    ("[[checks]]\nid = \"command:v\"\nrun = [\"python\"]\nexit_code = \"0\"\n", "exit_code must be an integer"),
    ("[[checks]]\nid = \"command:\"\nrun = [\"python\"]\n", "needs a name after the colon"),
    ("[[checks]]\nid = \"health:twice\"\n", "only the declarative checks take a ':name'"),
    ("[[checks]]\nid = \"LPI012:x\"\n", "only the declarative checks take a ':name'"),
    ("[[checks]]\nid = \"healthcheck\"\nrequired_healthcheck = true\n", "has no parameter required_healthcheck"),
])
def test_a_bad_rubric_is_refused_with_a_sentence_naming_the_problem(tmp_path, text, message):
    with pytest.raises(rubrics.RubricError, match=message):
        rubrics.load(write(tmp_path, text))


def test_a_declarative_kind_may_be_listed_several_times_by_name_and_keeps_its_parameters(tmp_path):
    rubric = rubrics.load(write(tmp_path, (
        '[[checks]]\nid = "file_exists:venv"\npoints = 1\npath = "/opt/venv/bin/python"\n'
        '[[checks]]\nid = "file_exists:app"\npoints = 1\npath = "/app/*.py"\n'
        '[[checks]]\nid = "command:v"\npoints = 1\nrun = ["python", "-V"]\nstdout = "^Python 3"\n')))
    assert rubric.ids() == ["file_exists:venv", "file_exists:app", "command:v"]
    assert [check.resolved().id for check in rubric.checks] == ["file_exists", "file_exists", "command"]
    assert rubric.params("file_exists:app")["path"] == "/app/*.py"
    assert rubric.params("command:v") == {"run": ["python", "-V"], "deadline_s": 10, "exit_code": 0,
                                          "stdout": "^Python 3", "stderr": None}
    assert {"filesystem", "commands"} <= rubric.needs()


def test_every_shipped_rubric_loads_and_exercise_05_uses_a_declarative_check():
    for path in sorted((REPO / "exercises").glob("*/rubric.toml")) + [rubrics.DEFAULT_RUBRIC]:
        rubrics.load(path)
    ex06 = rubrics.resolve(exercise="06")
    assert any(check.resolved().id == "command" for check in ex06.checks)
    assert ex06.params("healthcheck")["must_exist"] is True, "exercise 06's README counts a HEALTHCHECK"
    assert rubrics.load(rubrics.DEFAULT_RUBRIC).params("healthcheck")["must_exist"] is False, "advice by default"


def test_an_exercise_name_resolves_to_that_exercises_rubric():
    # Finding the exercise is checker.exercises.find_exercise's job (tests/checker/test_exercises.py).
    assert rubrics.resolve(exercise="cache").path.parent.name == "05-cache-order"
    with pytest.raises(rubrics.RubricError, match="No exercise matches"):
        rubrics.resolve(exercise="99-no-such-exercise")


def _score(rubric_text: str, tmp_path, outcomes, dockerfile="FROM python:3.13-slim\nUSER app\nCMD [\"python\"]\n", gate=None):
    rubric = rubrics.load(write(tmp_path, rubric_text))
    report = Report(dockerfile="Dockerfile", context=".", rubric=rubric.title, rubric_path=str(rubric.path))
    grading._score(report, rubric, outcomes, lint(dockerfile, with_hadolint=False), gate=gate)
    return report


RUBRIC = """
[rubric]
pass_mark = 60
[[checks]]
id = "builds"
points = 5
required = true
[[checks]]
id = "image_size"
points = 3
[[checks]]
id = "LPI012"
points = 2
"""


def test_points_are_all_or_nothing_and_the_pass_mark_is_a_percentage(tmp_path):
    report = _score(RUBRIC, tmp_path, {"builds": dynamic.Outcome(True, "ok"), "image_size": dynamic.Outcome(False, "big")})
    assert [(c.id, c.points) for c in report.checks] == [("builds", 5), ("image_size", 0), ("LPI012", 2)]
    assert report.score == 7 and report.max_score == 10 and report.pass_score == 6
    assert report.passed and report.exit_code == 0


def test_a_failed_required_check_fails_whatever_the_score(tmp_path):
    report = _score(RUBRIC.replace("points = 5", "points = 1"), tmp_path,
                    {"builds": dynamic.Outcome(False, "no"), "image_size": dynamic.Outcome(True, "ok")})
    assert report.score == 5 and not report.passed
    assert "required" in report.verdict and "builds" in report.verdict


def test_a_gate_scores_zero_but_keeps_each_checks_verdict(tmp_path):
    report = _score(RUBRIC, tmp_path, {"builds": dynamic.Outcome(False, "failed at RUN x")}, gate="The image did not build.")
    assert report.score == 0 and not report.passed and report.exit_code == 1
    assert report.check("LPI012").passed and report.check("LPI012").points == 0
    assert report.verdict == "Score 0: The image did not build."


def test_static_rules_score_from_the_lint_results(tmp_path):
    report = _score(RUBRIC, tmp_path, {"builds": dynamic.Outcome(True, "ok"), "image_size": dynamic.Outcome(True, "ok")},
                    dockerfile="FROM python:3.13-slim\nCMD [\"python\"]\n")
    lpi012 = report.check("LPI012")
    assert not lpi012.passed and lpi012.points == 0 and "USER" in lpi012.message
    assert lpi012.lesson.startswith("notebooks/06_safer_images.ipynb")


def test_every_dynamic_check_documents_why_how_and_where_to_learn():
    for check in dynamic.all_checks():
        assert check.title and check.rationale and check.fix, check.id
        assert check.lesson.startswith("notebooks/0") and ".ipynb#" in check.lesson, check.id
        stem = check.lesson.split("/")[1].split(".ipynb")[0]
        from checker.rules.base import LESSONS

        assert stem in LESSONS, check.id


# -- issue 16, kind 5: a secret in ENV or ARG fails every shipped rubric -------------------------

SHIPPED_RUBRICS = [rubrics.DEFAULT_RUBRIC] + sorted(REPO.glob("exercises/[0-9][0-9]-*/rubric.toml"))


@pytest.mark.parametrize("path", SHIPPED_RUBRICS, ids=lambda p: p.parent.name)
def test_every_shipped_rubric_requires_lpi014_for_no_points(path):
    spec = next(check for check in rubrics.load(path).checks if check.id == "LPI014")
    assert spec.required and spec.points == 0


def _all_dynamic_pass(rubric) -> dict:
    return {spec.id: dynamic.Outcome(True, "ok") for spec in rubric.checks if spec.kind == "dynamic"}


def _graded(text: str, rubric) -> Report:
    from checker.dockerignore import DockerIgnore

    reference_dir = rubric.reference.dockerfile.parent if rubric.reference else REPO / "sample_app"
    ignore_dir = reference_dir if (reference_dir / ".dockerignore").is_file() else REPO / "sample_app"
    report = Report(dockerfile="Dockerfile", context=str(REPO / "sample_app"), rubric=rubric.title, rubric_path="")
    linted = lint(text, context_dir=REPO / "sample_app", dockerignore=DockerIgnore.read(ignore_dir), with_hadolint=False)
    grading.scoring.score(report, rubric, _all_dynamic_pass(rubric), linted, gate=None)
    return report


SECRETS = [
    # the input: the reference plus the connection string with its password
    "ENV DATABASE_URL=postgresql://notes:n0tes-s3cret@db:5432/notes\n",
    # written for this kind: a token given a default in an ARG
    "ARG PIP_INDEX_TOKEN=glpat-9f8e7d6c5b4a3f2e1d0c\n",
]


@pytest.mark.parametrize("path", SHIPPED_RUBRICS, ids=lambda p: p.parent.name)
@pytest.mark.parametrize("secret", SECRETS, ids=["env-url-password", "arg-token"])
def test_a_secret_in_env_or_arg_fails_every_shipped_rubric_with_every_other_check_passing(path, secret):
    rubric = rubrics.load(path)
    reference = (rubric.reference.dockerfile if rubric.reference else REPO / "sample_app" / "Dockerfile").read_text()
    clean = _graded(reference, rubric)
    assert clean.passed and clean.score == clean.max_score, clean.verdict
    lines = reference.splitlines(keepends=True)
    final_from = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    report = _graded("".join(lines[: final_from + 1] + [secret] + lines[final_from + 1:]), rubric)
    assert not report.passed and report.score == report.max_score
    assert "LPI014" in report.verdict and not report.check("LPI014").passed


def test_a_rubric_may_give_a_check_its_own_fix_hint_and_lesson_and_the_report_uses_them(tmp_path):
    from checker.checks.base import Outcome
    from checker.grading.scoring import score

    rubric = rubrics.load(write(tmp_path, '[[checks]]\nid = "file_absent:shell"\npoints = 2\npath = "/bin/sh"\n'
                                          'fix = "Start FROM scratch."\nlesson = "notebooks/08_to_the_bone.ipynb"\n'
                                          '[[checks]]\nid = "builds"\npoints = 1\n'))
    report = Report("Dockerfile", ".", "t", "rubric.toml")
    score(report, rubric, {"file_absent:shell": Outcome(False, "/bin/sh is there."), "builds": Outcome(True, "built")},
          None, gate=None)
    shell = next(check for check in report.checks if check.id == "file_absent:shell")
    built = next(check for check in report.checks if check.id == "builds")
    assert (shell.hint, shell.lesson) == ("Start FROM scratch.", "notebooks/08_to_the_bone.ipynb")
    from checker import catalog

    assert built.hint == catalog.get("builds").fix and built.lesson == catalog.get("builds").lesson
