"""Dynamic checks that exercise 07 (smaller still) needs: .pyc files kept, no pip beside the app.

They register with :func:`checker.checks.dynamic_check` like every dynamic check and read only
the filesystem scan, so they are pure and testable with a fake :class:`FilesystemFacts`.

"Where the app's packages are installed" is found the same way for every install style: a
folder that holds ``*.dist-info`` folders is an install root (a venv's site-packages, a
``pip install --target`` folder, ``/usr/local/lib/python3.X/site-packages``, ``~/.local``...).
The roots that hold anything besides pip, setuptools and wheel are the app's.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from checker.checks.base import Evidence, Outcome, dynamic_check, not_run, unmeasured
from checker.probes import FilesystemFacts

_TOOLING = {"pip", "setuptools", "wheel"}
_DIST_INFO_RE = re.compile(r"^(.+?)-[^-/]+\.dist-info$")


def install_roots(fs: FilesystemFacts) -> dict[str, set[str]]:
    """Install root -> the distribution names installed there (lower-case, ``-`` for ``_``)."""
    roots: dict[str, set[str]] = {}
    for path, kind in fs.kinds.items():
        if kind != "d":
            continue
        match = _DIST_INFO_RE.match(posixpath.basename(path))
        if match:
            roots.setdefault(posixpath.dirname(path), set()).add(match.group(1).lower().replace("_", "-"))
    return roots


def app_roots(fs: FilesystemFacts) -> list[str]:
    """The install roots that hold anything besides pip, setuptools and wheel, sorted."""
    return sorted(root for root, dists in install_roots(fs).items() if dists - _TOOLING)


def bytecode_coverage(fs: FilesystemFacts, root: str) -> tuple[int, int]:
    """(modules with a compiled .pyc, modules) for the modules under an install root.

    A module is a .py file, or a .pyc beside where its .py would be with no .py there (bytecode
    shipped without sources, as `compileall -b` lays it out): Python imports that directly.
    """
    prefix = root.rstrip("/") + "/"
    files = {path for path, kind in fs.kinds.items() if kind == "f" and path.startswith(prefix)}
    pycs = {path for path in files if path.endswith(".pyc")}
    cached = {(posixpath.dirname(posixpath.dirname(p)), posixpath.basename(p).split(".", 1)[0])
              for p in pycs if posixpath.basename(posixpath.dirname(p)) == "__pycache__"}
    modules = 0
    compiled = 0
    for path in files:
        if path.endswith(".py"):
            # Entry-point scripts and vendored templates aside, every module pip installs gets a .pyc.
            modules += 1
            directory, stem = posixpath.dirname(path), posixpath.basename(path)[:-3]
            if (directory, stem) in cached or path + "c" in pycs:
                compiled += 1
        elif path in pycs and posixpath.basename(posixpath.dirname(path)) != "__pycache__" and path[:-1] not in files:
            modules += 1
            compiled += 1
    return compiled, modules


def _installed_roots(evidence: Evidence) -> tuple[FilesystemFacts, list[str]] | Outcome:
    """The image's filesystem and its package roots, or the outcome that says why there are none."""
    fs = evidence.filesystem
    if fs is None:
        return unmeasured(evidence)
    roots = app_roots(fs)
    if not roots:
        return Outcome(False, "No installed packages were found (no *.dist-info folder outside pip's own).")
    return fs, roots


@dynamic_check("pyc_kept", lesson="07_smaller_and_faster.ipynb#keep-the-bytecode", needs=("filesystem",), min_fraction=0.9)
def pyc_kept(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The installed packages keep their compiled .pyc files.

    Why it matters:
        pip compiles every module it installs. Without those .pyc files Python compiles each
        imported module again on every start of every container (the image is read-only to
        the app, so nothing is saved for next time): a few megabytes saved, start-up time lost
        forever. PYTHONDONTWRITEBYTECODE only stops new files being written at run time; it is
        not a way to make images smaller.
    How to fix:
        Do not delete __pycache__ folders, do not pass --no-compile to pip, and install in the
        build stage so the .pyc files are copied with the packages.
    """
    found = _installed_roots(evidence)
    if isinstance(found, Outcome):
        return found
    fs, roots = found
    limit = float(params.get("min_fraction") or 0.9)
    problems, details = [], {}
    for root in roots:
        compiled, modules = bytecode_coverage(fs, root)
        fraction = compiled / modules if modules else 1.0
        details[root] = {"modules": modules, "compiled": compiled}
        if fraction < limit:
            problems.append(f"{root}: {compiled} of {modules} modules have a .pyc ({fraction:.0%}; at least {limit:.0%} expected)")
    if problems:
        return Outcome(False, "Compiled bytecode is missing: " + "; ".join(problems) + ".", details)
    summary = ", ".join(f"{root} {d['compiled']}/{d['modules']}" for root, d in details.items())
    return Outcome(True, f"The packages keep their .pyc files ({summary}).", details)


@dynamic_check("no_pip_in_app_env", lesson="07_smaller_and_faster.ipynb#no-pip-at-run-time", needs=("filesystem",))
def no_pip_in_app_env(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No pip next to the app's packages.

    Why it matters:
        The app never installs anything at run time. pip (about 13 MB with its vendored
        libraries) in the app's environment only adds weight and a tool for an attacker to
        fetch code with.
    How to fix:
        Create the venv with `python -m venv --without-pip /opt/venv` and fill it from the
        build stage with `pip --python /opt/venv/bin/python install ...`, or use
        `pip install --target`.
    """
    found = _installed_roots(evidence)
    if isinstance(found, Outcome):
        return found
    fs, roots = found
    with_pip = [root for root in roots if "pip" in install_roots(fs)[root]]
    if with_pip:
        return Outcome(False, f"pip is installed beside the app's packages in {', '.join(with_pip)}.", {"roots": with_pip})
    return Outcome(True, f"No pip beside the app's packages ({', '.join(roots)}).", {"roots": roots})
