"""The Docker CLI command beside each lesson helper call, so a learner can repeat it in a terminal.

A helper that builds (:func:`checker.lesson.build`), runs a snippet in an image
(:func:`checker.lesson.run_in`), lists lesson images, sizes an image or reads its history shows,
once per call, the command that does the same from a terminal at the repository's top folder.
The command is made from the arguments the helper really used (tag, Dockerfile, context, build
arguments, target, builder), each quoted with :func:`shlex.quote`. In Jupyter it is a collapsed
"Same in a terminal" line (an HTML ``<details>``); elsewhere one plain ``$ ...`` text block.

What the course adds only for its own bookkeeping or safety is left out, because it changes
neither what is built nor what is printed: the ``org.lean-python-images.*`` labels of a build, and
a probe's limits (no network, no capabilities, memory and process caps, an empty entrypoint: the
lesson images have none of their own).

Everything here is pure text; :func:`display_command` is the only function that displays.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUMMARY = "Same in a terminal"
#: The heredoc delimiter for a Dockerfile given on standard input (another is picked if the text has it).
HEREDOC = "EOF"


@dataclass(frozen=True)
class Command:
    """Shell commands (bash syntax, arguments quoted) that do what a lesson helper did, and an optional note.

    Each of ``commands`` is one command; it spans several lines only when it carries a heredoc.
    ``note`` is a sentence about what the commands cannot show by themselves (an edited file, a
    measure that differs between image stores).
    """

    commands: tuple[str, ...]
    note: str = ""

    @property
    def text(self) -> str:
        """The commands, one after the other, as they would be pasted into a terminal."""
        return "\n".join(self.commands)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return "\n".join([f"$ {command}" for command in self.commands] + ([f"  ({self.note})"] if self.note else []))

    def _repr_html_(self) -> str:
        note = f"<div style='color:#666;margin-top:0.2em'>{html.escape(self.note)}</div>" if self.note else ""
        return ("<details class='lpi-cli' style='font-size:0.85em;color:#555;margin:0.2em 0'>"
                f"<summary style='cursor:pointer'>{SUMMARY}</summary>"
                f"<pre style='margin:0.3em 0 0 0;padding:0.4em;background:#f6f6f6;white-space:pre-wrap'>"
                f"{html.escape(self.text)}</pre>{note}</details>")


def command_line(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """``argv`` as one shell line, each word quoted as needed, after ``NAME=value`` settings from ``env``."""
    prefix = [f"{name}={shlex.quote(value)}" for name, value in (env or {}).items()]
    return " ".join(prefix + [shlex.quote(word) for word in argv])


def repo_path(path: str | Path) -> str:
    """``path`` as typed from the repository's top folder (relative when inside it, absolute otherwise)."""
    resolved = Path(path).resolve()
    try:
        relative = resolved.relative_to(REPO)
    except ValueError:
        return str(resolved)
    return str(relative) if str(relative) != "." else "."


def _delimiter(text: str) -> str:
    lines = set(text.splitlines())
    delimiter = HEREDOC
    while delimiter in lines:
        delimiter += "_"
    return delimiter


def docker_build(
    *,
    tag: str,
    context: str | Path,
    dockerfile_path: str | Path | None = None,
    dockerfile_text: str | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    nocache: bool = False,
    builder: str = "classic",
    edited: Sequence[str] = (),
    dockerignore: bool = True,
    secrets: Sequence[str] = (),
    network: str = "default",
) -> Command:
    """The ``docker build`` of one lesson build.

    The Dockerfile is ``dockerfile_path`` (a file, ``-f``) or else ``dockerfile_text``, given on
    standard input (``-f -``, a quoted heredoc, so ``$`` in it stays as written). ``builder``
    ``classic`` prefixes ``DOCKER_BUILDKIT=0`` (the classic builder, which ``docker build`` on
    Docker 23.0 and later uses only when asked); ``buildkit`` needs no prefix. ``edited`` names
    files the helper changed in its copy of the context, and ``dockerignore=False`` says the helper
    sent the context without applying ``.dockerignore``: both become the note. ``secrets`` are the
    ids offered to ``RUN --mount=type=secret``, each read from the environment variable of the
    same name (``--secret id=NAME,env=NAME``; BuildKit only). ``network`` is the RUN steps' network
    the build used (``--network host`` unless ``default``: BuildKit keeps it in each RUN's cache key,
    so the command must say it to reuse the lesson's cache). Raises ValueError without a
    Dockerfile, for another builder, or for secrets with the classic builder.
    """
    if builder not in ("classic", "buildkit"):
        raise ValueError(f"builder must be 'classic' or 'buildkit', got {builder!r}")
    if dockerfile_path is None and dockerfile_text is None:
        raise ValueError("docker_build needs dockerfile_path or dockerfile_text")
    if secrets and builder != "buildkit":
        raise ValueError("build secrets (--secret) need BuildKit; the classic builder has none")
    argv = ["docker", "build", "-t", tag]
    for secret in secrets:
        argv += ["--secret", f"id={secret},env={secret}"]
    for name, value in (build_args or {}).items():
        argv += ["--build-arg", f"{name}={value}"]
    if target:
        argv += ["--target", target]
    if nocache:
        argv.append("--no-cache")
    if network and network != "default":
        argv += ["--network", network]
    argv += ["-f", repo_path(dockerfile_path) if dockerfile_path is not None else "-", repo_path(context)]
    line = command_line(argv, {"DOCKER_BUILDKIT": "0"} if builder == "classic" else None)
    if dockerfile_path is None:
        text = (dockerfile_text or "").rstrip("\n")
        delimiter = _delimiter(text)
        line = f"{line} <<'{delimiter}'\n{text}\n{delimiter}"
    notes = []
    if not Path(repo_path(context)).is_absolute():
        notes.append("from the repository's top folder")
    if edited:
        notes.append(f"after editing {', '.join(edited)} in a copy of the context: edit yours to see the same")
    if not dockerignore:
        notes.append("the lesson sent the context without applying .dockerignore; docker build always applies it, "
                     "so move the file aside to do the same")
    if secrets:
        notes.append(f"set the environment variable{'s' if len(secrets) > 1 else ''} {', '.join(secrets)} to the "
                     "secret's value first")
    return Command((line,), "; ".join(notes))


def docker_run(image: str, command: Sequence[str]) -> Command:
    """``docker run --rm IMAGE COMMAND...``: one container that runs ``command`` and is removed."""
    return Command((command_line(["docker", "run", "--rm", image, *command]),))


def docker_run_script(image: str, script: str) -> Command:
    """``docker run --rm IMAGE sh -c '<script>'``, the script as written (surrounding blank lines dropped)."""
    return docker_run(image, ["sh", "-c", script.strip("\n")])


def docker_service(image: str, port: int, path: str = "/health", name: str = "lpi-try") -> Command:
    """Start ``image`` in the background with container ``port`` published on a free local port,
    ask it for ``path`` with curl, then stop it (``--rm`` removes it)."""
    return Command((
        command_line(["docker", "run", "--rm", "-d", "--name", name, "-p", f"127.0.0.1::{port}", image]),
        f'curl "http://$(docker port {shlex.quote(name)} {port})"{shlex.quote(path)}',
        command_line(["docker", "stop", name]),
    ), "the container needs a moment to start: repeat the curl until it answers")


def docker_health(image: str, port: int, name: str = "lpi-health") -> Command:
    """Start ``image`` in the background, read its health status as the engine reports it, then remove it.

    ``docker inspect --format '{{.State.Health.Status}}'`` prints ``starting``, then ``healthy``
    or ``unhealthy``; ``docker ps`` shows the same in its STATUS column.
    """
    return Command((
        command_line(["docker", "run", "--rm", "-d", "--name", name, "-p", f"127.0.0.1::{port}", image]),
        command_line(["docker", "inspect", "--format", "{{.State.Health.Status}}", name]),
        command_line(["docker", "ps", "--filter", f"name={name}"]),
        command_line(["docker", "stop", name]),
    ), "repeat the inspect line: the status changes as the engine runs the checks")


def image_ls(label: str | None = None, repository: str | None = None) -> Command:
    """``docker image ls``, filtered by ``label`` (``name=value``) and/or ``repository`` when given."""
    argv = ["docker", "image", "ls"]
    if label:
        argv += ["--filter", f"label={label}"]
    if repository:
        argv.append(repository)
    return Command((command_line(argv),))


def history(ref: str) -> Command:
    """``docker history REF``: the image's layers, newest first, with the instruction that made each."""
    return Command((command_line(["docker", "history", ref]),))


def image_size(ref: str) -> Command:
    """The image's size and its layers: ``docker image inspect --format '{{.Size}}'`` and ``docker history``.

    The note says which store prints the course's measure (the layers' unpacked tars added up).
    """
    return Command(
        (command_line(["docker", "image", "inspect", "--format", "{{.Size}}", ref]), *history(ref).commands),
        "the overlay2 image store prints the course's measure; the containerd store prints another of the "
        "three sizes of lesson 2",
    )


def display_command(command: Command) -> None:
    """Display ``command``: collapsed HTML in a Jupyter kernel, its plain text everywhere else."""
    from .progress import in_kernel

    if in_kernel():
        from IPython.display import display

        display(command)
    else:
        print(repr(command), flush=True)
