"""Plumbing for the robustness suite: run the real grader on hostile input and account for it.

Every hostile case runs ``python -m checker grade`` as a child process (the path a teacher and
``grade-class`` use), in its own session, with its own ``TMPDIR`` and its own run id, with fake
host secrets in its environment. Afterwards we look for what it may have left behind:

* containers, images, networks and volumes carrying its run label
  (``org.lean-python-images.run=<run id>``); images the grader keeps on purpose as build cache
  (``org.lean-python-images.keep``, tagged ``lpi-grade/<run>``) are counted apart and removed by
  the suite;
* on the private fault engine (nobody else uses it) *every* container, and every image that was
  not there before;
* processes of the grader's session, files left in its ``TMPDIR``;
* the host's data: a canary file outside the context, and the fake secrets, must not appear in
  the report, the output, the staged tar or the image.

Each outcome is recorded in :data:`FIGURES`; the terminal summary and ``bench/robustness.py``
print the totals.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RUBRIC = HERE / "rubric.toml"
APP = HERE / "app"

LABEL_OWNER = "org.lean-python-images.owner"
LABEL_RUN = "org.lean-python-images.run"
LABEL_KEEP = "org.lean-python-images.keep"

#: Text of the canary file that sits next to every hostile context, outside it.
CANARY = "lpi-canary-" + "7f3a9c1e5b" + "-host-file-must-never-leave"
#: Fake secrets put in the grader's environment; neither may reach a build or a container.
FAKE_PROXY_PASSWORD = "lpi-proxy-secret-" + "b81d"
FAKE_AWS_SECRET = "canary-aws-" + "0c5e2a9d41"
HOST_SECRETS = {
    "HTTPS_PROXY": f"http://user:{FAKE_PROXY_PASSWORD}@proxy.invalid:3128",
    "https_proxy": f"http://user:{FAKE_PROXY_PASSWORD}@proxy.invalid:3128",
    "AWS_SECRET_ACCESS_KEY": FAKE_AWS_SECRET,
}
LEAK_MARKERS = (CANARY, FAKE_PROXY_PASSWORD, FAKE_AWS_SECRET)

#: Short limits so the whole suite fits in minutes (a teacher's defaults are far longer).
FAST_LIMITS = {
    "LPI_BUILD_TIMEOUT": "25",
    "LPI_RUN_TIMEOUT": "12",
    "LPI_MEMORY_BYTES": str(256 * 1024 * 1024),
    "LPI_PIDS_LIMIT": "128",
    "LPI_CONTEXT_LIMIT": str(50 * 1024 * 1024),
    "LPI_CONTEXT_FILES": "5000",
    "LPI_LOG_LIMIT": str(256 * 1024),
}

FAULT_SOCKET = "/var/run/lpi-fault-docker.sock"
FAULT_HOST = f"unix://{FAULT_SOCKET}"


# ----------------------------------------------------------------------------------------------
# figures


@dataclass
class CaseRecord:
    name: str
    expected: str
    got: str
    as_expected: bool
    tracebacks: int = 0
    leftovers: int = 0
    leaked: int = 0
    seconds: float = 0.0
    deadline_s: float | None = None
    note: str = ""


@dataclass
class Figures:
    cases: list[CaseRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, record: CaseRecord) -> None:
        with self.lock:
            self.cases = [c for c in self.cases if c.name != record.name] + [record]

    def totals(self) -> dict:
        timed = [c for c in self.cases if c.deadline_s]
        longest = max(timed, key=lambda c: c.seconds / c.deadline_s, default=None)
        return {
            "cases_tried": len(self.cases),
            "verdicts_as_expected": sum(c.as_expected for c in self.cases),
            "tracebacks": sum(c.tracebacks for c in self.cases),
            "leftovers": sum(c.leftovers for c in self.cases),
            "host_data_leaked": sum(c.leaked for c in self.cases),
            "longest_case": None if longest is None else {
                "name": longest.name, "seconds": round(longest.seconds, 1), "deadline_s": longest.deadline_s,
            },
            "not_as_expected": [f"{c.name}: expected {c.expected}, got {c.got} {c.note}".strip()
                                for c in self.cases if not c.as_expected],
        }

    def write(self, path: Path) -> None:
        data = {"totals": self.totals(), "cases": [asdict(c) for c in sorted(self.cases, key=lambda c: c.name)]}
        path.write_text(json.dumps(data, indent=2))


FIGURES = Figures()


def format_totals(totals: dict) -> list[str]:
    longest = totals["longest_case"]
    lines = [
        f"cases tried:           {totals['cases_tried']}",
        f"verdicts as expected:  {totals['verdicts_as_expected']}",
        f"tracebacks:            {totals['tracebacks']} (must be 0)",
        f"leftovers:             {totals['leftovers']} (must be 0)",
        f"host data leaked:      {totals['host_data_leaked']} (must be 0)",
        "longest hostile case:  " + (f"{longest['name']}: the whole grade took {longest['seconds']} s (build, start and "
                                     f"clean-up included) against the {longest['deadline_s']} s limit it ran into"
                                     if longest else "n/a"),
    ]
    lines += [f"  not as expected: {line}" for line in totals["not_as_expected"]]
    return lines


# ----------------------------------------------------------------------------------------------
# the engine, seen from the tests


def client(docker_host: str | None = None):
    import docker

    if docker_host:
        return docker.DockerClient(base_url=docker_host, timeout=120)
    return docker.from_env(timeout=120)


@dataclass
class EngineObjects:
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    """Images with the run label that are not kept on purpose as cache."""
    kept_images: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.containers) + len(self.images) + len(self.networks) + len(self.volumes)

    def describe(self) -> str:
        parts = [f"{name}: {values}" for name, values in
                 (("containers", self.containers), ("images", self.images), ("networks", self.networks),
                  ("volumes", self.volumes)) if values]
        return "; ".join(parts) or "nothing"


def objects_of_run(run_id: str, docker_host: str | None = None) -> EngineObjects:
    api = client(docker_host).api
    label = f"{LABEL_RUN}={run_id}"
    found = EngineObjects()
    found.containers = [c["Id"][:12] for c in api.containers(all=True, filters={"label": label})]
    for image in api.images(filters={"label": label}):
        labels = image.get("Labels") or {}
        (found.kept_images if LABEL_KEEP in labels else found.images).append(image["Id"][7:19])
    found.networks = [n["Name"] for n in api.networks(filters={"label": label})]
    found.volumes = [v["Name"] for v in (api.volumes(filters={"label": label}).get("Volumes") or [])]
    return found


def remove_kept(run_id: str, docker_host: str | None = None) -> None:
    """Remove the images a grading kept as cache (the suite must leave the engine as it found it)."""
    api = client(docker_host).api
    for image in api.images(filters={"label": f"{LABEL_RUN}={run_id}"}):
        for tag in image.get("RepoTags") or []:
            if tag != "<none>:<none>":
                try:
                    api.remove_image(tag, force=True)
                except Exception:
                    pass
        try:
            api.remove_image(image["Id"], force=True)
        except Exception:
            pass


@dataclass
class EngineSnapshot:
    containers: set[str]
    images: set[str]
    networks: set[str]
    volumes: set[str]


def snapshot(docker_host: str) -> EngineSnapshot:
    """Everything on a private engine (the fault engine: only this suite uses it)."""
    api = client(docker_host).api
    return EngineSnapshot(
        containers={c["Id"] for c in api.containers(all=True)},
        images={i["Id"] for i in api.images(all=True)},
        networks={n["Name"] for n in api.networks()},  # ids of the default networks change on restart
        volumes={v["Name"] for v in (api.volumes().get("Volumes") or [])},
    )


def new_since(before: EngineSnapshot, docker_host: str, *, allow_kept: bool = True) -> list[str]:
    """What exists on the private engine now that did not before (kept cache images aside)."""
    api = client(docker_host).api
    after = snapshot(docker_host)
    extra = [f"container {c['Id'][:12]} ({c['Status']}: {c['Command'][:50]}, labels {sorted(c.get('Labels') or {})})"
             for c in api.containers(all=True)]  # no container should exist at all
    rows = api.images(all=True)
    parents = {row.get("ParentId") for row in rows}
    for image_id in after.images - before.images:
        try:
            inspected = api.inspect_image(image_id)
        except Exception:
            continue
        labels = (inspected.get("Config") or {}).get("Labels") or {}
        tags = inspected.get("RepoTags") or []
        if allow_kept and (LABEL_KEEP in labels or any(tag.startswith("lpi-grade/") for tag in tags)):
            continue
        if image_id in parents:
            continue  # an untagged step under a newer image: counted through the chain's leaf
        tags = api.inspect_image(image_id).get("RepoTags") or []
        extra.append(f"image {image_id[7:19]} {tags} {sorted(k for k in labels if 'lean-python' in k)}")
    extra += [f"network {n[:12]}" for n in after.networks - before.networks]
    extra += [f"volume {v}" for v in after.volumes - before.volumes]
    return extra


def purge_private_engine(docker_host: str, keep_images: set[str]) -> None:
    api = client(docker_host).api
    for c in api.containers(all=True):
        try:
            api.remove_container(c["Id"], force=True, v=True)
        except Exception:
            pass
    for image in api.images(all=True):
        if image["Id"] in keep_images:
            continue
        for tag in image.get("RepoTags") or []:
            if tag != "<none>:<none>":
                try:
                    api.remove_image(tag, force=True)
                except Exception:
                    pass
    try:
        api.prune_images(filters={"dangling": True})  # untagged leaves and their untagged parents
    except Exception:
        pass


# ----------------------------------------------------------------------------------------------
# running the grader


@dataclass
class GraderRun:
    argv: list[str]
    run_id: str
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    report: dict | None
    output_text: str
    """The --output file's text (JSON, JUnit or HTML), empty when none was written."""
    tmp_left: list[str]
    processes_left: list[int]
    timed_out: bool = False

    @property
    def all_text(self) -> str:
        return "\n".join((self.stdout, self.stderr, self.output_text))

    @property
    def tracebacks(self) -> int:
        return self.all_text.count("Traceback (most recent call last)")

    def leaked(self, extra: str = "") -> list[str]:
        text = self.all_text + extra
        return [marker for marker in LEAK_MARKERS if marker in text]

    def explain(self) -> str:
        report = self.report or {}
        return (f"exit {self.code} in {self.seconds:.1f}s\nverdict: {report.get('verdict')}\nerror: {report.get('error')}\n"
                f"stderr (tail): {self.stderr[-1500:]}\nstdout (tail): {self.stdout[-800:]}")


def _session_processes(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == pgid:  # pgrp
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def run_grader(
    dockerfile: Path | str,
    context: Path | str | None,
    *,
    work: Path,
    fmt: str = "json",
    env: dict[str, str] | None = None,
    docker_host: str | None = None,
    timeout_s: float = 240,
    during: Callable[[subprocess.Popen], None] | None = None,
    extra_args: list[str] | None = None,
    tmpdir: Path | None = None,
    run_id: str | None = None,
) -> GraderRun:
    """Run ``python -m checker grade`` once; ``during(child)`` runs while it works (a fault to inject)."""
    run_id = run_id or f"lpi-rob-{uuid.uuid4().hex[:10]}"
    work.mkdir(parents=True, exist_ok=True)
    tmp = tmpdir or Path(tempfile.mkdtemp(prefix="tmp-", dir=work))
    tmp.mkdir(parents=True, exist_ok=True)
    output = work / f"report.{ {'json': 'json', 'junit': 'xml', 'html': 'html'}.get(fmt, 'txt') }"
    if output.exists():
        output.unlink()
    argv = [sys.executable, "-m", "checker", "grade", str(dockerfile)]
    if context is not None:
        argv += ["--context", str(context)]
    argv += ["--rubric", str(RUBRIC), "--format", fmt, "--output", str(output)] + list(extra_args or [])
    child_env = {key: value for key, value in os.environ.items() if not key.startswith("LPI_")}
    child_env.update(FAST_LIMITS)
    child_env.update(HOST_SECRETS)
    child_env.update({"LPI_RUN_ID": run_id, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
    if docker_host:
        child_env["DOCKER_HOST"] = docker_host
    child_env.update(env or {})
    started = time.monotonic()
    out_file = work / "stdout.txt"
    err_file = work / "stderr.txt"
    with open(out_file, "wb") as out, open(err_file, "wb") as err:
        child = subprocess.Popen(argv, cwd=str(ROOT), env=child_env, stdout=out, stderr=err, start_new_session=True)
        timed_out = False
        if during is not None:
            during(child)
        try:
            code = child.wait(timeout=max(1.0, timeout_s - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(child.pid, signal.SIGKILL)
            code = child.wait()
    seconds = time.monotonic() - started
    time.sleep(0.3)
    left = _session_processes(child.pid)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    report = None
    output_text = output.read_text(errors="replace") if output.exists() else ""
    if fmt == "json" and output_text:
        try:
            report = json.loads(output_text)
        except ValueError:
            report = None
    tmp_left = [str(p.relative_to(tmp)) for p in tmp.rglob("*")]
    return GraderRun(argv, run_id, code, out_file.read_text(errors="replace"), err_file.read_text(errors="replace"),
                     seconds, report, output_text, tmp_left, left, timed_out)


def wait_for(predicate: Callable[[], bool], timeout_s: float, child: subprocess.Popen | None = None) -> bool:
    """Poll ``predicate`` every 0.1 s until it holds (True) or the time is up or the child ended (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        if child is not None and child.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def running_containers(docker_host: str, label: str | None = None) -> list[str]:
    try:
        filters = {"label": label} if label else {}
        return [c["Id"] for c in client(docker_host).api.containers(filters=filters)]
    except Exception:
        return []


def one_sentence(text: str) -> bool:
    """A short, human error: no traceback, not empty, not a wall of text."""
    text = text.strip()
    return bool(text) and "Traceback" not in text and len(text) < 1200


# ----------------------------------------------------------------------------------------------
# building hostile inputs


def good_dockerfile(extra: str = "") -> str:
    return (
        "FROM python:3.13-slim\n"
        "WORKDIR /srv\n"
        "COPY health ./health\n"
        f"{extra}"
        'CMD ["python", "-m", "http.server", "8000"]\n'
    )


def make_context(root: Path, dockerfile: str | bytes | None = None, files: dict[str, str | bytes] | None = None) -> Path:
    """A submission folder ``root/ctx`` holding a ``health`` file, with ``root/canary.txt`` outside."""
    ctx = root / "ctx"
    ctx.mkdir(parents=True, exist_ok=True)
    (root / "canary.txt").write_text(CANARY + "\n")
    (ctx / "health").write_text("ok\n")
    for name, content in (files or {}).items():
        path = ctx / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    if dockerfile is not None:
        if isinstance(dockerfile, bytes):
            (ctx / "Dockerfile").write_bytes(dockerfile)
        else:
            (ctx / "Dockerfile").write_text(dockerfile)
    return ctx


def host_pid_count() -> int:
    return sum(1 for entry in Path("/proc").iterdir() if entry.name.isdigit())


#: Extra host processes a hostile case may cause at its peak. A fork bomb gets a few hundred ms
#: before the pids limit reaches its build container (measured peaks: about 2000); the host's
#: pid_max here is 32768.
PID_HEADROOM = 8000


class PidSampler:
    """Samples the host's process count every 50 ms in a thread; ``stop()`` returns the peak."""

    def __init__(self) -> None:
        self.peak = host_pid_count()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, host_pid_count())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# ----------------------------------------------------------------------------------------------
# the private fault engine


class FaultEngine:
    """A second dockerd that only this suite uses, so it can be stopped and restarted at will.

    It gets its own bridge (``lpifault0``, 10.213.7.1/24) instead of ``--bridge=none``: a daemon
    started with ``--bridge=none`` *deletes the host's docker0 interface* on start-up
    (libnetwork's removeDefaultBridgeInterface), which breaks every container on the main engine.
    With its own bridge, containers on it can also be health-checked.
    """

    data_root = Path("/var/lib/lpi-fault-docker")
    exec_root = Path("/var/run/lpi-fault-docker")
    pidfile = Path("/var/run/lpi-fault-docker.pid")
    log = Path("/var/tmp/lpi-fault-cache/dockerd.log")
    image_cache = Path("/var/tmp/lpi-fault-cache/python-3.13-slim.tar")
    bridge = "lpifault0"
    bridge_cidr = "10.213.7.1/24"

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return FAULT_HOST

    def _ip(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", *args], capture_output=True, text=True)

    def _ensure_bridge(self) -> None:
        if self._ip("link", "show", self.bridge).returncode != 0:
            self._ip("link", "add", self.bridge, "type", "bridge")
            self._ip("addr", "add", self.bridge_cidr, "dev", self.bridge)
        self._ip("link", "set", self.bridge, "up")

    def answers(self) -> bool:
        try:
            client(self.host).ping()
            return True
        except Exception:
            return False

    def start(self, wait_s: float = 60) -> None:
        ensure_docker0()
        self._ensure_bridge()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                ["dockerd", "--iptables=false", f"--bridge={self.bridge}", "--data-root", str(self.data_root),
                 "--exec-root", str(self.exec_root), "--pidfile", str(self.pidfile), "-H", self.host],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.answers():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise RuntimeError(f"the fault dockerd did not answer; see {self.log}")

    def stop(self, wait_s: float = 30) -> None:
        """SIGTERM the daemon (as the brief's fault does), wait for it to go."""
        if self.process is None or self.process.poll() is not None:
            self.process = None
            try:  # started by an earlier session: find it by its pidfile
                pid = int(self.pidfile.read_text().strip())
                if "lpi-fault-docker" not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                    return
                os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                return
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                time.sleep(0.2)
            return
        self.process.terminate()
        try:
            self.process.wait(wait_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def ensure_base_image(self) -> None:
        api = client(self.host).api
        if any("python:3.13-slim" in (i.get("RepoTags") or []) for i in api.images()):
            return
        if not self.image_cache.is_file():
            self.image_cache.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["docker", "save", "python:3.13-slim", "-o", str(self.image_cache)], check=True,
                           env={**os.environ, "DOCKER_HOST": "unix:///var/run/docker.sock"})
        subprocess.run(["docker", "load", "-q", "-i", str(self.image_cache)], check=True, capture_output=True,
                       env={**os.environ, "DOCKER_HOST": self.host})

    def destroy(self) -> None:
        """Stop the daemon and remove its folders and its bridge (the saved image stays as cache)."""
        self.stop()
        roots = {str(self.exec_root.resolve()), str(self.data_root.resolve())}
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for mount in sorted((m for m in mounts if any(m == r or m.startswith(r + "/") for r in roots)),
                            key=len, reverse=True):  # netns/default is an nsfs mount
            subprocess.run(["umount", "-l", mount], capture_output=True)
        for path in (self.data_root, self.exec_root):
            subprocess.run(["rm", "-rf", "--one-file-system", str(path)], capture_output=True)
        self.pidfile.unlink(missing_ok=True)
        self._ip("link", "delete", self.bridge)


def ensure_docker0() -> None:
    """Recreate the main engine's docker0 if a ``--bridge=none`` daemon deleted it."""
    if subprocess.run(["ip", "link", "show", "docker0"], capture_output=True).returncode == 0:
        return
    try:
        config = client().api.inspect_network("bridge")["IPAM"]["Config"][0]
        subnet = config["Subnet"]
        gateway = config.get("Gateway") or subnet.rsplit(".", 2)[0] + ".0.1"
        prefix = subnet.split("/")[1]
    except Exception:
        gateway, prefix = "172.17.0.1", "16"
    subprocess.run(["ip", "link", "add", "docker0", "type", "bridge"], capture_output=True)
    subprocess.run(["ip", "addr", "add", f"{gateway}/{prefix}", "dev", "docker0"], capture_output=True)
    subprocess.run(["ip", "link", "set", "docker0", "up"], capture_output=True)
