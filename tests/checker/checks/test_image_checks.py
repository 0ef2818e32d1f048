"""The image checks and the declarative kinds, judged on fake evidence (the real engine's cases
are in test_image_checks_engine.py); the scan's observer fed a tar built in memory."""

from __future__ import annotations

import io
import tarfile
from dataclasses import replace

from checker import checks as dynamic
from checker import engine
from checker.probes import FilesystemFacts, resolve_user
from checker.probes.shipped import ShippedFacts, observe

from tests.checker.checks.test_checks import image, judge


def scanned(members: dict[str, tuple[bytes, int]], dirs: tuple[str, ...] = ()) -> ShippedFacts:
    """Feed ``observe`` a tar of ``path -> (content, mode)`` files and folders, as the scan does."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for directory in dirs:
            info = tarfile.TarInfo(directory.lstrip("/"))
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for path, (content, mode) in members.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(content), mode
            tar.addfile(info, io.BytesIO(content))
    buffer.seek(0)
    facts = ShippedFacts()
    with tarfile.open(fileobj=buffer, mode="r|") as tar:
        for member in tar:
            observe(facts, member, "/" + member.name, tar, frozenset({"/app/settings.toml"}))
    facts.finish()
    return facts


def evidence_with(shipped: ShippedFacts, **kwargs) -> dynamic.Evidence:
    fs = FilesystemFacts()
    fs.shipped = shipped
    return dynamic.Evidence(image=kwargs.pop("image", image()), filesystem=fs, **kwargs)


PASSWD = b"root:x:0:0:root:/root:/bin/bash\napp:x:10001:10001::/home/app:/usr/sbin/nologin\n"


def test_the_image_user_is_resolved_in_its_own_passwd_and_root_or_a_missing_name_fails():
    facts = scanned({"/etc/passwd": (PASSWD, 0o644)})
    assert resolve_user("app", facts)[0] == 10001 and resolve_user("10001:10001", None)[0] == 10001
    assert resolve_user("", facts)[0] == 0 and resolve_user("root", facts)[0] == 0
    assert resolve_user("ghost", facts)[0] is None
    assert judge("image_user", evidence_with(facts)).passed
    for user, words in (("", "root"), ("root", "root"), ("0", "root"), ("ghost", "not in the image's /etc/passwd")):
        outcome = judge("image_user", evidence_with(facts, image=replace(image(), user=user)))
        assert not outcome.passed and words in outcome.message, (user, outcome.message)


def test_files_that_must_not_ship_are_named_with_path_and_size_and_the_base_images_own_are_not():
    facts = scanned({
        "/app/.env": (b"KEY=1\n", 0o644), "/app/.env.example": (b"KEY=\n", 0o644),
        "/home/app/.ssh/id_rsa": (b"k", 0o600), "/app/deploy.pem": (b"-----BEGIN RSA PRIVATE KEY-----\n", 0o600),
        "/app/cert.pem": (b"-----BEGIN CERTIFICATE-----\n", 0o644), "/root/.netrc": (b"machine x\n", 0o600),
        "/app/.git/HEAD": (b"ref: main\n", 0o644), "/app/.git/config": (b"[core]\n", 0o644),
        "/app/.pytest_cache/v/x": (b"1", 0o644), "/tmp/src.tar.gz": (b"gz", 0o644), "/opt/pkg.tar.gz": (b"gz", 0o644),
        "/app/__pycache__/main.cpython-311.pyc": (b"pyc", 0o644),
        "/srv/__pycache__/ok.cpython-313.pyc": (b"pyc", 0o644),
        "/usr/local/lib/python3.13/test/keycert.pem": (b"PRIVATE KEY", 0o644),
    }, dirs=("/usr/local/lib/python3.13",))
    base = {"forbidden": ["/usr/local/lib/python3.13/test/keycert.pem"], "special": []}
    outcome = judge("no_secret_files", evidence_with(facts, base_shipped=base))
    files = {entry["path"]: entry["bytes"] for entry in outcome.details["files"]}
    assert not outcome.passed
    assert files == {"/app/.env": 6, "/home/app/.ssh/id_rsa": 1, "/app/deploy.pem": 32, "/root/.netrc": 10,
                     "/app/.git": 17, "/app/.pytest_cache": 1, "/tmp/src.tar.gz": 2, "/app/__pycache__": 3}
    clean = scanned({"/app/main.py": (b"print()\n", 0o644), "/app/__pycache__/main.cpython-313.pyc": (b"p", 0o644)},
                    dirs=("/usr/local/lib/python3.13",))
    assert judge("no_secret_files", evidence_with(clean)).passed, "bytecode for the image's own Python is fine"


def test_setuid_and_setgid_files_count_only_when_the_base_image_lacks_them():
    facts = scanned({"/usr/bin/su": (b"x", 0o4755), "/usr/bin/expiry": (b"x", 0o2755),
                     "/usr/local/bin/mine": (b"x", 0o6755), "/usr/local/bin/plain": (b"x", 0o755)})
    assert facts.special == {"/usr/bin/su": "setuid", "/usr/bin/expiry": "setgid", "/usr/local/bin/mine": "setuid+setgid"}
    base = {"special": ["/usr/bin/su", "/usr/bin/expiry"], "forbidden": []}
    outcome = judge("no_new_setuid", evidence_with(facts, base_shipped=base))
    assert not outcome.passed and outcome.details["files"] == [{"path": "/usr/local/bin/mine", "bits": "setuid+setgid"}]
    without = scanned({"/usr/bin/su": (b"x", 0o4755)})
    assert judge("no_new_setuid", evidence_with(without, base_shipped=base)).passed


def test_a_missing_healthcheck_is_advice_unless_the_rubric_requires_one():
    bare = dynamic.Evidence(image=image())
    assert judge("healthcheck", bare).passed and "advice" in judge("healthcheck", bare).message
    assert not judge("healthcheck", bare, must_exist=True).passed
    off = dynamic.Evidence(image=replace(image(), healthcheck=("NONE",)))
    assert not judge("healthcheck", off, must_exist=True).passed
    on = dynamic.Evidence(image=replace(image(), healthcheck=("CMD", "python", "-c", "pass")))
    assert judge("healthcheck", on, must_exist=True).passed


def test_a_healthcheck_a_shellless_image_cannot_run_fails_saying_why():
    fs = FilesystemFacts()
    fs.kinds.update({"/usr": "d", "/usr/local": "d", "/usr/local/bin": "d", "/usr/local/bin/python3.13": "f",
                     "/usr/local/bin/python": "l"})
    fs.links["/usr/local/bin/python"] = "python3.13"
    info = replace(image(), env=["PATH=/usr/local/bin"])
    shell_form = dynamic.Evidence(image=replace(info, healthcheck=("CMD-SHELL", "curl -f http://127.0.0.1:8000/health")),
                                  filesystem=fs)
    outcome = judge("healthcheck", shell_form)
    assert not outcome.passed and "runs /bin/sh -c, and the image has no /bin/sh" in outcome.message
    no_curl = dynamic.Evidence(image=replace(info, healthcheck=("CMD", "curl", "-f", "http://127.0.0.1:8000/health")),
                               filesystem=fs)
    assert "curl is not in the image (PATH /usr/local/bin)" in judge("healthcheck", no_curl).message
    python = dynamic.Evidence(image=replace(info, healthcheck=("CMD", "python", "-c", "pass")), filesystem=fs)
    assert judge("healthcheck", python).passed


def test_the_file_kinds_match_paths_globs_and_contents():
    facts = scanned({"/etc/passwd": (PASSWD, 0o644), "/app/main.py": (b"x", 0o644),
                     "/app/settings.toml": (b"debug = false\n", 0o644)}, dirs=("/app",))
    evidence = evidence_with(facts)
    assert judge("file_exists", evidence, path="/app/main.py").passed
    assert judge("file_exists", evidence, path="/app/*.py").passed
    assert not judge("file_exists", evidence, path="/opt/venv").passed
    assert judge("file_absent", evidence, path="/root/.cache/pip").passed
    assert not judge("file_absent", evidence, path="/app/*.toml").passed
    assert judge("file_contains", evidence, path="/etc/passwd", expected=["^app:x:10001:"]).passed
    assert judge("file_contains", evidence, path="/app/settings.toml", excluded=["debug = true"]).passed
    wrong = judge("file_contains", evidence, path="/app/settings.toml", expected="debug = true", excluded=["false"])
    assert not wrong.passed and "debug = true" in wrong.message and "must not be there" in wrong.message
    assert not judge("file_contains", evidence, path="/app/missing.txt", expected=["x"]).passed


def test_metadata_names_each_value_that_differs():
    evidence = dynamic.Evidence(image=replace(image(exposed=("8000/tcp",)), labels={"team": "a"}))
    assert judge("metadata", evidence, user="app", workdir="/app", exposed_ports=["8000"],
                 env={"PATH": "/opt/venv/bin:/usr/local/bin:/usr/bin:/bin"}, labels={"team": "a"},
                 cmd=["uvicorn", "main:app", "--host", "0.0.0.0"], entrypoint=[]).passed
    outcome = judge("metadata", evidence, user="10001", exposed_ports=["9000/tcp"], env={"DEBUG": "0"})
    assert not outcome.passed and len(outcome.details["differs"]) == 3
    assert "user '10001' (the image has 'app')" in outcome.message


def test_a_command_passes_on_its_exit_code_and_output_patterns_and_fails_on_a_timeout():
    argv = ("python", "-V")
    params = {"run": list(argv), "exit_code": 0, "stdout": "^Python 3\\.13"}
    ran = dynamic.Evidence(image=image(), commands={argv: engine.RunResult(0, "Python 3.13.5\n", "", 0.2)})
    assert judge("command", ran, **params).passed
    wrong = dynamic.Evidence(image=image(), commands={argv: engine.RunResult(1, "Python 3.12.1\n", "boom\n", 0.2)})
    outcome = judge("command", wrong, **params)
    assert not outcome.passed and "exited 1, expected 0 (boom)" in outcome.message and "no match" in outcome.message
    late = dynamic.Evidence(image=image(), commands={argv: engine.RunResult(None, "", "", 10.0, timed_out=True)})
    assert "did not finish within 10 s" in judge("command", late, **params).message
    assert not judge("command", dynamic.Evidence(image=image()), **params).passed


def test_when_the_base_image_could_not_be_read_the_setuid_message_says_its_files_count_too():
    facts = scanned({"/usr/bin/su": (b"x", 0o4755)})
    outcome = judge("no_new_setuid", evidence_with(facts, base_ref="python:3.13-slim"))
    assert not outcome.passed and "base image could not be read" in outcome.message


def test_a_command_whose_program_a_shellless_image_lacks_is_not_judged_rather_than_failed_for_its_output():
    argv = ("sh", "-c", "test -r /app/main.py")
    error = ('failed to create shim task: OCI runtime create failed: runc create failed: unable to start container '
             'process: exec: "sh": executable file not found in $PATH: unknown')
    evidence = dynamic.Evidence(image=image(), commands={argv: engine.RunResult(None, "", error, 0.1)})
    outcome = judge("command", evidence, run=list(argv), exit_code=0)
    assert not outcome.passed
    assert outcome.message.startswith("Not judged: the image has no sh to run sh -c 'test -r /app/main.py'")
