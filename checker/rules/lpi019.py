"""LPI019: packages copied between stages were installed for the Python that runs them."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from checker.dockerfile import Dockerfile, Instruction, Stage, parse_image_ref
from checker.rules.base import Context, Flag, rule
from checker.rules.facts import is_system_python_path, normalise_path, path_covers

_VERSION_TAG_RE = re.compile(r"^(\d+\.\d+)(?:[.\-]|$)")
#: Images that carry the Python version in their tag: ``ghcr.io/astral-sh/uv:python3.12-bookworm-slim``.
_PYTHON_IN_TAG_RE = re.compile(r"(?:^|[-_])python(\d+\.\d+)(?:[.\-_]|$)")
#: ``lib/python3.12/site-packages`` and the like in a copied path: the version it was built for.
_PATH_VERSION_RE = re.compile(r"python(\d+\.\d+)(?:/|$)")
_ENVIRONMENT_WORDS = re.compile(r"(?:^|/)(?:\.?venv[^/]*|virtualenvs?|site-packages|dist-packages|\.local)(?:/|$)")


def python_version(ref: str) -> str | None:
    """``3.12`` for ``python:3.12-slim`` or ``uv:python3.12-bookworm``; None when the tag does not say."""
    parsed = parse_image_ref(ref)
    tag = (parsed.tag or "").lower()
    if parsed.name == "python":
        match = _VERSION_TAG_RE.match(tag)
        return match.group(1) if match else None
    match = _PYTHON_IN_TAG_RE.search(tag)
    return match.group(1) if match else None


def stage_python(dockerfile: Dockerfile, stage: Stage) -> str | None:
    """The Python version of the image at the root of ``stage``'s FROM chain, when its tag says."""
    root = dockerfile.lineage(stage)[0]
    return None if root.unresolved else python_version(root.base_resolved)


def _absolute(path: str, workdir: str) -> str:
    return normalise_path(path if path.startswith("/") else posixpath.join(workdir, path))


def environments(dockerfile: Dockerfile, stage: Stage) -> tuple[str, ...]:
    """Directories that ``stage`` (and the stages it is built FROM) install Python packages into.

    Read from ``python -m venv DIR``, ``virtualenv DIR``, ``uv venv DIR``, ``ENV VIRTUAL_ENV``,
    ``pip install --target/--prefix DIR`` and ``pip install --user`` (``/root/.local``).
    """
    found: list[str] = []
    for member in dockerfile.lineage(stage):
        workdir = "/"
        for instruction in member.instructions:
            if instruction.keyword == "WORKDIR" and instruction.words:
                workdir = _absolute(instruction.words[0], workdir)
            elif instruction.keyword == "ENV":
                found += [_absolute(value, workdir) for name, value in instruction.pairs()
                          if name in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONUSERBASE"} and value and "$" not in value]
            elif instruction.keyword == "RUN":
                found += [_absolute(path, workdir) for path in _run_environments(instruction)]
    return tuple(dict.fromkeys(found))


def _run_environments(instruction: Instruction) -> list[str]:
    """Directories one RUN creates environments in or installs packages into."""
    paths: list[str] = []
    for command in instruction.commands:
        words = list(command.words)
        if len(words) >= 3 and re.match(r"^python[\d.]*$", command.program) and words[1:3] in (["-m", "venv"], ["-m", "virtualenv"]):
            paths += [word for word in words[3:] if not word.startswith("-")][:1]
        elif command.program == "virtualenv" or (command.program == "uv" and words[1:2] == ["venv"]):
            start = 1 if command.program == "virtualenv" else 2
            paths += [word for word in words[start:] if not word.startswith("-")][:1] or ([".venv"] if command.program == "uv" else [])
    for install in instruction.installs:
        if install.python:
            paths += list(install.values("-t", "--target", "--prefix"))
            if install.has("--user"):
                paths.append("/root/.local")
    return [path for path in paths if path and "$" not in path]


def _carries_packages(source: str, known: tuple[str, ...]) -> bool:
    """True when copying ``source`` copies installed packages (not the whole system Python)."""
    if is_system_python_path(source) and "site-packages" not in source and "dist-packages" not in source:
        return False  # /usr/local brings its own interpreter along (LPI004 judges that copy)
    return any(path_covers(source, env) or path_covers(env, source) for env in known) or bool(_ENVIRONMENT_WORDS.search(source))


@rule("LPI019", severity="error", lesson="03_virtualenvs.ipynb#one-directory-one-copy", family="dependencies")
def same_python_across_stages(ctx: Context) -> Iterator[Flag]:
    """Copy packages only into the Python they were built for.

    Why it matters:
        A virtual environment or site-packages built on python:3.12 records that interpreter:
        its bin/python, its lib/python3.12 folder and its compiled extensions (cpython-312)
        belong to 3.12. Copied into a python:3.13 stage, the app fails at start with missing
        modules or a broken interpreter link.
    How to fix:
        Build and run on the same Python: start both stages from the same base, best through one
        ARG PYTHON_VERSION=3.13 before the first FROM used by every stage.
    """
    df = ctx.dockerfile
    for instruction in df.instructions:
        ref = instruction.flag("from") if instruction.keyword in {"COPY", "ADD"} else None
        source_stage = df.stage_for(ref, before=instruction.stage) if ref else None
        if source_stage is None:
            continue
        target = df.stages[instruction.stage]
        runs = stage_python(df, target)
        sources, _ = instruction.sources_and_dest()
        known = environments(df, source_stage)
        for source in sources:
            if not _carries_packages(source, known):
                continue
            in_path = _PATH_VERSION_RE.search(source)
            built = in_path.group(1) if in_path else stage_python(df, source_stage)
            if built is None or runs is None or built == runs:
                continue
            built_on = (f"its path names python{built}" if in_path else
                        f"stage '{source_stage.name}' runs on {df.lineage(source_stage)[0].base_resolved}")
            yield Flag(instruction.line, f"COPY --from={ref} {source} brings packages installed for Python {built} ({built_on}) into a stage "
                       f"on {df.lineage(target)[0].base_resolved}, which runs Python {runs}: Python {runs} does not read lib/python{built}, "
                       f"and extensions compiled for {built} (and a venv's bin/python link) do not fit it.")
            break
