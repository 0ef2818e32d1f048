"""pyc_kept and no_pip_in_app_env, judged on fake filesystem scans (no engine)."""

from __future__ import annotations

from checker.checks import exercise as exercise_checks
from checker.checks import Evidence
from checker.probes import FilesystemFacts

SITE = "/opt/venv/lib/python3.13/site-packages"


def scan(files: list[str], dirs: list[str]) -> FilesystemFacts:
    facts = FilesystemFacts()
    for path in dirs:
        facts.kinds[path] = "d"
    for path in files:
        facts.kinds[path] = "f"
    return facts


def venv(*, with_pip: bool, with_pyc: bool, root: str = SITE) -> FilesystemFacts:
    dirs = [root, f"{root}/fastapi", f"{root}/fastapi-0.165.0.dist-info"]
    files = [f"{root}/fastapi/__init__.py", f"{root}/fastapi/routing.py"]
    if with_pyc:
        dirs.append(f"{root}/fastapi/__pycache__")
        files += [f"{root}/fastapi/__pycache__/__init__.cpython-313.pyc", f"{root}/fastapi/__pycache__/routing.cpython-313.pyc"]
    if with_pip:
        dirs += [f"{root}/pip", f"{root}/pip-25.1.dist-info"]
        files.append(f"{root}/pip/__init__.py")
    # The base image's own pip, elsewhere, never counts against the app.
    dirs += ["/usr/local/lib/python3.13/site-packages/pip-25.1.dist-info"]
    return scan(files, dirs)


def test_when_the_packages_keep_their_pyc_files_then_pyc_kept_passes():
    outcome = exercise_checks.pyc_kept(Evidence(filesystem=venv(with_pip=False, with_pyc=True)), {"min_fraction": 0.9})
    assert outcome.passed, outcome.message


def test_when_bytecode_ships_without_sources_then_pyc_kept_passes_and_counts_those_modules():
    facts = scan([f"{SITE}/fastapi/__init__.pyc", f"{SITE}/fastapi/routing.pyc", f"{SITE}/fastapi/applications.py"],
                 [SITE, f"{SITE}/fastapi", f"{SITE}/fastapi-0.165.0.dist-info"])
    assert exercise_checks.bytecode_coverage(facts, SITE) == (2, 3)
    assert not exercise_checks.pyc_kept(Evidence(filesystem=facts), {"min_fraction": 0.9}).passed
    facts.kinds.pop(f"{SITE}/fastapi/applications.py")
    facts.kinds[f"{SITE}/fastapi/applications.pyc"] = "f"
    outcome = exercise_checks.pyc_kept(Evidence(filesystem=facts), {"min_fraction": 0.9})
    assert outcome.passed and "3/3" in outcome.message


def test_when_pycache_folders_are_deleted_then_pyc_kept_fails_and_says_where():
    outcome = exercise_checks.pyc_kept(Evidence(filesystem=venv(with_pip=False, with_pyc=False)), {"min_fraction": 0.9})
    assert not outcome.passed and SITE in outcome.message and "0 of" in outcome.message


def test_when_installed_with_target_and_no_compile_then_pyc_kept_fails():
    outcome = exercise_checks.pyc_kept(Evidence(filesystem=venv(with_pip=False, with_pyc=False, root="/opt/deps")), {})
    assert not outcome.passed and "/opt/deps" in outcome.message


def test_when_the_venv_carries_pip_then_no_pip_in_app_env_fails_but_the_base_images_pip_is_fine():
    assert not exercise_checks.no_pip_in_app_env(Evidence(filesystem=venv(with_pip=True, with_pyc=True)), {}).passed
    outcome = exercise_checks.no_pip_in_app_env(Evidence(filesystem=venv(with_pip=False, with_pyc=True)), {})
    assert outcome.passed, outcome.message


def test_when_there_is_no_image_then_both_checks_fail_without_raising():
    assert not exercise_checks.pyc_kept(Evidence(), {}).passed
    assert not exercise_checks.no_pip_in_app_env(Evidence(), {}).passed
