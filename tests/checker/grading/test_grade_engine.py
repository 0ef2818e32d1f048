"""Grading on the real engine: the sample app's reference passes, its single-stage version fails,
and each fixture under fixtures/ fails exactly the check its name promises.

Every fixture builds on the sample app's files, copied into a temporary context once per session;
builder stages repeat the reference's instructions so they come from the build cache.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker import engine, grading
from checker.grading import cache as grading_cache
from checker import settings as course_settings

from tests.checker.support import FIXTURES, REPO, SAMPLE_APP, compare_golden

pytestmark = pytest.mark.docker
DYNAMIC_DEPENDENCY_CHECKS = ("native_libs", "app_imports", "same_python", "health")


@pytest.fixture(scope="module", autouse=True)
def roomy_cache_budget():
    """A cache budget no grade of this module reaches, so no grade evicts an earlier one's kept image.

    The module's tests look at images an earlier grade kept; on an engine whose kept builds are
    already near the budget (a long-used one: the containerd store counts each kept image whole), a
    later grade's eviction would remove them. Eviction itself is tested with an explicit budget.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LPI_CACHE_BUDGET", str(1024 ** 4))
        yield


@pytest.fixture(scope="module")
def graded(engine_ready, app_context, run_ids):
    """Grade a fixture (or the sample app's own Dockerfiles) once per module; reports by name."""
    reports: dict[str, object] = {}

    def grade(name: str, **kwargs):
        if name not in reports:
            dockerfile = SAMPLE_APP / name if name.startswith("Dockerfile") else FIXTURES / f"{name}.Dockerfile"
            report = grading.grade(dockerfile, context=app_context, **kwargs)
            run_ids.append(report.run_id)
            reports[name] = report
        return reports[name]

    return grade


def failed(report) -> set[str]:
    return {check.id for check in report.checks if not check.passed}


def test_when_grading_the_reference_dockerfile_then_every_check_passes(graded):
    report = graded("Dockerfile")
    assert report.status == "passed", report.summary()
    assert failed(report) == set(), report.summary()
    assert report.score == report.max_score == 100
    image = report.image
    assert image.size_bytes == sum(layer.size_bytes for layer in image.layers)
    assert image.reference_size_bytes and 0.8 < image.size_bytes / image.reference_size_bytes < 1.2
    assert image.baseline_size_bytes > 3 * image.size_bytes
    assert image.python.startswith(course_settings.load().python_version + ".")
    assert report.base_images[0].ref == course_settings.load().slim_image


def test_when_grading_the_single_stage_dockerfile_then_it_fails_for_compilers_headers_and_size(graded):
    report = graded("Dockerfile.single")
    assert report.status == "failed" and report.exit_code == 1
    assert {"no_compilers", "no_headers", "image_size"} <= failed(report)
    assert "gcc" in report.check("no_compilers").message
    assert not {"builds", "health", "app_imports", "native_libs"} & failed(report), report.summary()


def test_when_runtime_stage_lacks_libpq5_then_the_import_check_fails_naming_libpq(graded):
    report = graded("runtime-without-libpq5-fail")
    assert {"app_imports", "native_libs"} <= failed(report)
    assert "libpq" in report.check("app_imports").message
    assert "libpq.so.5" in report.check("native_libs").message and "libpq5" in report.check("native_libs").message
    assert not report.passed


def test_when_the_source_is_copied_before_the_install_then_the_cache_check_fails(graded):
    report = graded("source-before-install-fail")
    assert "cache_reuse" in failed(report)
    assert "pip install" in report.check("cache_reuse").message
    assert not set(DYNAMIC_DEPENDENCY_CHECKS) & failed(report), report.summary()


def test_when_gcc_is_installed_in_the_runtime_stage_then_the_tools_check_fails(graded):
    report = graded("gcc-in-runtime-fail")
    assert "no_compilers" in failed(report)
    assert "/usr/bin/gcc" in report.check("no_compilers").message
    assert not {"native_libs", "app_imports", "health"} & failed(report)


def test_when_dependencies_are_installed_with_a_prefix_then_the_dependency_checks_pass(graded):
    report = graded("prefix-install-pass")
    assert not set(DYNAMIC_DEPENDENCY_CHECKS) & failed(report), report.summary()
    assert not {"no_compilers", "no_headers", "no_pip_cache", "cache_reuse", "image_size"} & failed(report), report.summary()
    assert report.passed, report.summary()


def test_when_a_step_fails_then_the_score_is_zero_with_the_failing_step_and_its_output(graded):
    report = graded("build-error-fail")
    assert report.score == 0 and report.exit_code == 1
    assert "exit 3" in report.build.failed_step
    assert "no such package: definitely-missing" in report.build.log_tail
    assert "did not build" in report.verdict and report.image is None
    assert not report.check("builds").passed
    # Nothing on the image was judged, and a course rule that holds is no tick beside 0 points.
    on_the_image = [check for check in report.checks if check.kind == "dynamic" and check.id != "builds"]
    assert on_the_image and {check.not_judged for check in on_the_image} == {"the image did not build"}
    assert all(check.not_judged for check in report.checks if check.passed), report.summary()
    assert report.to_fix[0].id == "builds" and not {c.id for c in report.to_fix} & {c.id for c in report.unjudged_checks}


def test_when_the_cmd_is_single_quoted_then_docker_builds_it_as_shell_form_and_lpi011_says_why(graded):
    report = graded("single-quoted-cmd")
    assert report.build is not None and report.build.ok, "Docker reads ['uvicorn', ...] as shell form: it builds"
    assert "does not parse" not in report.verdict
    lpi011 = report.check("LPI011")
    assert not lpi011.passed and "read as shell form because it is not a JSON array" in lpi011.message
    assert "health" in failed(report), "the shell looks for a program named '[uvicorn,': the app never starts"


def test_when_the_classic_builder_meets_buildkit_syntax_then_it_is_not_graded_and_says_where_to_grade(
        engine_ready, app_context, run_ids, monkeypatch):
    # The default engine (Docker 20.10) has only the classic builder; with BuildKit this builds (test_buildkit_engine).
    monkeypatch.setenv("LPI_BUILDER", "classic")
    started = time.monotonic()
    report = grading.grade(FIXTURES / "buildkit-cache-mount-not-graded.Dockerfile", context=app_context)
    run_ids.append(report.run_id)
    assert report.status == "error" and report.exit_code == 2 and not report.passed, report.verdict
    assert report.build is None, "decided from the parsed Dockerfile: nothing was built"
    assert "only BuildKit understands (line 7: RUN --mount)" in report.error
    assert "not a fault of your Dockerfile" in report.error and "--builder buildkit" in report.error
    from checker.engine import builders

    if builders.engine_offers_buildkit():
        # this engine offers BuildKit (the modern run): the way out is dropping the request, not another engine
        assert "drop `--builder classic`" in report.error and "engines list" not in report.error
    else:
        assert "python -m checker engines list" in report.error
    assert report.summary().startswith("Grading could not happen: This Dockerfile cannot be graded on this engine")
    assert time.monotonic() - started < 60


def test_when_the_classic_builder_refuses_syntax_the_parser_missed_then_its_own_words_stop_the_grading(
        engine_ready, app_context, run_ids, monkeypatch, tmp_path):
    # As if the parser did not know RUN --mount: the build runs, and the engine's "the --mount option requires
    # BuildKit" decides. (RUN --mount, not COPY --link: Docker 28's classic builder accepts --link and ignores it,
    # Docker 20.10's refuses it; both refuse --mount.)
    from checker.grading import pipeline

    monkeypatch.setenv("LPI_BUILDER", "classic")
    monkeypatch.setattr(pipeline, "needs_buildkit", lambda model: [])
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.13-slim\nWORKDIR /app\nRUN --mount=type=cache,target=/root/.cache true\n")
    report = grading.grade(dockerfile, context=app_context)
    run_ids.append(report.run_id)
    assert report.status == "error" and report.exit_code == 2, report.verdict
    assert "only BuildKit understands (" in report.error and "--mount" in report.error, report.error


def test_when_a_build_exceeds_its_deadline_then_it_is_cancelled_and_its_container_removed(engine_ready, app_context, run_ids,
                                                                                         docker_client):
    started = time.monotonic()
    report = grading.grade(FIXTURES / "slow-step-timeout.Dockerfile", context=app_context, timeout=6)
    run_ids.append(report.run_id)
    elapsed = time.monotonic() - started
    assert report.build.timed_out and "sleep 300" in report.build.failed_step
    assert report.score == 0 and "did not finish in time" in report.verdict
    assert elapsed < 60, f"grading took {elapsed:.0f} s although the build deadline was 6 s"
    # The list endpoint only (no per-container inspect, which races with removals elsewhere).
    sleepers = [c for c in docker_client.api.containers(all=True) if "sleep 300" in (c.get("Command") or "")]
    assert not sleepers, "the cancelled build's container is still there"


def test_containers_run_without_capabilities_network_or_unbounded_resources(engine_ready):
    settings = course_settings.load()
    script = ("import os;print(open('/proc/self/status').read());print('IFACES', sorted(os.listdir('/sys/class/net')));"
              "print('PIDS', open('/sys/fs/cgroup/pids/pids.max').read().strip() if os.path.exists('/sys/fs/cgroup/pids/pids.max') else open('/sys/fs/cgroup/pids.max').read().strip())")
    result = engine.run(settings.slim_image, ["python", "-c", script], labels={course_settings.LABEL_RUN: "test-limits"})
    assert result.ok, result.stderr
    status = dict(line.split(":\t", 1) for line in result.stdout.splitlines() if ":\t" in line)
    assert status["CapEff"].strip() == "0000000000000000"
    assert status["NoNewPrivs"].strip() == "1"
    assert "IFACES ['lo']" in result.stdout
    assert f"PIDS {settings.pids_limit}" in result.stdout
    assert not engine.list_containers(f"{course_settings.LABEL_RUN}=test-limits")


def test_a_service_publishes_its_port_on_loopback_only(engine_ready, docker_client, graded):
    report = graded("Dockerfile")
    image_tag = f"{grading.repository_for(report.run_id)}:image"
    with engine.service(image_tag, port=8000, labels={course_settings.LABEL_RUN: "test-loopback"}) as service:
        bindings = docker_client.api.inspect_container(service.container_id)["HostConfig"]["PortBindings"]
        assert bindings == {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}
        caps = docker_client.api.inspect_container(service.container_id)["HostConfig"]
        assert caps["CapDrop"] == ["ALL"] and caps["SecurityOpt"] == ["no-new-privileges"]
        assert caps["Memory"] == course_settings.load().memory_bytes and caps["PidsLimit"] == course_settings.load().pids_limit
        for _ in range(120):
            status, body, how = service.get("/health")
            if status == 200:
                break
            time.sleep(0.25)
        assert status == 200 and '"status":"ok"' in body.replace(" ", "")
    assert not engine.list_containers(f"{course_settings.LABEL_RUN}=test-loopback")


def test_kept_builds_are_tagged_as_cache_and_the_oldest_is_evicted_over_budget(engine_ready, tmp_path):
    settings = course_settings.load()
    results = []
    for index in range(2):
        (tmp_path / "Dockerfile").write_text(f"FROM {settings.slim_image}\nRUN head -c 200000 /dev/urandom > /blob-{index}\n")
        result = engine.build(tmp_path, tag=f"lpi-grade/test-evict-{index}:image", timeout_s=120)
        assert result.ok, result.log
        results.append(result)
        grading_cache.keep_build(result, f"lpi-grade/test-evict-{index}")
        time.sleep(1.1)  # creation times one second apart
    try:
        groups, total = grading_cache.cache_groups()
        mine = {g.repository: g for g in groups if g.repository.startswith("lpi-grade/test-evict-")}
        assert set(mine) == {"lpi-grade/test-evict-0", "lpi-grade/test-evict-1"}
        assert all(group.bytes_alone >= 200000 for group in mine.values())
        keep_others = [g.repository for g in groups if g.repository not in mine] + ["lpi-grade/test-evict-1"]
        evicted = grading_cache.enforce_cache_budget(0, protect=keep_others)
        assert evicted == ["lpi-grade/test-evict-0"]
        assert not engine.image_exists("lpi-grade/test-evict-0:image")
        assert engine.image_exists("lpi-grade/test-evict-1:image")
    finally:
        for index in range(2):
            engine.remove_image(f"lpi-grade/test-evict-{index}:image")


# ----------------------------------------------------------------------------------------------
# the command line


def cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "checker", "grade", *args, "--quiet"], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=timeout)


def normalise(report: dict) -> dict:
    """The JSON report reduced to its schema: keys and types, plus what the checker itself decides
    (check ids, kinds, points, verdicts, our own titles and hints). Measured values, ids, paths and
    text owned by others (the sample app's Dockerfile, the course rules' wording) become placeholders."""
    def kind(value):
        return f"<{type(value).__name__}>"

    def shape(items: list) -> list:
        return [{key: kind(value) for key, value in items[0].items()}] if items else []

    report = json.loads(json.dumps(report))
    for key in ("seconds", "run_id", "engine", "dockerfile", "context"):
        report[key] = kind(report[key])
    report["timings"] = sorted(report["timings"])
    report["rubric_path"] = Path(report["rubric_path"]).relative_to(REPO).as_posix()
    report["findings"] = shape(report["findings"])
    for check in report["checks"]:
        check["message"] = "<str>"
        check["details"] = {name: kind(value) for name, value in check["details"].items()}
        if check["kind"] != "dynamic":
            for key in ("title", "hint", "why", "lesson"):
                check[key] = kind(check[key])
    build = report["build"]
    build["seconds"] = kind(build["seconds"])
    build["builder"] = kind(build["builder"])  # buildkit or classic: the engine under test decides
    build["steps"] = shape(build["steps"])
    for key in ("steps_counted", "steps_from_cache"):  # the builder's steps, and what the cache held
        build[key] = kind(build[key])
    image = report["image"]
    for key, value in list(image.items()):
        if key not in {"measure", "layers"}:
            image[key] = kind(value)
    image["layers"] = shape(image["layers"])
    report["base_images"] = [{**base, "standin": kind(base["standin"]), "detail": kind(base["detail"])}
                             for base in report["base_images"]]
    return report


def test_cli_exit_0_and_one_json_object_for_the_reference_matching_the_golden_schema(engine_ready, app_context, run_ids):
    completed = cli(str(app_context / "Dockerfile"), "--context", str(app_context), "--format", "json")
    assert completed.returncode == 0, completed.stderr + completed.stdout[-3000:]
    data = json.loads(completed.stdout)
    run_ids.append(data["run_id"])
    assert {"score", "max_score", "passed", "checks", "findings", "build", "image", "base_images"} <= set(data)
    assert all({"id", "title", "passed", "points", "max_points", "message", "hint"} <= set(c) for c in data["checks"])
    assert all({"rule", "severity", "line", "message", "source"} <= set(f) for f in data["findings"])
    assert {"ok", "seconds", "error", "failed_step"} <= set(data["build"])
    assert all({"size_bytes", "created_by"} <= set(layer) for layer in data["image"]["layers"])
    assert all({"ref", "standin"} <= set(base) for base in data["base_images"])
    compare_golden("grade-reference.json", json.dumps(normalise(data), indent=2, sort_keys=True) + "\n")


def test_cli_exit_1_when_the_image_does_not_build(engine_ready, app_context, run_ids):
    completed = cli(str(FIXTURES / "build-error-fail.Dockerfile"), "--context", str(app_context), "--format", "junit")
    assert completed.returncode == 1, completed.stderr
    assert "<testsuite" in completed.stdout and "exit 3" in completed.stdout


def test_cli_exit_1_with_score_0_when_the_dockerfile_does_not_parse(engine_ready, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\nRUNN echo typo\n")
    completed = cli(str(tmp_path / "Dockerfile"), "--format", "json")
    assert completed.returncode == 1, completed.stderr
    data = json.loads(completed.stdout)
    assert data["score"] == 0 and "does not parse" in data["verdict"] and data["build"] is None


@pytest.mark.parametrize("case", ["missing dockerfile", "bad rubric", "unknown exercise", "unavailable base image",
                                  "missing context"])
def test_cli_exit_2_with_one_sentence_when_grading_cannot_happen(engine_ready, app_context, tmp_path, case):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.13-slim\nCMD [\"python\"]\n")
    args = [str(dockerfile), "--context", str(app_context)]
    if case == "missing dockerfile":
        args[0] = str(tmp_path / "nope" / "Dockerfile")
    elif case == "bad rubric":
        (tmp_path / "rubric.toml").write_text("[[checks]]\nid = \"no_such_check\"\n")
        args += ["--rubric", str(tmp_path / "rubric.toml")]
    elif case == "unknown exercise":
        args += ["--exercise", "no-such-exercise-anywhere"]
    elif case == "unavailable base image":
        dockerfile.write_text("FROM lpi-no-such-image:1.0\nCMD [\"python\"]\n")
    elif case == "missing context":
        args[2] = str(tmp_path / "no-such-folder")
    completed = cli(*args, "--format", "json", timeout=300)
    assert completed.returncode == 2, (completed.stdout, completed.stderr)
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lean-check grade: "), completed.stderr


def test_cli_exit_2_for_an_unpullable_copy_from_image_names_the_copy_line(engine_ready, app_context, tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.13-slim AS builder\nRUN true\nFROM python:3.13-slim\n"
                          "COPY --from=lpi-no-such-builder /x /x\nCMD [\"python\"]\n")
    completed = cli(str(dockerfile), "--context", str(app_context), "--format", "json", timeout=300)
    assert completed.returncode == 2, (completed.stdout, completed.stderr)
    assert "COPY --from=lpi-no-such-builder on line 4" in completed.stderr
    assert "FROM line" not in completed.stderr and "base image" not in completed.stderr


def test_cli_classroom_output_is_the_base64_payload_the_reporter_reads(graded, app_context):
    import base64

    completed = cli(str(FIXTURES / "build-error-fail.Dockerfile"), "--context", str(app_context), "--format", "classroom")
    payload = json.loads(base64.b64decode(completed.stdout.strip()))
    assert payload["status"] == "fail" and payload["max_score"] == 100
    assert sum(test["score"] for test in payload["tests"]) == 0


def buildkit_processes(needle: str) -> list[int]:
    """Host pids whose command line holds ``needle`` and that run under the BuildKit limits cgroup."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if needle in (proc / "cmdline").read_text() and "lean-python-images/buildkit" in (proc / "cgroup").read_text():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_when_the_grader_gets_sigterm_during_a_build_then_it_cancels_the_build_and_cleans_up(engine_ready, app_context,
                                                                                           docker_client):
    env = {**os.environ, "PYTHONPATH": str(REPO), "LPI_RUN_ID": f"test-sigterm-{os.getpid()}"}
    child = subprocess.Popen([sys.executable, "-m", "checker", "grade", str(FIXTURES / "slow-step-timeout.Dockerfile"),
                              "--context", str(app_context), "--quiet", "--no-keep"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sleepers():
        # The classic builder runs the step in an API container; BuildKit in a runc container of its
        # own, whose processes are under the checker's limits cgroup.
        return [c for c in docker_client.api.containers(all=True) if "sleep 300" in (c.get("Command") or "")] + \
            buildkit_processes("sleep\x00300")

    try:
        deadline = time.monotonic() + 120
        while not sleepers():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the slow step never started"
            time.sleep(0.3)
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, (out, err)
    for _ in range(50):
        if not sleepers():
            break
        time.sleep(0.2)
    assert not sleepers(), "the build's container outlived the grader"
    assert not engine.list_containers(f"{course_settings.LABEL_RUN}={env['LPI_RUN_ID']}")


def test_after_the_gradings_no_container_of_ours_remains(run_ids):
    assert run_ids, "no grading ran"
    for run_id in run_ids:
        assert not engine.list_containers(f"{course_settings.LABEL_RUN}={run_id}")


def test_containers_left_by_a_killed_grader_are_reaped_once_expired(engine_ready, docker_client):
    settings = course_settings.load()
    api = docker_client.api
    stale = engine.containers._create(settings.slim_image, command=["true"], entrypoint="", user=None, workdir=None,
                                      environment=None, labels={course_settings.LABEL_RUN: "test-reaper"},
                                      host_config=api.create_host_config(network_mode="none"), lifetime_s=-1)
    fresh = engine.containers._create(settings.slim_image, command=["true"], entrypoint="", user=None, workdir=None,
                                      environment=None, labels={course_settings.LABEL_RUN: "test-reaper"},
                                      host_config=api.create_host_config(network_mode="none"), lifetime_s=600)
    try:
        assert engine.reap_expired_containers() >= 1
        remaining = engine.list_containers(f"{course_settings.LABEL_RUN}=test-reaper")
        assert stale not in remaining and fresh in remaining
    finally:
        engine.remove_containers(f"{course_settings.LABEL_RUN}=test-reaper")


def test_with_keep_cache_off_the_graded_images_are_removed(engine_ready, app_context, run_ids, docker_client):
    report = grading.grade(FIXTURES / "prefix-install-pass.Dockerfile", context=app_context, keep_cache=False)
    run_ids.append(report.run_id)
    assert report.status == "passed", report.summary()
    repository = grading.repository_for(report.run_id)
    tags = [tag for image in docker_client.images.list() for tag in image.tags if tag.startswith(repository)]
    assert tags == []
    assert not docker_client.images.list(filters={"label": f"{course_settings.LABEL_RUN}={report.run_id}"})


def test_with_keep_cache_on_every_stage_of_the_graded_build_is_tagged_as_cache(graded, docker_client):
    report = graded("Dockerfile")
    repository = grading.repository_for(report.run_id)
    tags = sorted(tag for image in docker_client.images.list() for tag in image.tags if tag.startswith(repository + ":"))
    # The classic builder leaves the builder stage's image to keep as cache; BuildKit keeps its own cache.
    stages = [f"{repository}:stage-0"] if report.build.builder == "classic" else []
    assert tags == [f"{repository}:image", *stages]
    labels = docker_client.images.get(f"{repository}:image").labels
    assert labels[course_settings.LABEL_KEEP] == "cache" and labels[course_settings.LABEL_RUN] == report.run_id
