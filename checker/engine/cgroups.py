"""A cgroup per BuildKit build: the memory and process limits of its RUN steps.

BuildKit ignores the build API's ``memory`` and has no pids option; what it honours is a cgroup
parent (``docker buildx build --cgroup-parent``): every RUN container of the build is created
under it (``<parent>/buildkit/<id>`` with dockerd's cgroupfs driver). Limits set on the parent
apply to the whole subtree, so a RUN that allocates past ``memory`` is killed by the kernel's OOM
killer (exit code 137) and one that forks past ``pids`` gets ``EAGAIN`` from ``fork``.

The parent is part of every RUN's cache key (BuildKit keeps it in the step's definition), so it
must not change from one build to the next: it is named after the limits
(``/lean-python-images/buildkit/m<bytes>-p<pids>``), made once and kept. Builds running at the
same moment with the same limits therefore share them (the grader builds one at a time per
grade; a class grade in parallel shares one budget). ``checker clean`` removes the folders.

Both cgroup versions are handled: v1 (one hierarchy per controller: ``memory.limit_in_bytes``,
``memory.memsw.limit_in_bytes``, ``pids.max``) and v2 (one tree: ``memory.max``,
``memory.swap.max``, ``pids.max``, controllers enabled through ``cgroup.subtree_control``).
This needs the engine on this machine (a ``unix://`` socket) and a writable cgroup tree (root);
elsewhere (Docker Desktop's VM, a remote engine) :func:`create` says why it cannot.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(os.environ.get("LPI_CGROUP_ROOT", "/sys/fs/cgroup"))
"""Where the cgroup file systems are mounted (``LPI_CGROUP_ROOT``, for tests)."""
GROUP = "lean-python-images/buildkit"
"""The cgroup (relative to each hierarchy's root) that holds one child per set of limits."""


class CgroupUnavailable(Exception):
    """The limits cannot be set here; the message says why, in one sentence."""


def version(root: Path = ROOT) -> int:
    """2 for the unified hierarchy (``cgroup.controllers`` at the root), else 1."""
    return 2 if (root / "cgroup.controllers").is_file() else 1


def engine_is_local(docker_host: str | None = None) -> bool:
    """Whether the engine answers on a unix socket of this machine (``DOCKER_HOST``, default socket)."""
    host = docker_host if docker_host is not None else os.environ.get("DOCKER_HOST", "")
    return not host or host.startswith("unix://")


@dataclass
class BuildCgroup:
    """A limits' cgroup: ``parent`` (for ``--cgroup-parent``) and its folders."""

    parent: str
    """The cgroup path the engine is given (``/lean-python-images/buildkit/m<bytes>-p<pids>``)."""
    folders: list[Path]
    """The folders of this cgroup, one per hierarchy (v1) or one (v2)."""
    root: Path = ROOT
    """Where the cgroup file systems are mounted."""

    def remove(self, wait_s: float = 5.0) -> None:
        """Remove the cgroup and whatever the runtime left under it (empty cgroups only; for clean-up).

        Child cgroups (``buildkit/<id>``) go first; one whose processes are still exiting is
        retried for up to ``wait_s`` seconds. Never raises.
        """
        deadline = time.monotonic() + wait_s
        hierarchies = [self.root, *sorted(self.root.iterdir())] if self.root.is_dir() else []
        for hierarchy in hierarchies:  # v2: the root itself; v1: one folder per controller
            folder = hierarchy / self.parent.lstrip("/")
            if folder.is_dir() and folder not in self.folders:
                self.folders.append(folder)
        for folder in self.folders:
            if not folder.is_dir():
                continue
            for child in sorted((path for path in folder.rglob("*") if path.is_dir()), key=lambda path: -len(path.parts)):
                _rmdir(child, deadline)
            _rmdir(folder, deadline)


def _rmdir(folder: Path, deadline: float) -> None:
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def remove_all(root: Path = ROOT) -> int:
    """Remove every (empty) limits cgroup under :data:`GROUP`; returns how many. Never raises."""
    names: set[str] = set()
    for base in (root / GROUP, *(hierarchy / GROUP for hierarchy in root.iterdir() if hierarchy.is_dir())) if root.is_dir() else ():
        if base.is_dir():
            names.update(child.name for child in base.iterdir() if child.is_dir())
    for name in names:
        BuildCgroup(parent=f"/{GROUP}/{name}", folders=[], root=root).remove(wait_s=0)
    return len(names)


def create(memory_bytes: int, pids: int, *, root: Path = ROOT) -> BuildCgroup:
    """The cgroup under :data:`GROUP` limited to ``memory_bytes`` (no swap beyond it) and ``pids`` processes.

    Made when missing, its limits (re)written when present.
    Raises CgroupUnavailable (nothing left behind) when the engine is not local or the cgroup tree
    cannot be written.
    """
    if not engine_is_local():
        raise CgroupUnavailable("the engine is not on this machine, so the checker cannot give its builds a cgroup")
    name = f"m{int(memory_bytes)}-p{int(pids)}"
    parent = f"/{GROUP}/{name}"
    made = BuildCgroup(parent=parent, folders=[], root=root)
    try:
        if version(root) == 2:
            for ancestor in ("lean-python-images", GROUP):
                (root / ancestor).mkdir(exist_ok=True)
            for ancestor in ("", "lean-python-images", GROUP):
                control = root / ancestor / "cgroup.subtree_control" if ancestor else root / "cgroup.subtree_control"
                enabled = control.read_text().split()
                missing = [f"+{name_}" for name_ in ("memory", "pids") if name_ not in enabled]
                if missing:
                    _write(control, " ".join(missing))
            folder = root / GROUP / name
            folder.mkdir(exist_ok=True)
            made.folders.append(folder)
            _write(folder / "memory.max", str(memory_bytes))
            if (folder / "memory.swap.max").exists():
                _write(folder / "memory.swap.max", "0")
            _write(folder / "pids.max", str(pids))
        else:
            memory = root / "memory" / GROUP / name
            memory.mkdir(parents=True, exist_ok=True)
            made.folders.append(memory)
            _write(memory / "memory.limit_in_bytes", str(memory_bytes))
            if (memory / "memory.memsw.limit_in_bytes").exists():
                _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
            processes = root / "pids" / GROUP / name
            processes.mkdir(parents=True, exist_ok=True)
            made.folders.append(processes)
            _write(processes / "pids.max", str(pids))
    except OSError as exc:
        raise CgroupUnavailable(f"the cgroup {parent} could not be made with its limits ({exc.strerror or exc})") from exc
    return made
