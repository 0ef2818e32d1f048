"""Checks on the final filesystem (the scan of ``docker export``): no compilers, no C headers, no package caches."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from checker.checks.base import Evidence, Outcome, dynamic_check, human_bytes, listing, not_run, unmeasured


@dynamic_check("no_compilers", lesson="02_multi_stage.ipynb#the-multi-stage-pattern", needs=("filesystem",))
def no_compilers(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No compiler in the final image.

    Why it matters:
        A compiler is only needed to build native extensions. In the running image it is dead
        weight and a gift to an attacker who gets in.
    How to fix:
        Install gcc (and the -dev packages) in a build stage only, and start the final stage
        from a slim image that never had them.
    """
    if evidence.filesystem is None:
        return unmeasured(evidence)
    found = evidence.filesystem.compilers
    if found:
        return Outcome(False, f"The image ships a compiler: {listing(found)}.", {"compilers": found})
    return Outcome(True, "No gcc, cc, g++, clang or compiler backend in the image.")


@dynamic_check("no_headers", lesson="02_multi_stage.ipynb#runtime-libraries-only", needs=("filesystem", "runtime"),
               max_files=5)
def no_headers(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No C headers in the final image.

    Why it matters:
        Header files (`/usr/include`, `libpq-fe.h`, a Python.h from a -dev package) are only
        read by a compiler. They come with -dev packages and pull in more of them.
    How to fix:
        Install the -dev packages in the build stage only; in the runtime stage install the
        runtime library (libpq5, not libpq-dev).
    """
    if evidence.filesystem is None:
        return unmeasured(evidence)
    own_dirs = interpreter_include_dirs(evidence)
    headers = [(path, size) for path, size in evidence.filesystem.headers
               if not path.startswith(tuple(d + "/" for d in own_dirs)) and not re.search(r"/(?:site|dist)-packages/", path)]
    limit = int(params.get("max_files") or 0)
    details = {"headers": len(headers), "bytes": sum(size for _, size in headers)}
    note = f" (the interpreter's own {', '.join(sorted(own_dirs))} not counted)" if own_dirs else ""
    if len(headers) > limit:
        folders = sorted({posixpath.dirname(path) for path, _ in headers})
        return Outcome(False, f"{len(headers)} C headers ({human_bytes(details['bytes'])}) in {listing(folders)}{note}; "
                              f"at most {limit} allowed.", details)
    return Outcome(True, f"{len(headers)} C headers{note}.", details)


_INTERPRETER_RE = re.compile(r"^(.*)/bin/python(\d+\.\d+)$")


def interpreter_include_dirs(evidence: Evidence) -> set[str]:
    """Include folders that belong to an interpreter in the image (``/usr/local/include/python3.13``).

    The official Python images ship their interpreter's headers; they are part of the base, not
    something the learner added. Known from the runtime probe, else from ``<prefix>/bin/pythonX.Y``.
    """
    found: set[str] = set()
    if evidence.runtime is not None and evidence.runtime.include:
        found.add(evidence.runtime.include.rstrip("/"))
    fs = evidence.filesystem
    if fs is not None:
        for path, kind in fs.kinds.items():
            match = _INTERPRETER_RE.match(path) if kind in {"f", "l"} else None
            if match and fs.is_file(path):
                found.add(f"{match.group(1)}/include/python{match.group(2)}")
    return found


@dynamic_check("no_pip_cache", lesson="05_layer_cache.ipynb#no-pip-cache-in-the-image", needs=("filesystem",),
               max_bytes=1_000_000)
def no_pip_cache(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No package-manager cache in the final image.

    Why it matters:
        pip (and uv, poetry) keep every downloaded wheel in a cache folder such as
        /root/.cache/pip. In an image that cache is never used again but ships every time.
    How to fix:
        Use `pip install --no-cache-dir` (or PIP_NO_CACHE_DIR=1, uv's --no-cache), or install in
        a build stage and copy only the installed packages.
    """
    if evidence.filesystem is None:
        return unmeasured(evidence)
    caches = {path: size for path, size in evidence.filesystem.caches.items() if size}
    total = sum(caches.values())
    limit = int(params.get("max_bytes") or 0)
    if total > limit:
        listed = [f"{path} ({human_bytes(size)})" for path, size in sorted(caches.items(), key=lambda kv: -kv[1])]
        return Outcome(False, f"Package caches ship in the image: {listing(listed)}.", {"caches": caches})
    return Outcome(True, "No pip, uv or poetry cache in the image." if not caches
                   else f"Only {human_bytes(total)} of package cache (limit {human_bytes(limit)}).", {"caches": caches})
