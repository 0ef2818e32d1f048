"""The foundation on the real engine: the engine answers and the base images are what they say."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from checker import engine, images
from checker import settings as course_settings

pytestmark = pytest.mark.docker
SETTINGS = course_settings.load()
REPO = Path(__file__).resolve().parents[2]


def run_in(docker_client, image: str, command: str) -> tuple[int, str]:
    container = docker_client.containers.create(
        image, ["sh", "-c", command], network_mode="none",
        labels={course_settings.LABEL_OWNER: course_settings.OWNER_VALUE},
    )
    try:
        container.start()
        status = container.wait(timeout=120)["StatusCode"]
        return status, container.logs().decode("utf-8", "replace")
    finally:
        container.remove(force=True)


def test_the_engine_answers_and_reports_its_version():
    info = engine.info()
    assert info.server_version and info.server_version != "?"
    assert info.storage_driver


@pytest.mark.parametrize("ref", [SETTINGS.slim_image, SETTINGS.full_image])
def test_each_base_image_has_the_promised_python(docker_client, ref):
    status, output = run_in(docker_client, ref, "python --version && python3 --version && pip --version")
    assert status == 0, output
    assert f"Python {SETTINGS.python_version}." in output
    assert "pip " in output


@pytest.mark.parametrize("ref", [SETTINGS.slim_image, SETTINGS.full_image])
def test_a_standin_says_what_it_is_in_its_labels_and_tag(docker_client, ref):
    described = images.describe(ref)
    if not described.standin:
        pytest.skip(f"{ref} is the official image here, not a stand-in")  # only on machines with a registry
    labels = engine.image_info(ref).labels
    assert "not the official Docker image" in labels["org.opencontainers.image.description"]
    real_version = labels["org.lean-python-images.python.version"]
    status, output = run_in(docker_client, ref, "python --version")
    assert output.strip() == f"Python {real_version}"
    assert real_version.startswith(SETTINGS.python_version + ".")


def test_the_slim_image_has_no_compiler_and_the_full_one_has(docker_client):
    status, _ = run_in(docker_client, SETTINGS.slim_image, "command -v gcc || command -v cc")
    assert status != 0, "the slim base image must not carry a compiler"
    status, output = run_in(docker_client, SETTINGS.full_image, "gcc --version && test -f /usr/include/postgresql/libpq-fe.h")
    assert status == 0, output


def test_the_slim_image_can_make_a_venv_and_keeps_no_apt_cache(docker_client):
    status, output = run_in(
        docker_client, SETTINGS.slim_image,
        "python -m venv /tmp/v && /tmp/v/bin/pip --version && test -z \"$(ls /var/lib/apt/lists | grep -v partial)\"",
    )
    assert status == 0, output


def test_standin_sizes_behave_like_the_official_images():
    slim = engine.image_info(SETTINGS.slim_image).size_bytes
    full = engine.image_info(SETTINGS.full_image).size_bytes
    assert slim <= 155e6, f"slim base is {slim/1e6:.0f} MB, over the 155 MB the official one is near"
    assert full >= 900e6, f"full base is {full/1e6:.0f} MB, far under the ~1 GB of the official one"


def test_a_tiny_multi_stage_dockerfile_builds_and_runs(tmp_path, docker_client):
    (tmp_path / "Dockerfile").write_text(
        "ARG PYTHON_VERSION=3.13\n"
        "FROM python:${PYTHON_VERSION}-slim AS builder\n"
        "RUN python -c \"open('/greeting','w').write('hello from the builder')\"\n"
        "FROM python:${PYTHON_VERSION}-slim\n"
        "COPY --from=builder /greeting /greeting\n"
        'CMD ["python", "-c", "print(open(\'/greeting\').read())"]\n'
    )
    tag = f"lpi-test/tiny-{uuid.uuid4().hex[:8]}:latest"
    result = engine.build(tmp_path, tag=tag, build_args=SETTINGS.build_args, timeout_s=300)
    try:
        assert result.ok, result.log
        assert [step.number for step in result.steps] == list(range(1, len(result.steps) + 1))
        output = docker_client.containers.run(tag, remove=True, network_mode="none")
        assert output.decode().strip() == "hello from the builder"
    finally:
        engine.remove_image(tag)


def test_images_command_run_twice_does_nothing_the_second_time():
    before = {ref: engine.image_info(ref).id for ref in (SETTINGS.slim_image, SETTINGS.full_image)}
    completed = subprocess.run([sys.executable, "-m", "checker", "images"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.count("nothing to do") == 2, completed.stdout
    assert "cannot be provisioned offline" in completed.stdout or "present" in completed.stdout.split("alpine")[-1]
    after = {ref: engine.image_info(ref).id for ref in before}
    assert before == after
