"""Start and stop one private dockerd: its files, bridge, cgroup and mount namespace.

Each engine gets its own data-root, exec-root, pid file, socket, dockerd-managed containerd (with
its own socket under the exec-root and its own namespace), bridge and cgroup, and
runs in a private mount namespace (``unshare -m --propagation private``), so none of its overlay
mounts appear in the host's namespace and the host's engine and ``docker0`` stay untouched.

The cgroup is what makes ``down`` reliable after a crash: dockerd starts in
``<cgroup>/lean-python-images/<name>/daemon`` and its containers go under ``.../containers``
(``--cgroup-parent``), so every process the engine ever started is found there and killed, and the
mount namespace dies with its last process, taking every mount with it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import unixhttp
from .fetch import Bundle

#: Engine files that persist across ``down`` (data-root: images stay, so ``up`` is quick again).
STATE_DIR = Path(os.environ.get("LPI_ENGINES_DIR", "/var/lib/lean-python-images/engines"))
#: Engine files that live only while it runs: sockets, pid files, exec-roots.
RUN_DIR = Path(os.environ.get("LPI_ENGINES_RUN", "/run/lean-python-images"))
#: The cgroup subtree (under each hierarchy's root) that holds every engine's processes.
CGROUP_GROUP = "lean-python-images"
#: Seconds to wait for a new dockerd to answer ``/_ping``.
START_TIMEOUT_S = 90.0
#: Seconds dockerd may take to stop its containers on SIGTERM before everything is killed.
SHUTDOWN_TIMEOUT_S = 5


class EngineStartError(RuntimeError):
    """A private dockerd did not start, or started with the wrong image store; the message says why."""


@dataclass(frozen=True)
class EngineSpec:
    """One private engine: its name, its image store and its network."""

    name: str
    """``modern-containerd`` or ``modern-overlay2``; also names its files and its cgroup."""
    containerd_snapshotter: bool
    """True: ``features.containerd-snapshotter`` (the containerd image store); False: overlay2 graph driver."""
    bridge: str
    """The bridge interface this engine's default network uses (created here with iproute2)."""
    subnet_index: int
    """Preferred third octet of the bridge's ``10.213.N.0/24``; the next free one is used on a clash."""

    @property
    def expected_store(self) -> str:
        """The image store ``/info`` should report: ``containerd`` or ``overlay2``."""
        return "containerd" if self.containerd_snapshotter else "overlay2"

    @property
    def docker_host(self) -> str:
        """The engine's DOCKER_HOST: ``unix:///run/lean-python-images/<name>.sock``."""
        return f"unix://{self.socket}"

    @property
    def socket(self) -> Path:
        """The engine's API socket file."""
        return RUN_DIR / f"{self.name}.sock"

    @property
    def pidfile(self) -> Path:
        """dockerd's pid file."""
        return RUN_DIR / f"{self.name}.pid"

    @property
    def exec_root(self) -> Path:
        """dockerd's exec-root (containerd's socket and state live under it)."""
        return RUN_DIR / self.name

    @property
    def home(self) -> Path:
        """Persistent files: ``data`` (data-root), ``daemon.json``, ``dockerd.log``."""
        return STATE_DIR / self.name

    @property
    def log(self) -> Path:
        """dockerd's (and its containerd's) log, appended to on every start."""
        return self.home / "dockerd.log"

    @property
    def cgroup(self) -> str:
        """The engine's cgroup path under each hierarchy: ``lean-python-images/<name>``."""
        return f"{CGROUP_GROUP}/{self.name}"


SPECS: tuple[EngineSpec, ...] = (
    EngineSpec("modern-containerd", True, "lpi-mcontainerd", 1),
    EngineSpec("modern-overlay2", False, "lpi-moverlay2", 2),
)


def image_store(info: dict) -> str:
    """The image store an engine's ``/info`` describes: ``containerd`` or its graph driver (``overlay2``).

    The containerd store shows as ``DriverStatus`` ``[["driver-type", "io.containerd.snapshotter.v1"]]``
    (its ``Driver`` is then the snapshotter, ``overlayfs``).
    """
    for key, value in info.get("DriverStatus") or []:
        if key == "driver-type" and "containerd.snapshotter" in value:
            return "containerd"
    return info.get("Driver") or "unknown"


# --- processes and cgroups -------------------------------------------------------------------

def _cgroup_roots() -> list[Path]:
    """Every cgroup hierarchy's root: ``/sys/fs/cgroup`` on cgroup v2, each v1 controller otherwise."""
    base = Path("/sys/fs/cgroup")
    if (base / "cgroup.controllers").exists():
        return [base]
    return [path for path in sorted(base.iterdir()) if path.is_dir() and (path / "cgroup.procs").exists()]


def _tracking_root() -> Path | None:
    """The hierarchy whose tree is used to find an engine's processes (v2, else v1 ``pids``)."""
    roots = _cgroup_roots()
    for root in roots:
        if root.name in ("cgroup", "pids"):
            return root
    return None


def _pids_in(tree: Path) -> set[int]:
    """Every process id in the cgroup ``tree`` and below it (empty when it does not exist)."""
    pids: set[int] = set()
    if not tree.is_dir():
        return pids
    for procs in tree.rglob("cgroup.procs"):
        try:
            pids.update(int(line) for line in procs.read_text().split())
        except OSError:
            continue  # removed while reading
    return pids


def engine_pids(spec: EngineSpec) -> set[int]:
    """Every live process of the engine (dockerd, containerd, shims, containers), from its cgroup."""
    root = _tracking_root()
    pids = _pids_in(root / spec.cgroup) if root else set()
    pid = _pid_from_file(spec.pidfile)
    if pid and _alive(pid):
        pids.add(pid)
    return pids


def _pid_from_file(path: Path) -> int | None:
    """The pid in ``path``, or None when it is missing or garbage."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """True when ``pid`` is a live process (not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _kill_all(spec: EngineSpec, *, timeout_s: float = 15.0) -> None:
    """SIGKILL every process of the engine until none is left (or ``timeout_s`` seconds pass)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pids = engine_pids(spec)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)


def _remove_cgroups(spec: EngineSpec) -> None:
    """Remove the engine's (now empty) cgroups in every hierarchy, deepest first."""
    for root in _cgroup_roots():
        tree = root / spec.cgroup
        if not tree.is_dir():
            continue
        for directory in sorted((p for p in tree.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            _rmdir_quietly(directory)
        _rmdir_quietly(tree)
        _rmdir_quietly(tree.parent)  # the shared group, once no engine is left in it


def _rmdir_quietly(directory: Path) -> None:
    """``rmdir`` a cgroup directory; a busy or already removed one is left alone."""
    try:
        directory.rmdir()
    except OSError:
        pass


def _host_mounts_under(paths: list[Path]) -> list[str]:
    """Mount points in the host's (our) mount namespace under any of ``paths``, deepest first."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == str(path) or point.startswith(f"{path}/") for path in paths):
            found.append(point)
    return sorted(found, key=len, reverse=True)


# --- network ---------------------------------------------------------------------------------

def _ip_json(*args: str) -> list[dict]:
    """``ip -j ARGS`` decoded (a list of objects; empty on failure)."""
    result = subprocess.run(["ip", "-j", *args], capture_output=True, text=True)
    try:
        return json.loads(result.stdout or "[]")
    except ValueError:
        return []


def bridge_exists(name: str) -> bool:
    """True when a network interface called ``name`` exists."""
    return Path(f"/sys/class/net/{name}").exists()


def _bridge_subnet(spec: EngineSpec) -> ipaddress.IPv4Interface:
    """The bridge's address: its current one, else ``10.213.N.1/24`` with the first N that no route uses."""
    for entry in _ip_json("addr", "show", "dev", spec.bridge) if bridge_exists(spec.bridge) else []:
        for address in entry.get("addr_info", []):
            if address.get("family") == "inet":
                return ipaddress.IPv4Interface(f"{address['local']}/{address['prefixlen']}")
    taken = []
    for route in _ip_json("route", "show"):
        destination = route.get("dst", "")
        if destination and destination != "default":
            taken.append(ipaddress.ip_network(destination if "/" in destination else f"{destination}/32", strict=False))
    for index in list(range(spec.subnet_index, 255)) + list(range(1, spec.subnet_index)):
        network = ipaddress.ip_network(f"10.213.{index}.0/24")
        if not any(network.overlaps(other) for other in taken):
            return ipaddress.IPv4Interface(f"10.213.{index}.1/24")
    raise EngineStartError("no free 10.213.N.0/24 subnet is left for the engine's bridge")


def _ensure_bridge(spec: EngineSpec) -> None:
    """Create the engine's bridge with its own subnet and bring it up; an existing one is kept."""
    address = _bridge_subnet(spec)
    commands = []
    if not bridge_exists(spec.bridge):
        commands.append(["ip", "link", "add", spec.bridge, "type", "bridge"])
        commands.append(["ip", "addr", "add", str(address), "dev", spec.bridge])
    commands.append(["ip", "link", "set", spec.bridge, "up"])
    for command in commands:
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise EngineStartError(f"`{' '.join(command)}` failed: {result.stderr.strip()}")


def _remove_bridge(spec: EngineSpec) -> None:
    """Delete the engine's bridge (its veths go with it)."""
    if bridge_exists(spec.bridge):
        subprocess.run(["ip", "link", "delete", spec.bridge], capture_output=True)


#: The host engine's bridge, which a private engine must never touch.
HOST_BRIDGE = "docker0"


def _host_bridge_snapshot() -> dict | None:
    """``docker0``'s MAC and IPv4 address (``{"mac": ..., "address": "172.17.0.1/16"}``), or None when absent."""
    for entry in _ip_json("addr", "show", "dev", HOST_BRIDGE) if bridge_exists(HOST_BRIDGE) else []:
        for address in entry.get("addr_info", []):
            if address.get("family") == "inet":
                return {"mac": entry.get("address"), "address": f"{address['local']}/{address['prefixlen']}"}
    return None


def _restore_host_bridge(snapshot: dict) -> None:
    """Re-create ``docker0`` as it was; the host's dockerd finds it by name for new containers."""
    for command in (["ip", "link", "add", HOST_BRIDGE, "type", "bridge"],
                    ["ip", "link", "set", HOST_BRIDGE, "address", snapshot["mac"]],
                    ["ip", "addr", "add", snapshot["address"], "dev", HOST_BRIDGE],
                    ["ip", "link", "set", HOST_BRIDGE, "up"]):
        subprocess.run(command, capture_output=True)


# --- start and stop --------------------------------------------------------------------------

def daemon_config(spec: EngineSpec, bundle: Bundle) -> dict:
    """The ``daemon.json`` of the engine (a JSON-ready dict): every path and choice is its own.

    Deliberately without ``default-address-pools``: a dockerd that has them and finds its old
    default network in its data-root deletes the interface named ``docker0`` at start (moby's
    ``removeDefaultBridgeInterface``), which is the HOST engine's bridge. Without them, its
    user-defined networks come from Docker's default pools, skipping subnets already routed.
    """
    config = {
        "hosts": [spec.docker_host],
        "data-root": str(spec.home / "data"),
        "exec-root": str(spec.exec_root),
        "pidfile": str(spec.pidfile),
        "containerd-namespace": f"lpi-{spec.name}",
        "containerd-plugins-namespace": f"lpi-{spec.name}-plugins",
        "cgroup-parent": f"/{spec.cgroup}/containers",
        # No iptables rights here, and the host's rules are not ours to touch: published ports go
        # through docker-proxy, and builds use the host's network (LPI_BUILD_NETWORK=host).
        "iptables": False,
        "ip6tables": False,
        "ip-forward": False,
        "ip-masq": False,
        "bridge": spec.bridge,
        "userland-proxy": True,
        "userland-proxy-path": str(bundle.root / "usr/sbin/docker-proxy"),
        "features": {"containerd-snapshotter": spec.containerd_snapshotter},
        "shutdown-timeout": SHUTDOWN_TIMEOUT_S,
    }
    if not spec.containerd_snapshotter:
        config["storage-driver"] = "overlay2"
    init = bundle.root / "usr/bin/tini-static"
    if init.exists():
        config["init-path"] = str(init)
    return config


def is_up(spec: EngineSpec) -> bool:
    """True when the engine's socket answers ``/_ping``."""
    return unixhttp.answers(spec.docker_host)


def start(spec: EngineSpec, bundle: Bundle) -> float:
    """Start the engine and wait until it answers with the expected image store; returns the seconds it took.

    Cleans up the remains of an earlier crash first. Raises :class:`EngineStartError` (with the
    log's tail) when dockerd exits or does not answer within :data:`START_TIMEOUT_S` seconds, or
    when ``/info`` reports another image store than the spec asks for.
    """
    stop(spec)  # stale pid file, dead dockerd, live orphans, left mounts: start from nothing
    for directory in (spec.home / "data", RUN_DIR):
        directory.mkdir(parents=True, exist_ok=True)
    _ensure_bridge(spec)
    host_bridge = _host_bridge_snapshot()
    config_file = spec.home / "daemon.json"
    config_file.write_text(json.dumps(daemon_config(spec, bundle), indent=1) + "\n")
    procs = ""
    tracking = _tracking_root()
    if tracking is not None:
        daemon_group = tracking / spec.cgroup / "daemon"
        daemon_group.mkdir(parents=True, exist_ok=True)
        procs = str(daemon_group / "cgroup.procs")
    env = {
        "PATH": os.pathsep.join([*map(str, bundle.path_dirs), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]),
        "LANG": "C.UTF-8",
        **{key: value for key, value in os.environ.items() if key.lower() in ("http_proxy", "https_proxy", "no_proxy")},
    }
    # sh joins the cgroup, then becomes unshare, which becomes dockerd: one pid, no wrapper left.
    script = '[ -z "$1" ] || echo $$ > "$1"; shift; exec unshare -m --propagation private -- "$@"'
    started = time.monotonic()
    with open(spec.log, "ab") as log:
        log.write(f"\n--- lean-python-images: starting {spec.name} at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n".encode())
        log.flush()
        process = subprocess.Popen(
            ["sh", "-c", script, "sh", procs, str(bundle.dockerd), "--config-file", str(config_file)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd="/",
            start_new_session=True,
        )
    while time.monotonic() - started < START_TIMEOUT_S:
        if process.poll() is not None:
            stop(spec)
            raise EngineStartError(f"{spec.name}: dockerd exited with status {process.returncode}; {_log_tail(spec)}")
        if is_up(spec):
            break
        time.sleep(0.1)
    else:
        stop(spec)
        raise EngineStartError(f"{spec.name}: dockerd did not answer within {START_TIMEOUT_S:.0f} s; {_log_tail(spec)}")
    elapsed = time.monotonic() - started
    if host_bridge and not bridge_exists(HOST_BRIDGE):
        _restore_host_bridge(host_bridge)
        stop(spec)
        raise EngineStartError(f"{spec.name}: starting it removed the host engine's {HOST_BRIDGE} bridge; it was re-created "
                               f"({host_bridge['address']}) and the engine stopped")
    store = image_store(unixhttp.get_json(spec.docker_host, "/info"))
    if store != spec.expected_store:
        stop(spec)
        raise EngineStartError(f"{spec.name}: the engine reports the {store} image store, not {spec.expected_store}")
    return elapsed


def _log_tail(spec: EngineSpec, lines: int = 8) -> str:
    """The last ``lines`` lines of the engine's log, as one string, for an error message."""
    try:
        tail = spec.log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return "no log"
    return f"last lines of {spec.log}:\n" + "\n".join(tail)


def stop(spec: EngineSpec) -> bool:
    """Stop the engine and remove everything it left at run time; returns True when something was running.

    Asks dockerd to stop (SIGTERM: it stops its containers), then kills every process still in
    the engine's cgroup, unmounts anything left under its paths in this namespace, and removes its
    socket, pid file, exec-root, cgroups and bridge. Works after a crash (stale pid file, dead
    dockerd, orphaned containerd or shims). The data-root stays (the images in it are kept).
    """
    was_running = bool(engine_pids(spec))
    pid = _pid_from_file(spec.pidfile)
    if pid and _alive(pid) and _is_our_dockerd(pid, spec):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    _kill_all(spec)
    for socket_file in shim_sockets(spec):
        socket_file.unlink(missing_ok=True)
    for point in _host_mounts_under([spec.home, spec.exec_root]):
        subprocess.run(["umount", "-l", point], capture_output=True)
    for path in (spec.socket, spec.pidfile):
        path.unlink(missing_ok=True)
    if spec.exec_root.exists() and not _host_mounts_under([spec.exec_root]):
        subprocess.run(["rm", "-rf", "--one-file-system", str(spec.exec_root)], capture_output=True)
    _remove_cgroups(spec)
    _remove_bridge(spec)
    return was_running


def shim_sockets(spec: EngineSpec) -> list[Path]:
    """The socket files of the engine's containerd shims (``/run/containerd/s/<sha256>``) that still exist.

    A shim removes its socket when it exits cleanly, but not when killed; the paths are read from
    each task's ``bootstrap.json`` in the engine's containerd state (under its exec-root).
    """
    found = []
    for bootstrap in spec.exec_root.glob("containerd/daemon/io.containerd.runtime.v2.task/*/*/bootstrap.json"):
        try:
            address = json.loads(bootstrap.read_text()).get("address", "")
        except (OSError, ValueError):
            continue
        path = Path(address.removeprefix("unix://"))
        if address.startswith("unix://") and path.exists():
            found.append(path)
    return found


def _is_our_dockerd(pid: int, spec: EngineSpec) -> bool:
    """True when ``pid`` runs dockerd with this engine's config file (a recycled pid is not ours)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return str(spec.home / "daemon.json").encode() in command


def leftovers(spec: EngineSpec) -> list[str]:
    """What of the engine is still on the machine at run time (empty after a clean ``down``).

    Each item is a short description: ``process 123 (containerd)``, ``mount /x``, ``bridge lpi-x``,
    ``socket /run/...``, ``pid file ...``, ``exec-root ...``, ``cgroup ...``.
    """
    found = []
    for pid in sorted(engine_pids(spec)):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            name = "?"
        found.append(f"process {pid} ({name})")
    found += [f"shim socket {path}" for path in shim_sockets(spec)]
    found += [f"mount {point}" for point in _host_mounts_under([spec.home, spec.exec_root])]
    if bridge_exists(spec.bridge):
        found.append(f"bridge {spec.bridge}")
    for label, path in (("socket", spec.socket), ("pid file", spec.pidfile), ("exec-root", spec.exec_root)):
        if path.exists():
            found.append(f"{label} {path}")
    found += [f"cgroup {root / spec.cgroup}" for root in _cgroup_roots() if (root / spec.cgroup).exists()]
    return found
