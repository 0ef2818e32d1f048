"""Issue 16 kinds 6 and 8 on the real engine: a broken interpreter behind the CMD, and files the
image's user may not read, are diagnosed as exactly that (the link that is missing; the path,
mode, owner and user), never as an exec-form mistake or a missing library.

Each fixture under fixtures/ builds on the sample app's context; builder stages repeat the
reference's instructions so they come from the build cache. The rubric holds only the checks
these kinds concern, so no reference or baseline is built.
"""

from __future__ import annotations

import pytest

from checker import grading

from tests.checker.support import FIXTURES

pytestmark = pytest.mark.docker

RUBRIC = """
[rubric]
title = "The command's chain and the image's user"
pass_mark = 70

[[checks]]
id = "builds"
points = 1
required = true

[[checks]]
id = "health"
points = 1
deadline_s = 15

[[checks]]
id = "app_imports"
points = 1

[[checks]]
id = "native_libs"
points = 1

[[checks]]
id = "same_python"
points = 1
"""


@pytest.fixture(scope="module")
def graded(engine_ready, app_context, run_ids, tmp_path_factory):
    """Grade a fixture once per module with the small rubric; reports by name."""
    rubric = tmp_path_factory.mktemp("rubric") / "rubric.toml"
    rubric.write_text(RUBRIC)
    reports: dict[str, object] = {}

    def grade(name: str):
        if name not in reports:
            report = grading.grade(FIXTURES / f"{name}.Dockerfile", context=app_context, rubric=rubric)
            run_ids.append(report.run_id)
            assert report.status != "error", report.summary()
            reports[name] = report
        return reports[name]

    return grade


def outcome(report, check_id: str):
    check = report.check(check_id)
    return check.passed, check.message


def test_when_the_venv_was_made_at_another_path_then_the_dangling_shebang_is_named_by_every_check(graded):
    report = graded("relocated-venv-fail")
    for check_id in ("health", "app_imports"):
        passed, message = outcome(report, check_id)
        assert not passed, (check_id, message)
        assert "/opt/venv/bin/uvicorn starts with #!/build/.venv/bin/python" in message, message
        assert "create the venv at the path it will run from" in message, message
    passed, message = outcome(report, "same_python")
    assert not passed and "#!/build/.venv/bin/python, which does not exist" in message, message
    assert outcome(report, "native_libs")[0], report.summary()  # the libraries themselves are fine


def test_when_a_copies_venv_lands_on_debian_without_its_home_then_pyvenv_cfg_home_is_named(graded):
    report = graded("copies-venv-on-debian-fail")
    passed, message = outcome(report, "app_imports")
    assert not passed and "home = /usr/local/bin" in message and "/opt/venv/bin/python" in message, message
    passed, message = outcome(report, "same_python")
    assert not passed and "/opt/venv/pyvenv.cfg" in message and "home = /usr/local/bin" in message, message
    passed, message = outcome(report, "health")
    assert not passed and "home = /usr/local/bin" in message, message


def test_when_user_install_is_copied_under_root_then_the_checks_say_permission_not_missing_library(graded):
    report = graded("user-install-under-root-fail")
    passed, message = outcome(report, "native_libs")
    assert not passed, message
    assert "exist but the image's user cannot read them" in message, message
    assert "/root is drwx------ (0700) root:root, so user app (uid 10001) cannot enter it" in message, message
    assert "libpq5" not in message and "No such file" not in message, message
    for check_id in ("health", "app_imports"):
        passed, message = outcome(report, check_id)
        assert not passed and "/root/.local/bin/uvicorn exists" in message and "/root is drwx------" in message, message
    assert report.image is not None


def test_when_the_app_files_are_0600_root_then_health_and_imports_name_the_file_mode_owner_and_user(graded):
    report = graded("app-files-0600-fail")
    for check_id in ("health", "app_imports"):
        passed, message = outcome(report, check_id)
        assert not passed, (check_id, message)
        assert "-rw------- (0600) root:root, so user app (uid 10001) cannot read it" in message, message
    assert outcome(report, "native_libs")[0] and outcome(report, "same_python")[0], report.summary()


def test_the_runtime_probe_runs_as_the_images_own_user(graded):
    report = graded("app-files-0600-fail")
    assert report.check("app_imports").details["uid"] == 10001


def test_when_a_script_asks_env_for_a_python_the_image_lacks_then_that_python_is_named(graded):
    report = graded("env-shebang-other-python-fail")
    for check_id in ("health", "app_imports"):
        passed, message = outcome(report, check_id)
        assert not passed, (check_id, message)
        assert "/usr/local/bin/serve starts with #!/usr/bin/env python3.12" in message, message
        assert "python3.12 does not exist on PATH" in message, message
