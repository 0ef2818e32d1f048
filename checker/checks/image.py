"""Checks on the built image's config and shipped files: its real user, secrets, setuid files, HEALTHCHECK.

Where the course rules read the Dockerfile, these read what was built (dockle's and Docker
Scout's view): ``Config.User`` resolved in the image's own ``/etc/passwd``, the files the final
filesystem holds, and the config's HEALTHCHECK.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from checker.checks.base import Evidence, Outcome, dynamic_check, human_bytes, listing, not_run, unmeasured
from checker.probes import DEFAULT_PATH, resolve_user


@dynamic_check("image_user", lesson="06_safer_images.ipynb#run-as-a-non-root-user", needs=("build", "filesystem"))
def image_user(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The built image runs as a non-root user.

    Why it matters:
        What counts is the user the image really starts as (its Config.User), whatever the
        Dockerfile seems to say: a base image's USER, a USER root added later or a name missing
        from /etc/passwd all change it. Root in the container is root on every mounted file.
    How to fix:
        End the final stage with USER and a non-root user that exists in the image: create it
        (useradd --system --uid 10001 app) and write USER 10001 (or USER app) after it.
    """
    if evidence.image is None:
        return not_run("there is no image")
    user = evidence.image.user
    shipped = evidence.filesystem.shipped if evidence.filesystem is not None else None
    uid, how = resolve_user(user, shipped)
    details = {"user": user, "uid": uid}
    if uid is None:
        return Outcome(False, f"{how}.", details)
    if uid == 0:
        return Outcome(False, f"The image runs as root: {how}.", details)
    return Outcome(True, f"The image runs as uid {uid}: {how}.", details)


@dynamic_check("no_secret_files", lesson="06_safer_images.ipynb#keep-secrets-out", needs=("filesystem",))
def no_secret_files(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """No secrets or host leftovers in the final image.

    Why it matters:
        Anyone who can pull the image can read every file in it: a .env, a private key or a
        .netrc gives their secrets away, and a .git folder, pytest's cache, the host's
        __pycache__ or an archive left in /tmp are bytes nobody needs.
    How to fix:
        List them in .dockerignore (.env, .git, .pytest_cache, __pycache__, *.pem), copy only
        what the app needs, pass secrets at run time (environment, mounted files), and delete
        a downloaded archive in the RUN that unpacks it.
    """
    if evidence.filesystem is None:
        return unmeasured(evidence)
    base = set((evidence.base_shipped or {}).get("forbidden", ()))
    found = {path: entry for path, entry in evidence.filesystem.shipped.forbidden.items() if path not in base}
    if not found:
        return Outcome(True, "No .env, private key, .netrc, .git, .pytest_cache, host __pycache__ or /tmp archive "
                             "in the image.")
    items = [f"{path} ({human_bytes(size)}: {why})" for path, (size, why) in sorted(found.items())]
    return Outcome(False, f"The image ships files that must not ship: {listing(items)}.",
                   {"files": [{"path": path, "bytes": size, "why": why} for path, (size, why) in sorted(found.items())]})


@dynamic_check("no_new_setuid", lesson="06_safer_images.ipynb#run-as-a-non-root-user", needs=("filesystem",))
def no_new_setuid(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """Your layers add no setuid or setgid file.

    Why it matters:
        A setuid program runs as its owner (usually root) whoever starts it, so each one is a
        way back to root for a process you made unprivileged. The base image's own ones (su,
        passwd...) are its maintainers' choice; yours should add none.
    How to fix:
        Do not chmod u+s or g+s anything; install fewer packages (--no-install-recommends), or
        remove the bits in the same RUN: find / -xdev -perm /6000 -type f -exec chmod a-s {} +.
    """
    if evidence.filesystem is None:
        return unmeasured(evidence)
    base = set((evidence.base_shipped or {}).get("special", ()))
    added = {path: bits for path, bits in evidence.filesystem.shipped.special.items() if path not in base}
    if not added:
        return Outcome(True, f"No setuid or setgid file beyond the base image's {len(base)}.", {"base": len(base)})
    items = [f"{path} ({bits})" for path, bits in sorted(added.items())]
    unknown_base = evidence.base_shipped is None and evidence.base_ref not in (None, "", "scratch")
    note = " (the base image could not be read, so its own files are counted too)" if unknown_base else ""
    return Outcome(False, f"Your layers add {len(added)} setuid/setgid file(s): {listing(items)}{note}.",
                   {"files": [{"path": path, "bits": bits} for path, bits in sorted(added.items())]})


@dynamic_check("healthcheck", lesson="06_safer_images.ipynb#healthcheck", needs=("build",), must_exist=False)
def healthcheck(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The image declares a HEALTHCHECK.

    Why it matters:
        With a HEALTHCHECK, docker ps, Compose and Swarm tell a container that is running but
        no longer answering from a healthy one and can restart it. Kubernetes ignores it (it
        has its own probes), so by default a missing one is advice, not a fault.
    How to fix:
        Add one to the final stage that calls the app's health endpoint without extra tools:
        HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"].
    """
    if evidence.image is None:
        return not_run("there is no image")
    test = evidence.image.healthcheck
    if test and test[0] != "NONE":
        shown = " ".join(test[1:]) if test[0] == "CMD-SHELL" else shlex.join(test)
        missing = _missing_program(evidence, test)
        if missing:
            return Outcome(False, f"HEALTHCHECK {shown[:160]} can never pass: {missing}. Use the exec form with a program "
                                  f"the image has: CMD [\"python\", \"-c\", \"import urllib.request; ...\"].",
                           {"test": list(test)})
        return Outcome(True, f"The image declares HEALTHCHECK {shown[:160]}.", {"test": list(test)})
    what = "HEALTHCHECK NONE turns the base image's off" if test else "The image has no HEALTHCHECK"
    if params.get("must_exist"):
        return Outcome(False, f"{what}; this exercise asks for one.")
    return Outcome(True, f"{what} (advice: add one that calls /health).", {"advice": True})


def _missing_program(evidence: Evidence, test: list[str] | tuple[str, ...]) -> str | None:
    """Why the HEALTHCHECK's program cannot start in the image (no /bin/sh for the shell form, or the exec
    form's program not on PATH), from the filesystem scan; None when it can, or when there is no scan."""
    fs, image = evidence.filesystem, evidence.image
    if fs is None or image is None or len(test) < 2:
        return None
    if test[0] == "CMD-SHELL":
        return None if fs.is_file("/bin/sh") else "its shell form runs /bin/sh -c, and the image has no /bin/sh"
    program = test[1]
    path_var = image.env_dict().get("PATH", DEFAULT_PATH)
    if fs.which(program, path_var, image.workdir or "/"):
        return None
    return f"{program} is not in the image" + ("" if "/" in program else f" (PATH {path_var})")
