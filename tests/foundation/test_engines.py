"""The engines beside the default one: `python -m checker engines up|down` on the real machine.

These tests start, crash and stop the private modern engines (never the host's). They need root
and Debian's mirror; when the modern engine cannot be had they FAIL with the reason, never skip.
Each test that stops the engines leaves them up again for the tests after it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from checker import modern_engines
from checker import settings as course_settings
from checker.modern_engines import daemon, fetch, unixhttp

REPO = Path(__file__).resolve().parents[2]
SETTINGS = course_settings.load()
SPECS = {spec.name: spec for spec in daemon.SPECS}
OWNER_LABEL = f"{course_settings.LABEL_OWNER}={course_settings.OWNER_VALUE}"


def engines_command(action: str, *extra: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    """Run ``python -m checker engines ACTION`` from the repository, as the set-up does."""
    return subprocess.run([sys.executable, "-m", "checker", "engines", action, *extra], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def listed(completed: subprocess.CompletedProcess) -> dict[str, str]:
    """The ``NAME DOCKER_HOST`` lines of ``engines up``/``list`` as a dict."""
    return dict(line.split(" ", 1) for line in completed.stdout.splitlines() if line.strip())


def bring_up() -> dict[str, str]:
    """``engines up``; fails the test (with what it said) when the modern engines cannot be had."""
    completed = engines_command("up")
    if completed.returncode != 0 or not {"modern-containerd", "modern-overlay2"} <= set(listed(completed)):
        pytest.fail(f"`python -m checker engines up` could not provide the modern engines (exit {completed.returncode}): "
                    f"{completed.stderr.strip()[-1500:]}")
    return listed(completed)


@pytest.fixture(scope="module")
def engines() -> dict[str, str]:
    """Every engine, up: name -> DOCKER_HOST."""
    return bring_up()


def docker(host: str, *args: str, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """The docker CLI on PATH against ``host``."""
    return subprocess.run(["docker", "-H", host, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


# --- without an engine ---------------------------------------------------------------------------

def test_when_the_mirror_cannot_be_reached_then_one_sentence_names_the_package_and_the_suite(tmp_path):
    with pytest.raises(fetch.FetchError) as raised:
        fetch.ensure(tmp_path, mirror="http://127.0.0.1:9/debian", progress=lambda line: None)
    message = str(raised.value)
    assert len(message.splitlines()) == 1
    assert "package docker.io" in message and "Debian trixie" in message and "127.0.0.1:9" in message


def test_each_modern_engine_has_its_own_socket_bridge_namespace_and_cgroup():
    bundle = fetch.Bundle("sid", Path("/p"), {}, "2.34")
    configs = [daemon.daemon_config(spec, bundle) for spec in daemon.SPECS]
    for key in ("hosts", "data-root", "exec-root", "pidfile", "bridge",
                "containerd-namespace", "cgroup-parent"):
        values = [json.dumps(config[key]) for config in configs]
        assert len(set(values)) == len(values), key
    for config in configs:
        assert config["iptables"] is False and config["ip-forward"] is False
        assert config["bridge"] != "docker0"
        assert config["userland-proxy-path"].startswith("/p/")
    assert [config["features"]["containerd-snapshotter"] for config in configs] == [True, False]
    assert configs[1]["storage-driver"] == "overlay2"


def test_the_image_store_is_read_from_the_engines_own_info():
    assert daemon.image_store({"Driver": "overlayfs", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}) == "containerd"
    assert daemon.image_store({"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]]}) == "overlay2"


def test_a_docker_host_naming_a_modern_engine_is_not_taken_for_the_default(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", SPECS["modern-containerd"].docker_host)
    assert modern_engines.default_docker_host() == modern_engines.DEFAULT_SOCKET
    monkeypatch.setenv("DOCKER_HOST", "unix:///elsewhere.sock")
    assert modern_engines.default_docker_host() == "unix:///elsewhere.sock"


def test_the_engine_manager_never_imports_the_docker_package():
    probe = "import sys, checker.modern_engines, checker.commands.engines; print('docker' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert completed.stdout.strip() == "False", completed.stderr


# --- on the real machine -------------------------------------------------------------------------

docker_mark = pytest.mark.docker


@docker_mark
def test_up_lists_the_default_engine_and_both_modern_ones(engines):
    assert list(engines) == ["default", "modern-containerd", "modern-overlay2"]
    assert engines["modern-containerd"] == "unix:///run/lean-python-images/modern-containerd.sock"
    assert engines["modern-overlay2"] == "unix:///run/lean-python-images/modern-overlay2.sock"
    assert unixhttp.answers(engines["default"])


@docker_mark
@pytest.mark.parametrize("name, store", [("modern-containerd", "containerd"), ("modern-overlay2", "overlay2")])
def test_each_modern_engine_answers_version_with_the_expected_image_store(engines, name, store):
    version = unixhttp.get_json(engines[name], "/version")
    info = unixhttp.get_json(engines[name], "/info")
    assert int(version["Version"].split(".")[0]) >= fetch.MIN_DOCKER_MAJOR or fetch.load(modern_engines.prefix()).suite == fetch.FALLBACK_SUITE
    assert daemon.image_store(info) == store
    bundle = fetch.load(modern_engines.prefix())
    assert fetch._version_key(bundle.glibc_needed) <= fetch._version_key(fetch.host_glibc())
    if store == "containerd":
        assert ["driver-type", "io.containerd.snapshotter.v1"] in info["DriverStatus"]
    else:
        assert info["Driver"] == "overlay2"
    components = {component["Name"]: component["Version"] for component in version.get("Components", [])}
    host_runc = subprocess.run(["runc", "--version"], capture_output=True, text=True).stdout.split()[2]
    assert components["runc"] == host_runc, "the host's runc is used (sid's needs a newer glibc)"
    default_info = unixhttp.get_json(engines["default"], "/info")
    assert info["ID"] != default_info["ID"]


@docker_mark
@pytest.mark.parametrize("name", ["modern-containerd", "modern-overlay2"])
def test_the_base_images_are_on_each_modern_engine_with_the_same_layers(engines, name):
    for ref in (SETTINGS.slim_image, SETTINGS.full_image, f"debian:{SETTINGS.debian_suite}-slim"):
        source = json.loads(docker(engines["default"], "image", "inspect", ref).stdout)[0]
        copied = docker(engines[name], "image", "inspect", ref)
        assert copied.returncode == 0, f"{ref} is missing on {name}: {copied.stderr}"
        assert json.loads(copied.stdout)[0]["RootFS"]["Layers"] == source["RootFS"]["Layers"]


@docker_mark
@pytest.mark.parametrize("name", ["modern-containerd", "modern-overlay2"])
def test_a_port_published_on_loopback_answers(engines, name):
    host = engines[name]
    started = docker(host, "run", "-d", "--label", OWNER_LABEL, "-p", "127.0.0.1::8000",
                     SETTINGS.slim_image, "python", "-m", "http.server", "8000")
    assert started.returncode == 0, started.stderr
    container = started.stdout.strip()
    try:
        address = docker(host, "port", container, "8000/tcp").stdout.splitlines()[0]
        assert address.startswith("127.0.0.1:")
        status = None
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://{address}/", timeout=2) as response:
                    status = response.status
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200
    finally:
        docker(host, "rm", "-f", container)


@docker_mark
@pytest.mark.parametrize("name", ["modern-containerd", "modern-overlay2"])
@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_a_build_with_host_networking_reaches_pypi(engines, name, builder, tmp_path):
    host = engines[name]
    (tmp_path / "Dockerfile").write_text(
        f"FROM {SETTINGS.slim_image}\n"
        f"RUN echo {uuid.uuid4().hex} && pip install --no-cache-dir six==1.17.0 && python -c 'import six'\n"
    )
    tag = f"lpi-engines-test/pip:{uuid.uuid4().hex[:12]}"
    bundle = fetch.load(modern_engines.prefix())
    if builder == "classic":
        command = ["docker", "-H", host, "build"]
        env = {**os.environ, "DOCKER_BUILDKIT": "0"}
    else:
        # The bundle's CLI with its buildx plugin: BuildKit, as a learner's `docker build` uses.
        config = tmp_path / "docker-config"
        config.mkdir()
        (config / "config.json").write_text(json.dumps({"cliPluginsExtraDirs": [str(bundle.root / "usr/libexec/docker/cli-plugins")]}))
        command = [str(bundle.docker_cli), "-H", host, "buildx", "build", "--progress", "plain", "--load"]
        env = {**os.environ, "DOCKER_CONFIG": str(config)}
    built = subprocess.run([*command, "--network", "host", "--label", OWNER_LABEL, "-t", tag, str(tmp_path)],
                           capture_output=True, text=True, timeout=600, env=env)
    try:
        assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    finally:
        docker(host, "rmi", "-f", tag)


@docker_mark
def test_up_twice_changes_nothing(engines):
    pids = {name: daemon._pid_from_file(spec.pidfile) for name, spec in SPECS.items()}
    started = time.monotonic()
    again = engines_command("up")
    assert again.returncode == 0, again.stderr
    assert listed(again) == engines
    assert time.monotonic() - started < 30
    assert "copied" not in again.stderr and "started" not in again.stderr
    assert {name: daemon._pid_from_file(spec.pidfile) for name, spec in SPECS.items()} == pids


DOCKER0_AT_START = daemon.bridge_exists("docker0")


def host_engine_untouched(default_host: str) -> None:
    """The host's engine still answers and its docker0 bridge is as it was."""
    assert unixhttp.answers(default_host)
    assert daemon.bridge_exists("docker0") == DOCKER0_AT_START


def start_sleeper(spec: daemon.EngineSpec, created: list[tuple[str, str]]) -> None:
    """Start a long-running container on the engine and register it for removal."""
    started = docker(spec.docker_host, "run", "-d", "--label", OWNER_LABEL, SETTINGS.slim_image, "sleep", "600")
    assert started.returncode == 0, started.stderr
    created.append((spec.docker_host, started.stdout.strip()))


@pytest.fixture
def created_containers():
    """A registry of (DOCKER_HOST, container id) the test created; removed once the engines are back up."""
    created: list[tuple[str, str]] = []
    yield created
    for host, container in created:
        docker(host, "rm", "-f", container)


@docker_mark
def test_down_leaves_no_process_mount_bridge_or_socket(engines, created_containers):
    for spec in SPECS.values():
        start_sleeper(spec, created_containers)
    try:
        stopped = engines_command("down")
        assert stopped.returncode == 0, stopped.stderr
        for spec in SPECS.values():
            assert daemon.leftovers(spec) == []
            assert not any(spec.name in line for line in Path("/proc/self/mountinfo").read_text().splitlines())
        assert set(listed(engines_command("list"))) == {"default"}
        host_engine_untouched(engines["default"])
    finally:
        bring_up()


@docker_mark
def test_down_after_dockerd_is_killed_still_cleans_up(engines, created_containers):
    spec = SPECS["modern-containerd"]
    start_sleeper(spec, created_containers)
    shim_sockets = daemon.shim_sockets(spec)
    assert shim_sockets, "a running container has a shim socket"
    os.kill(daemon._pid_from_file(spec.pidfile), signal.SIGKILL)
    time.sleep(1)
    assert not unixhttp.answers(spec.docker_host)
    assert daemon.leftovers(spec), "a killed engine leaves remains for down to clean"
    try:
        stopped = engines_command("down")
        assert stopped.returncode == 0, stopped.stderr
        assert daemon.leftovers(spec) == []
        assert not any(path.exists() for path in shim_sockets)
        host_engine_untouched(engines["default"])
    finally:
        bring_up()


@docker_mark
def test_restarting_the_modern_engines_on_their_old_data_keeps_the_hosts_docker0(engines):
    # A dockerd with default-address-pools deletes `docker0` when it restarts on an old data-root.
    before = daemon._host_bridge_snapshot()
    try:
        assert engines_command("down").returncode == 0
        bring_up()
        assert daemon._host_bridge_snapshot() == before
        host_engine_untouched(engines["default"])
    finally:
        bring_up()
