"""On the real engine: the facts exercise 07's README states about the slim base image hold.

Each runs in a network-less container of the course's slim image; pip installs its own bundled
wheel (ensurepip's), so no index is needed.
"""

from __future__ import annotations

import pytest

from checker import engine, settings as course_settings
from checker.lesson import run_in

pytestmark = pytest.mark.docker

SITE = "/usr/local/lib/python3*/site-packages"
OFFLINE = ("--no-cache-dir --no-index --find-links "
           "\"$(python -c 'import ensurepip, os; print(os.path.dirname(ensurepip.__file__))')/_bundled\"")


def test_pythondontwritebytecode_does_not_stop_pip_compiling_the_pyc_files(docker_client):
    # Exercise 07: "PYTHONDONTWRITEBYTECODE=1 saves nothing: pip compiles the .pyc files at install time".
    probe = run_in(course_settings.load().slim_image, f"""
python -m venv --without-pip /with && python -m venv --without-pip /without
PYTHONDONTWRITEBYTECODE=1 pip --python /with/bin/python install -q {OFFLINE} pip > /dev/null 2>&1
pip --python /without/bin/python install -q {OFFLINE} pip > /dev/null 2>&1
echo "with: $(find /with -name '*.pyc' | wc -l)"
echo "without: $(find /without -name '*.pyc' | wc -l)"
""")
    found = probe.fields()
    assert probe.ok, probe.output
    assert int(found["with"]) == int(found["without"]) > 100, probe.output


def test_a_glob_in_docker_run_needs_a_shell_in_the_container(docker_client):
    # Exercise 07: `docker run IMAGE du -sh .../site-packages/*` cannot work; `sh -c '...'` does.
    image = course_settings.load().slim_image
    bare = engine.run(image, ["du", "-sh", f"{SITE}/*"], settings=course_settings.load())
    shelled = engine.run(image, ["sh", "-c", f"du -sh {SITE}/*"], settings=course_settings.load())
    assert bare.exit_code != 0 and "No such file" in bare.stderr, bare.stderr
    assert shelled.exit_code == 0 and "pip" in shelled.stdout, shelled.stderr
