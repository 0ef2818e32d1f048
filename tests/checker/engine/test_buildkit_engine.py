"""The BuildKit builder on a real engine that offers it (issue 15's Tests).

These run against the engine under test when it offers BuildKit (``LPI_TEST_ENGINE=modern-containerd``),
else against the ``modern-containerd`` engine (``python -m checker engines up``); they fail with
that reason when no engine with BuildKit answers.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path

import pytest

from checker import engine, grading
from checker import settings as course_settings
from checker.engine import builders, cgroups
from checker.grading.summary import build_summary
from checker.reporters import render

from tests.checker.support import REPO

pytestmark = pytest.mark.docker

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def buildkit_engine():
    """DOCKER_HOST of an engine with BuildKit and a buildx client (this one, else modern-containerd)."""
    from checker import modern_engines

    saved = os.environ.get("DOCKER_HOST")
    saved_builder = os.environ.pop("LPI_BUILDER", None)
    try:
        offered = builders.engine_offers_buildkit()
    except engine.EngineError:
        offered = False
    if not offered:
        found = {found.name: found.docker_host for found in modern_engines.available()}
        if "modern-containerd" not in found:
            pytest.fail("No engine with BuildKit answers: start the modern engines with `python -m checker engines up`.")
        os.environ["DOCKER_HOST"] = found["modern-containerd"]
        engine.reset_connection()
    chosen = builders.choose_builder(course_settings.load())
    if chosen.name != "buildkit":
        pytest.fail("The engine offers BuildKit but no docker-buildx plugin was found (python -m checker engines up fetches it).")
    yield os.environ["DOCKER_HOST"]
    if saved is None:
        os.environ.pop("DOCKER_HOST", None)
    else:
        os.environ["DOCKER_HOST"] = saved
    if saved_builder is not None:
        os.environ["LPI_BUILDER"] = saved_builder
    engine.reset_connection()


@pytest.fixture
def made_tags():
    """Tags of the images a test built; removed afterwards."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        try:
            engine.remove_image(tag, force=True)
        except engine.EngineError:
            pass


def _build(text: str, tags: list[str], *, files: dict[str, str] | None = None, **options) -> engine.BuildResult:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, body in {"Dockerfile": text, **(files or {})}.items():
            data = body.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    tag = f"lpi-test-buildkit/{uuid.uuid4().hex[:10]}:latest"
    tags.append(tag)
    return engine.build(context_tar=buffer, tag=tag, **options)


def _saved_bytes(tag: str) -> bytes:
    """Every file of ``docker save``'s tar (layer tars, config, manifests), gzip layers unpacked, joined."""
    import gzip

    with engine.saved_image(tag) as saved, tarfile.open(fileobj=saved, mode="r|") as outer:
        parts = []
        for member in outer:
            handle = outer.extractfile(member) if member.isfile() else None
            data = handle.read() if handle is not None else b""
            parts.append(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    return b"".join(parts)


def _own_memory() -> int:
    """A memory limit no other build uses (1 GiB plus a random number of pages): the build gets a
    limits cgroup of its own, so its processes can be counted apart from other builds'."""
    return 1024 * MIB + 4096 * (uuid.uuid4().int % 100000 + 1)


def _runc_tasks(memory_bytes: int) -> int:
    """Processes now in the BuildKit limits cgroup of ``memory_bytes`` (0 when none is left running)."""
    count = 0
    for base in (cgroups.ROOT / "pids" / cgroups.GROUP, cgroups.ROOT / cgroups.GROUP):
        for folder in base.glob(f"m{memory_bytes}-p*") if base.is_dir() else ():
            for procs in folder.rglob("cgroup.procs"):
                count += len(procs.read_text().split())
    return count


def _until_no_tasks(memory_bytes: int, wait_s: float = 30.0) -> int:
    """Wait until the cgroup of ``memory_bytes`` is empty; how many processes are left; the empty cgroup removed."""
    deadline = time.monotonic() + wait_s
    while _runc_tasks(memory_bytes) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = _runc_tasks(memory_bytes)
    if not left:
        names = {folder.name for base in (cgroups.ROOT / "pids" / cgroups.GROUP, cgroups.ROOT / cgroups.GROUP)
                 if base.is_dir() for folder in base.glob(f"m{memory_bytes}-p*")}
        for name in names:
            cgroups.BuildCgroup(parent=f"/{cgroups.GROUP}/{name}", folders=[]).remove(wait_s=2)
    return left


def test_a_failing_run_is_named_with_its_line_and_its_decisive_output_line(buildkit_engine, made_tags):
    text = ("FROM python:3.13-slim\nRUN echo fine\n"
            "RUN echo 'collecting stuff' && echo 'ERROR: No matching distribution found for nosuchpkg' >&2 && exit 1\n")
    result = _build(text, made_tags, nocache=True)
    assert not result.ok and result.builder == "buildkit" and result.failed_line == 3
    assert result.failed_step is not None and result.failed_step.startswith("RUN echo 'collecting stuff'")
    assert "exit code: 1" in (result.error or "")
    summary = build_summary(result)
    assert any("No matching distribution found for nosuchpkg" in line for line in summary.error_lines)
    assert summary.builder == "buildkit" and summary.failed_line == 3


def test_a_failing_heredoc_is_quoted_line_by_line_in_every_view_never_with_a_literal_backslash_n(buildkit_engine,
                                                                                                   made_tags):
    from checker.dockerfile import parse
    from checker.report import Report
    from checker.reporters import render

    text = "FROM python:3.13-slim\nRUN <<EOF\nset -e\necho first line\nexit 3\nEOF\n"
    result = _build(text, made_tags, nocache=True)
    assert not result.ok and result.failed_line == 2
    assert result.error is not None and "\\n" not in result.error, result.error  # BuildKit Go-quotes it: \\n
    assert 'process "/bin/sh -c set -e\necho first line\nexit 3" did not complete' in result.error
    summary = build_summary(result, model=parse(text))
    assert summary.failed_step == "RUN <<EOF\nset -e\necho first line\nexit 3\nEOF"
    report = Report("Dockerfile", ".", "r", "r.toml", build=summary, verdict="Score 0")
    for fmt in ("text", "html", "markdown"):
        shown = render(report, fmt)
        assert "\\n" not in shown, (fmt, shown)
    assert json.loads(render(report, "json"))["build"]["failed_step"].splitlines()[-1] == "EOF"
    assert "    | echo first line\n    | exit 3\n    | EOF" in report.summary()
    assert "<pre>RUN &lt;&lt;EOF\nset -e\necho first line" in render(report, "html")
    assert Report.from_dict(report.to_dict()).build.failed_step == summary.failed_step


def test_a_run_that_loops_forever_is_cut_at_the_deadline_and_leaves_no_process(buildkit_engine, made_tags):
    started = time.monotonic()
    memory = _own_memory()
    result = _build(f"FROM python:3.13-slim\nRUN echo {uuid.uuid4().hex} && while true; do sleep 1; done\n",
                    made_tags, timeout_s=12, memory_bytes=memory)
    assert result.timed_out and not result.ok and result.failed_step and "while true" in result.failed_step
    assert time.monotonic() - started < 12 + 25  # the deadline plus buildx's cancel grace, at most
    assert _until_no_tasks(memory) == 0


def test_a_run_that_allocates_past_the_memory_limit_fails_that_step(buildkit_engine, made_tags):
    text = (f"FROM python:3.13-slim\nRUN echo {uuid.uuid4().hex}\n"
            "RUN python -c \"b = bytearray(400 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); print('allocated')\"\n")
    memory = 128 * MIB + 4096 * (uuid.uuid4().int % 1000 + 1)  # a cgroup of its own, removed below
    result = _build(text, made_tags, memory_bytes=memory)
    assert not result.ok and result.failed_line == 3 and "exit code: 137" in (result.error or "")
    assert "allocated" not in result.failed_output
    within = _build(text.replace("400 *", "32 *"), made_tags, memory_bytes=memory)
    assert within.ok, within.error  # the same step under the limit builds: the limit is what failed it
    assert _until_no_tasks(memory) == 0


def test_a_run_that_forks_past_the_pids_limit_fails_that_step(buildkit_engine, made_tags, monkeypatch):
    monkeypatch.setenv("LPI_PIDS_LIMIT", "40")
    text = (f"FROM python:3.13-slim\nRUN echo {uuid.uuid4().hex}\n"
            "RUN for i in $(seq 1 80); do sleep 30 & done; wait\n")
    started = time.monotonic()
    memory = _own_memory()
    result = _build(text, made_tags, settings=course_settings.load(), memory_bytes=memory)
    assert not result.ok and result.failed_line == 3, result.log[-500:]
    assert "fork" in result.failed_output.lower() or "resource temporarily unavailable" in result.failed_output.lower()
    assert time.monotonic() - started < 30  # failed at the fork, not after the sleeps
    assert _until_no_tasks(memory) == 0


def test_a_secret_mount_reaches_its_run_and_is_in_no_layer(buildkit_engine, made_tags, tmp_path):
    secret = f"lpi-secret-{uuid.uuid4().hex}"
    text = ("FROM python:3.13-slim\n"
            # A secret is not part of the step's cache key: the echo makes this RUN new, so it reads this secret.
            f"RUN --mount=type=secret,id=token,required=true sha256sum /run/secrets/token > /token.sha256 && echo {uuid.uuid4().hex}\n")
    result = _build(text, made_tags, secrets={"token": secret})
    assert result.ok, result.error
    import hashlib

    blob = _saved_bytes(result.tag)
    assert secret.encode() not in blob
    assert hashlib.sha256(secret.encode()).hexdigest().encode() in blob  # the RUN did read it


def test_ctrl_c_mid_build_leaves_no_process_image_or_cgroup_task(buildkit_engine, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM python:3.13-slim\nRUN echo {uuid.uuid4().hex} && sleep 300\n")
    script = ("import sys; from checker import engine\n"
              "r = engine.build(sys.argv[1], tag='lpi-test-buildkit/ctrl-c:latest', timeout_s=600)\n")
    memory = _own_memory()
    env = {**os.environ, "PYTHONPATH": str(REPO), "LPI_MEMORY_BYTES": str(memory)}
    grader = subprocess.Popen([sys.executable, "-c", script, str(context)], env=env, cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while _runc_tasks(memory) == 0 and time.monotonic() < deadline and grader.poll() is None:
        time.sleep(0.5)
    assert _runc_tasks(memory) > 0, "the RUN step never started"
    grader.send_signal(signal.SIGINT)
    _, stderr = grader.communicate(timeout=60)
    assert "KeyboardInterrupt" in stderr
    assert _until_no_tasks(memory) == 0
    assert not engine.image_exists("lpi-test-buildkit/ctrl-c:latest")
    leftover = subprocess.run(["pgrep", "-f", "lpi-test-buildkit/ctrl-c"], capture_output=True, text=True).stdout.split()
    assert leftover == []


def test_a_grader_killed_mid_build_takes_its_build_with_it(buildkit_engine, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM python:3.13-slim\nRUN echo {uuid.uuid4().hex} && sleep 300\n")
    script = ("import sys; from checker import engine\n"
              "engine.build(sys.argv[1], tag='lpi-test-buildkit/killed:latest', timeout_s=600)\n")
    memory = _own_memory()
    env = {**os.environ, "PYTHONPATH": str(REPO), "LPI_MEMORY_BYTES": str(memory)}
    grader = subprocess.Popen([sys.executable, "-c", script, str(context)], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _runc_tasks(memory) == 0 and time.monotonic() < deadline and grader.poll() is None:
        time.sleep(0.5)
    assert _runc_tasks(memory) > 0, "the RUN step never started"
    grader.kill()  # SIGKILL: no handler runs; buildx must not build on (it would finish and cache the step)
    grader.wait(10)
    assert _until_no_tasks(memory) == 0
    assert not engine.image_exists("lpi-test-buildkit/killed:latest")


def _sample_variant(context: Path, tmp_path: Path, *, wrong_order: bool) -> Path:
    """The reference Dockerfile rewritten with BuildKit syntax: apt and pip cache mounts, a heredoc, COPY --link --chmod."""
    install = ("RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n")
    builder_stage = (
        "FROM python:3.13-slim AS builder\n"
        "# docker-clean empties apt's cache after every install: remove it so the cache mount keeps the .debs\n"
        "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n"
        "    --mount=type=cache,target=/var/lib/apt,sharing=locked \\\n"
        "    rm -f /etc/apt/apt.conf.d/docker-clean \\\n"
        "    && apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev\n"
        "RUN python -m venv /opt/venv\n"
        "ENV PATH=\"/opt/venv/bin:$PATH\"\n"
        "WORKDIR /build\n"
        + ("COPY . .\n" + install if wrong_order else "COPY requirements.txt .\n" + install)
    )
    runtime = (
        "FROM python:3.13-slim\n"
        "RUN <<EOF\n"
        "set -e\n"
        "apt-get update\n"
        "apt-get install -y --no-install-recommends libpq5\n"
        "rm -rf /var/lib/apt/lists/*\n"
        "useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app\n"
        "EOF\n"
        "COPY --from=builder /opt/venv /opt/venv\n"
        "ENV PATH=\"/opt/venv/bin:$PATH\" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\n"
        "WORKDIR /app\n"
        "COPY --link --chmod=755 . .\n"
        "USER app\n"
        "EXPOSE 8000\n"
        'CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]\n'
    )
    path = tmp_path / ("Dockerfile.wrong" if wrong_order else "Dockerfile.buildkit")
    path.write_text(builder_stage + "\n" + runtime)
    return path


def test_buildkit_syntax_builds_and_passes_the_default_rubric_with_the_cache_reused(buildkit_engine, app_context,
                                                                                       run_ids, tmp_path):
    report = grading.grade(_sample_variant(app_context, tmp_path, wrong_order=False), context=app_context,
                           keep_cache=False)
    run_ids.append(report.run_id)
    assert report.build is not None and report.build.ok and report.build.builder == "buildkit", report.build
    assert report.engine.get("builder") == "buildkit"
    outcomes = {check.id: check.passed for check in report.checks}
    assert outcomes["cache_reuse"] is True and outcomes["builds"] is True
    assert not [finding for finding in report.findings if finding.rule == "LPI015"]
    assert report.passed, [(check.id, check.message) for check in report.checks if not check.passed]


def test_with_the_source_copied_before_the_install_cache_reuse_fails_under_buildkit(buildkit_engine, app_context,
                                                                                   run_ids, tmp_path):
    report = grading.grade(_sample_variant(app_context, tmp_path, wrong_order=True), context=app_context,
                           keep_cache=False)
    run_ids.append(report.run_id)
    assert report.build is not None and report.build.ok and report.build.builder == "buildkit"
    cache = next(check for check in report.checks if check.id == "cache_reuse")
    assert cache.passed is False and "pip install" in cache.message


def test_build_checks_flag_the_legacy_env_form_and_an_undefined_variable(buildkit_engine):
    from checker.buildchecks import findings_from_checks
    from checker.dockerfile import parse

    text = "FROM python:3.13-slim\nENV key value\nCOPY $UNDEFINED_DIR /app\nCMD exec python -m app\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(text.encode())
        tar.addfile(info, io.BytesIO(text.encode()))
    warnings = engine.build_checks(buffer, settings=course_settings.load())
    assert warnings is not None
    found = {(finding.rule, finding.line): finding for finding in findings_from_checks(warnings, [], parse(text))}
    assert ("LegacyKeyValueFormat", 2) in found and ("UndefinedVar", 3) in found
    assert "LPI011 accepts this line" in found[("JSONArgsRecommended", 4)].message


@pytest.mark.parametrize("directive", ["docker/dockerfile:1-labs", "ghcr.io/example/frontend:2"])
def test_a_labs_or_other_syntax_line_on_a_machine_without_a_registry_is_the_machines_fault_and_says_to_delete_it(
        buildkit_engine, run_ids, tmp_path, directive):
    (tmp_path / "Dockerfile").write_text(f'# syntax={directive}\nFROM python:3.13-slim\nRUN echo hi\n'
                                         'CMD ["python", "-c", "print(1)"]\n')
    report = grading.grade(tmp_path / "Dockerfile", context=tmp_path, keep_cache=False)
    run_ids.append(report.run_id)
    assert report.status == "error", (report.status, report.verdict)
    assert directive in report.error and "delete that line" in report.error
    assert "not your Dockerfile's fault" in report.error


@pytest.mark.parametrize("directive", ["docker/dockerfile:1", "docker.io/docker/dockerfile:1.7"])
def test_a_stable_syntax_line_that_cannot_be_fetched_is_read_by_the_built_in_frontend_and_said(
        buildkit_engine, run_ids, tmp_path, directive):
    # Most BuildKit tutorials start with this line; here no registry serves the frontend image.
    body = ("FROM python:3.13-slim\nRUN <<EOT bash\n  set -euo pipefail\n  echo built > /built.txt\nEOT\n"
            "USER 10001\nCMD [\"python\", \"-c\", \"print(open('/built.txt').read())\"]\n")
    (tmp_path / "Dockerfile").write_text(f"# syntax={directive}\n# check=error=false\n" + body)
    report = grading.grade(tmp_path / "Dockerfile", context=tmp_path, keep_cache=False)
    run_ids.append(report.run_id)
    assert report.status in {"passed", "failed"}, (report.status, report.error)  # graded, not "error"
    assert report.build is not None and report.build.ok and report.build.builder == "buildkit"
    assert report.build.frontend_note and f"`# syntax={directive}`" in report.build.frontend_note
    assert "built-in frontend" in report.build.frontend_note and "Line 1's" in report.build.frontend_note
    assert report.build.frontend_note in render(report, "text"), "every view says which frontend read the file"
    assert report.to_dict()["build"]["frontend_note"] == report.build.frontend_note
    # the heredoc ran (the built-in frontend read it, not the classic builder's skipping of its body)
    steps = [step.instruction for step in report.build.steps]
    assert any(step.startswith("RUN <<EOT") for step in steps), steps
