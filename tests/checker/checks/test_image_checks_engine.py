"""On the real engine: the image checks (its user, files that must not ship, setuid files,
HEALTHCHECK) and the declarative rubric kinds, each with a bad and a good image.

Each case is a tiny context built FROM the course's slim base and graded through the public
``grading.grade`` with a rubric of only these checks (no reference build), so the probes, the
scan's observer and the clean-up are the ones a learner's grade uses.
"""

from __future__ import annotations

import pytest

from checker import grading

pytestmark = pytest.mark.docker

RUBRIC = """
[rubric]
title = "image checks"
pass_mark = 100

[[checks]]
id = "builds"
points = 1

[[checks]]
id = "image_user"
points = 1

[[checks]]
id = "no_secret_files"
points = 1

[[checks]]
id = "no_new_setuid"
points = 1

[[checks]]
id = "healthcheck"
points = 1
must_exist = true

[[checks]]
id = "file_exists:app"
points = 1
path = "/app/app.py"

[[checks]]
id = "file_absent:pip-cache"
points = 1
path = "/root/.cache/pip*"

[[checks]]
id = "file_contains:passwd"
points = 1
path = "/etc/passwd"
expected = ["^app:x:10001:"]

[[checks]]
id = "metadata"
points = 1
user = "app"
workdir = "/app"
exposed_ports = ["8000"]
env = { GREETING = "hello" }

[[checks]]
id = "command:whoami"
points = 1
run = ["python", "-c", "import os; print('uid', os.getuid())"]
deadline_s = 20
stdout = "^uid 10001$"
"""

GOOD = """FROM {slim}
RUN useradd --system --uid 10001 --no-create-home app
WORKDIR /app
COPY app.py .
ENV GREETING=hello
EXPOSE 8000
USER app
HEALTHCHECK CMD ["python", "-c", "print('ok')"]
CMD ["python", "app.py"]
"""

BAD = """FROM {slim}
WORKDIR /app
COPY . .
RUN mkdir -p /root/.cache/pip && echo x > /root/.cache/pip/f \\
    && cp /usr/local/bin/python3 /usr/local/bin/py-suid && chmod u+s /usr/local/bin/py-suid \\
    && tar czf /tmp/leftover.tar.gz app.py
USER nobody-here
CMD ["python", "app.py"]
"""


@pytest.fixture(scope="module")
def graded(engine_ready, tmp_path_factory, run_ids):
    reports = {}

    def grade(name: str, dockerfile: str, files: dict[str, str]):
        if name not in reports:
            folder = tmp_path_factory.mktemp(name)
            (folder / "Dockerfile").write_text(dockerfile.format(slim=engine_ready.slim_image))
            (folder / "rubric.toml").write_text(RUBRIC)
            for path, text in files.items():
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                (folder / path).write_text(text)
            report = grading.grade(folder / "Dockerfile", context=folder, rubric=folder / "rubric.toml",
                                   with_hadolint=False, keep_cache=False)
            run_ids.append(report.run_id)
            reports[name] = report
        return reports[name]

    return grade


def test_when_the_image_is_clean_then_every_image_and_declarative_check_passes(graded):
    report = graded("good", GOOD, {"app.py": "print('hi')\n"})
    failed = {check.id: check.message for check in report.checks if not check.passed}
    assert failed == {}, report.summary()
    assert "uid 10001" in report.check("image_user").message
    assert "beyond the base image's" in report.check("no_new_setuid").message


def test_when_the_image_ships_secrets_setuid_and_a_missing_user_then_each_check_names_the_problem(graded):
    files = {"app.py": "print('hi')\n", ".env": "API_KEY=secret\n", "deploy.pem": "-----BEGIN PRIVATE KEY-----\nx\n",
             ".netrc": "machine x login y password z\n", ".git/config": "[core]\n",
             "__pycache__/app.cpython-27.pyc": "x", "cert.pem": "-----BEGIN CERTIFICATE-----\n"}
    report = graded("bad", BAD, files)
    assert not report.check("image_user").passed
    assert "nobody-here is not in the image's /etc/passwd" in report.check("image_user").message
    secrets = report.check("no_secret_files").message
    for path in ("/app/.env", "/app/deploy.pem", "/app/.netrc", "/app/.git", "/app/__pycache__", "/tmp/leftover.tar.gz"):
        assert path in secrets or "more" in secrets, secrets
    files_found = {entry["path"] for entry in report.check("no_secret_files").details["files"]}
    assert {"/app/.env", "/app/deploy.pem", "/app/.netrc", "/app/.git", "/app/__pycache__", "/tmp/leftover.tar.gz"} \
        == files_found, "a certificate is no key; every other leftover is named with its path"
    assert all(entry["bytes"] >= 0 for entry in report.check("no_secret_files").details["files"])
    setuid = report.check("no_new_setuid")
    assert not setuid.passed and "/usr/local/bin/py-suid (setuid)" in setuid.message
    assert "/usr/bin/su" not in setuid.message, "the base image's own setuid files are not the learner's"
    assert not report.check("healthcheck").passed and "asks for one" in report.check("healthcheck").message
    assert not report.check("file_absent:pip-cache").passed and "/root/.cache/pip" in report.check("file_absent:pip-cache").message
    assert not report.check("file_contains:passwd").passed
    metadata = report.check("metadata").message
    assert "user 'app'" in metadata and "GREETING" in metadata and "exposed_ports" in metadata
    assert not report.check("command:whoami").passed, "a USER missing from /etc/passwd cannot run anything"
    assert report.check("file_exists:app").passed
