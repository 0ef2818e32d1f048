"""Copy the course's base images from the default engine to a private one (``docker save | docker load``).

Streamed through a pipe (no tar file on disk), with the docker CLI on PATH and ``-H``. An image
whose tags already name the same image on the target is skipped. "The same" is judged by what
survives every image store: the layers' diff IDs (digests of the uncompressed layer tars) and the
creation time; the image ID itself differs between the overlay2 store (config digest) and the
containerd store (manifest digest).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass


class TransferError(RuntimeError):
    """``docker save | docker load`` failed; the message names the images and keeps the CLI's stderr."""


@dataclass(frozen=True)
class Copied:
    """What one :func:`copy_images` call did."""

    copied: tuple[str, ...]
    """Tags loaded into the target."""
    present: tuple[str, ...]
    """Tags already on the target with the same layers (skipped)."""
    missing: tuple[str, ...]
    """Refs asked for that the source engine does not have (nothing to copy)."""
    seconds: float
    """Wall time of the whole call, in seconds."""


def docker_cli() -> str:
    """The docker CLI on PATH. Raises :class:`TransferError` when there is none."""
    path = shutil.which("docker")
    if path is None:
        raise TransferError("no docker CLI on PATH: it is needed to copy the base images")
    return path


def inspect(docker_host: str, refs: list[str]) -> dict[str, dict]:
    """``docker image inspect`` of each ref on ``docker_host``: ref -> inspect object (absent refs left out)."""
    found = {}
    for ref in refs:
        result = subprocess.run([docker_cli(), "-H", docker_host, "image", "inspect", ref], capture_output=True, text=True)
        if result.returncode == 0:
            found[ref] = json.loads(result.stdout)[0]
    return found


def _identity(image: dict) -> tuple:
    """What makes two images the same on any store: their layers' diff IDs and their creation time."""
    return tuple((image.get("RootFS") or {}).get("Layers") or ()), image.get("Created", "")[:19]


def copy_images(source: str, target: str, refs: list[str]) -> Copied:
    """Make each of ``refs`` (and every other tag of the same image) on ``source`` present on ``target``.

    ``source`` and ``target`` are DOCKER_HOST URLs. Idempotent: tags whose image already matches
    on the target are skipped. Raises :class:`TransferError` when save or load fails.
    """
    started = time.monotonic()
    on_source = inspect(source, refs)
    wanted: list[str] = []
    for ref, image in on_source.items():
        for tag in [ref, *(image.get("RepoTags") or [])]:
            if tag not in wanted:
                wanted.append(tag)
    on_target = inspect(target, wanted)
    source_images = inspect(source, wanted)
    todo = [tag for tag in wanted if tag in source_images
            and (tag not in on_target or _identity(on_target[tag]) != _identity(source_images[tag]))]
    if todo:
        _stream(source, target, todo)
    return Copied(
        tuple(todo),
        tuple(tag for tag in wanted if tag not in todo),
        tuple(ref for ref in refs if ref not in on_source),
        time.monotonic() - started,
    )


def _stream(source: str, target: str, tags: list[str]) -> None:
    """``docker -H source save TAGS | docker -H target load``; raises :class:`TransferError` on failure."""
    cli = docker_cli()
    save = subprocess.Popen([cli, "-H", source, "save", *tags], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    load = subprocess.run([cli, "-H", target, "load", "--quiet"], stdin=save.stdout, capture_output=True, text=True)
    save.stdout.close()
    save_error = save.stderr.read().decode(errors="replace")
    save.wait()
    if save.returncode != 0 or load.returncode != 0:
        detail = (save_error or load.stderr).strip().splitlines()[-1:] or ["no output"]
        raise TransferError(f"copying {', '.join(tags)} from {source} to {target} failed: {detail[0]}")
