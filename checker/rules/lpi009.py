"""LPI009: every base image is pinned to a version."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.dockerfile import parse_image_ref
from checker.rules.base import Context, Flag, rule


_PY_MINOR_RE = re.compile(r"^\d+\.\d+")
_PY_MAJOR_ONLY_RE = re.compile(r"^\d+(?:-|$)")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
#: Release codenames, each one fixed major release: the ``series`` column of Debian's
#: ``distro-info-data`` (/usr/share/distro-info/debian.csv and ubuntu.csv, version 0.58+deb12u6;
#: https://salsa.debian.org/debian/distro-info-data) for every release that has a version number.
#: ``sid``, ``experimental``, ``stable``, ``testing``, ``oldstable`` name no release: they move.
_DEBIAN_CODENAMES = frozenset({
    "buzz", "rex", "bo", "hamm", "slink", "potato", "woody", "sarge", "etch", "lenny", "squeeze",
    "wheezy", "jessie", "stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "duke",
})
_UBUNTU_CODENAMES = frozenset({
    "warty", "hoary", "breezy", "dapper", "edgy", "feisty", "gutsy", "hardy", "intrepid", "jaunty",
    "karmic", "lucid", "maverick", "natty", "oneiric", "precise", "quantal", "raring", "saucy",
    "trusty", "utopic", "vivid", "wily", "xenial", "yakkety", "zesty", "artful", "bionic", "cosmic",
    "disco", "eoan", "focal", "groovy", "hirsute", "impish", "jammy", "kinetic", "lunar", "mantic",
    "noble", "oracular", "plucky", "questing", "resolute",
})
RELEASE_CODENAMES = _DEBIAN_CODENAMES | _UBUNTU_CODENAMES
_TAG_PART_RE = re.compile(r"[-_.]")
_REPOSITORY_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")


def release_codename(tag: str) -> str | None:
    """The Debian or Ubuntu release a tag names (``bookworm`` in ``3.13-slim-bookworm``), else None."""
    return next((part for part in _TAG_PART_RE.split(tag.lower()) if part in RELEASE_CODENAMES), None)


def _pin_problem(ref: str) -> tuple[str, str] | None:
    """(message, severity) when ``ref`` is not pinned to a version, else None."""
    parsed = parse_image_ref(ref)
    if not _REPOSITORY_RE.match(parsed.repository) or (parsed.tag is not None and not _TAG_RE.match(parsed.tag)) or ref != ref.strip():
        return f"'{ref}' is not a valid image reference, so docker build stops at this line.", "error"
    if parsed.digest:
        return None
    if parsed.tag is None:
        return f"{ref} has no tag, which means :latest: the image changes under you whenever a new version is pushed.", "warning"
    if parsed.tag.lower() == "latest":
        return f"{ref} uses :latest, which points at a different image with each new release.", "warning"
    codename = release_codename(parsed.tag)
    if codename and not any(ch.isdigit() for ch in parsed.tag) and parsed.name == "python":
        # python:slim-bookworm fixes Debian, not the interpreter: the next 3.x moves in.
        return (f"The tag '{parsed.tag}' in {ref} pins the Debian release ({codename}) but not the Python version: "
                "a new 3.x release moves in without warning.", "warning")
    if codename:
        return None  # debian:bookworm-slim, ubuntu:noble: one fixed major release, like debian:12-slim
    if not any(ch.isdigit() for ch in parsed.tag) and not any(ch.isdigit() for ch in parsed.name):
        # python3-debian12:nonroot carries its release in the name; python:slim carries none.
        return f"The tag '{parsed.tag}' in {ref} is not a version: it moves to new releases without warning.", "warning"
    if parsed.name == "python" and _PY_MAJOR_ONLY_RE.match(parsed.tag) and not _PY_MINOR_RE.match(parsed.tag):
        return f"{ref} only pins the major Python version: a new 3.x release would change the interpreter and which wheels match.", "info"
    return None


@rule("LPI009", severity="warning", lesson="04_slim_vs_alpine.ipynb#pin-the-base-image", family="base_image")
def base_image_pinned(ctx: Context) -> Iterator[Flag]:
    """Pin base images to a version.

    Why it matters:
        A tag like latest (or no tag at all) points at a new image with every release, so the
        same Dockerfile builds something different next month and a working build can break
        without any change on your side.
    How to fix:
        Name a version tag such as python:3.13-slim, or a release codename such as
        debian:trixie-slim (or pin a digest with @sha256:...). If the
        version comes from an ARG, give the ARG a default before the first FROM.
    """
    df = ctx.dockerfile
    for stage in df.stages:
        if stage.parent is not None:
            continue
        ref = stage.base_resolved
        if stage.unresolved:
            names = ", ".join(f"${{{name}}}" for name in stage.unresolved)
            yield Flag(stage.line, f"FROM {stage.base} uses {names}, which has no default and no build argument, so the image name becomes '{ref}'.", hint="Declare the ARG before the first FROM with a default, e.g. ARG PYTHON_VERSION=3.13.")
            continue
        if ref.lower() == "scratch":
            continue
        problem = _pin_problem(ref)
        if problem:
            yield Flag(stage.line, problem[0], severity=problem[1])
    for instruction in df.instructions:
        source = instruction.flag("from") if instruction.keyword in {"COPY", "ADD"} else None
        if not source or "$" in source or df.stage_for(source, before=instruction.stage) or not any(ch in source for ch in "/:@"):
            continue
        problem = _pin_problem(source)
        if problem:
            yield Flag(instruction.line, f"COPY --from={source}: " + problem[0], severity=problem[1])
