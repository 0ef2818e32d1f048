"""The BuildKit builder's driver: ``docker buildx build --progress=rawjson`` against the engine.

Why the buildx CLI and not the API's ``POST /build?version=2``: BuildKit over the API needs a
gRPC session (``POST /session``, hijacked HTTP/2) for everything beyond a plain context: the
Dockerfile's secrets (``RUN --mount=type=secret``), SSH and the build-check call are served by
the client through that session, and docker-py has no such client (its issue 2230). buildx is
Docker's own client for it, is what a learner's ``docker build`` runs, and streams the same
``SolveStatus`` messages as JSON lines (``--progress=rawjson``), which :mod:`.bkstatus` reads. The
buildx used is the engine bundle's (Debian's ``docker-buildx``) or one in the docker CLI's plugin
folders (:func:`checker.engine.client.buildx_plugin`).

How the pieces of evidence and limits are kept, the same as :mod:`.classic`:

- context: the staged tar on buildx's standard input (``-``), so buildx sends exactly what staging
  made, the Dockerfile read from it (``-f <name>``): grades. BuildKit applies no ``.dockerignore``
  to a piped tar, so the Dockerfile and ``.dockerignore`` (always sent, for the builder to read)
  stay in ``COPY . .`` even where ``.dockerignore`` lists them; with ``local_context`` (the
  lessons) the tar is unpacked into a private folder given as a local context
  (``-f <folder>/<name> <folder>``), and buildx applies it as a learner's ``docker build .`` does;
- image: ``-t <tag>`` and ``--label`` for every label, loaded into the engine's image store
  (buildx's ``docker`` driver); provenance attestations off (``BUILDX_NO_DEFAULT_ATTESTATIONS``)
  so the image is one manifest, as a learner's plain ``docker build`` gives on Docker Engine;
- no proxy settings or credentials: buildx runs with an empty ``DOCKER_CONFIG`` of its own (no
  ``proxies``, no ``auths``) and an environment of ``PATH``, ``HOME`` and the engine address only;
- memory and pids of RUN steps: ``--cgroup-parent`` naming a cgroup made per build with the limits
  (:mod:`.cgroups`);
- deadline, Ctrl-C, ``should_stop``: buildx gets SIGINT (it cancels the solve, and the engine
  kills and removes the RUN container), then SIGKILL after a grace;
- log: the output lines of every step, capped like the classic one; BuildKit makes no
  intermediate images or containers visible to the API, so a failed build leaves nothing but
  BuildKit's cache (bounded by :func:`checker.engine.cleanup.prune_build_cache`).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
from typing import BinaryIO

from ..dockerfile import Dockerfile, ParseError, parse
from . import build_errors, cgroups
from .bkstatus import StatusParser
from .classic import LineCallback, StopCheck, _LogBuffer
from .client import APIError, EngineError, EngineUnavailable, RequestError, api, reset_connection
from .results import BuildLimits, BuildResult

#: Seconds buildx gets to cancel the build after SIGINT before it is killed.
CANCEL_GRACE_S = 10.0
#: Environment variables passed on to buildx (the engine's address and TLS files only).
ENGINE_ENV = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")


def _dockerfile_model(context: BinaryIO, dockerfile: str, build_args: dict[str, str]) -> Dockerfile | None:
    """The parsed Dockerfile at ``dockerfile`` in the tar ``context`` (left at its start); None when unreadable."""
    try:
        with tarfile.open(fileobj=context, mode="r:") as tar:
            member = tar.extractfile(dockerfile.removeprefix("./"))
            text = member.read() if member is not None else None
    except (tarfile.TarError, KeyError, OSError):
        text = None
    finally:
        context.seek(0)
    if text is None:
        return None
    try:
        return parse(text, build_args=build_args)
    except ParseError:
        return None


def buildx_command(
    plugin: str,
    *,
    dockerfile: str,
    tag: str,
    build_args: dict[str, str],
    labels: dict[str, str],
    target: str | None,
    nocache: bool,
    network: str,
    cgroup_parent: str | None,
    secret_files: dict[str, str] | None = None,
    call: str | None = None,
    context: str = "-",
) -> list[str]:
    """The buildx command line of one build of ``context``: a folder, or ``-`` for a tar on standard input.

    ``secret_files`` maps secret ids to files (``--secret id=...,src=...``); ``call`` is a
    ``--call`` value (``check,format=json``) instead of a build.
    """
    command = [plugin, "build", "--progress=rawjson", "-f", dockerfile, "--pull=false"]
    if call:
        command += ["--call", call]
    else:
        command += ["-t", tag]
    for key, value in build_args.items():
        command += ["--build-arg", f"{key}={value}"]
    for key, value in labels.items():
        command += ["--label", f"{key}={value}"]
    if target:
        command += ["--target", target]
    if nocache:
        command.append("--no-cache")
    if network and network != "default":
        command += ["--network", network]
    if cgroup_parent:
        command += ["--cgroup-parent", cgroup_parent]
    for secret_id, path in (secret_files or {}).items():
        command += ["--secret", f"id={secret_id},src={path}"]
    command.append(context)
    return command


def unpack_context(context: BinaryIO, folder: str) -> None:
    """Unpack the staged tar ``context`` (left at its start) into the empty ``folder``.

    The tar is staging's (:mod:`checker.staging`) or a lesson folder's: files, folders and symbolic
    links. A member named outside ``folder`` (absolute, or through ``..``) or that is no plain file,
    folder or link raises EngineError before anything is written. Links are kept as links, wherever
    they point (``docker build`` sends a virtualenv's ``bin/python -> /usr/local/bin/python3`` as it
    is), and are made last, so no file is ever written through one. Owners are not restored
    (everything belongs to the builder, as the CLI sends it).
    """
    root = os.path.realpath(folder)
    try:
        with tarfile.open(fileobj=context, mode="r:") as tar:
            members = tar.getmembers()
            for member in members:
                target = os.path.normpath(os.path.join(root, member.name))
                if os.path.isabs(member.name) or os.path.commonpath([root, target]) != root:
                    raise EngineError(f"The staged context holds {member.name!r}, outside the context.")
                if not (member.isfile() or member.isdir() or member.issym()):
                    raise EngineError(f"The staged context holds {member.name!r}, which is no file, folder or link.")
            for member in sorted(members, key=lambda found: found.issym()):
                tar.extract(member, root, set_attrs=not member.issym(), numeric_owner=True)
    except (tarfile.TarError, OSError) as exc:
        raise EngineError(f"The staged context could not be unpacked for BuildKit: {exc}") from exc
    finally:
        context.seek(0)


def buildx_env(config_dir: str) -> dict[str, str]:
    """buildx's environment: the engine's address, ``PATH``, and its own empty configuration in ``config_dir``."""
    env = {name: os.environ[name] for name in ENGINE_ENV if os.environ.get(name)}
    env.update(PATH=os.environ.get("PATH", "/usr/bin:/bin"), HOME=config_dir, DOCKER_CONFIG=config_dir,
               BUILDX_CONFIG=os.path.join(config_dir, "buildx"), BUILDX_NO_DEFAULT_ATTESTATIONS="1",
               BUILDX_METADATA_PROVENANCE="disabled")
    return env


def _die_with_parent() -> None:
    """In the forked child: get SIGKILL when the grader dies (Linux ``PR_SET_PDEATHSIG``).

    buildx runs in a session of its own (a terminal's Ctrl-C goes to the grader, which cancels it
    itself), so without this a grader killed with SIGKILL would leave buildx building on to the end
    and BuildKit would cache the step; a dead buildx drops its connection and the engine cancels the
    build at once (measured: the RUN's processes gone within 5 s). Elsewhere this does nothing.
    """
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


def _stop(process: subprocess.Popen) -> None:
    """SIGINT (buildx cancels the build), then SIGKILL after :data:`CANCEL_GRACE_S`."""
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGINT)
        process.wait(CANCEL_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    except OSError:
        pass


def buildkit_build(
    context: BinaryIO,
    *,
    plugin: str,
    dockerfile: str,
    tag: str,
    build_args: dict[str, str],
    labels: dict[str, str],
    target: str | None,
    nocache: bool,
    limits: BuildLimits,
    deadline_s: float,
    on_line: LineCallback | None = None,
    should_stop: StopCheck | None = None,
    secrets: dict[str, str] | None = None,
    local_context: bool = False,
) -> BuildResult:
    """Build the tar ``context`` (at its start) with BuildKit through the buildx CLI at ``plugin``.

    With ``local_context`` the tar is unpacked into a private folder given to buildx as a local
    context (``.dockerignore`` then applies as with ``docker build .``: the lessons); without it the
    tar goes on buildx's standard input (grades; BuildKit applies no ``.dockerignore`` to it, see
    docs/engines.md).

    Same contract as :func:`checker.engine.classic.classic_build`; besides, ``secrets`` (id ->
    value) are offered to ``RUN --mount=type=secret`` (written to a private temporary file, never
    to the context or an argument). Returns a :class:`BuildResult` (``builder="buildkit"``) for
    every outcome of the Dockerfile; raises EngineUnavailable when the engine stops answering
    and EngineError when buildx cannot run. On Ctrl-C (any BaseException while waiting) the build
    is cancelled and the exception goes on up.
    """
    model = _dockerfile_model(context, dockerfile, build_args)
    parser = StatusParser(model)
    log = _LogBuffer(limits.log_bytes)
    state: dict = {"stopped": None}
    notes: list[str] = []
    cgroup: cgroups.BuildCgroup | None = None
    if limits.step_cgroup:
        try:
            cgroup = cgroups.create(limits.memory_bytes, limits.pids)
        except cgroups.CgroupUnavailable as exc:
            notes.append(f"[checker] RUN steps are not limited in memory and processes here: {exc}.")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lpi-buildx-") as config_dir:
        secret_files = {}
        for secret_id, value in (secrets or {}).items():
            path = os.path.join(config_dir, f"secret-{len(secret_files)}")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
                handle.write(value)
            secret_files[secret_id] = path
        folder = "-"
        if local_context:
            folder = os.path.join(config_dir, "context")
            os.mkdir(folder, 0o700)
            unpack_context(context, folder)
        command = buildx_command(plugin, dockerfile=os.path.join(folder, dockerfile.removeprefix("./")) if local_context
                                 else dockerfile, tag=tag, build_args=build_args, labels=labels, target=target,
                                 nocache=nocache, network=limits.network,
                                 cgroup_parent=cgroup.parent if cgroup else None, secret_files=secret_files,
                                 context=folder)
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL if local_context else subprocess.PIPE,
                                       stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, env=buildx_env(config_dir), start_new_session=True,
                                       preexec_fn=_die_with_parent)
        except OSError as exc:
            raise EngineError(f"The BuildKit client (buildx at {plugin}) could not start: {exc}") from exc

        def consume() -> None:
            assert process.stderr is not None
            for raw in io.TextIOWrapper(process.stderr, encoding="utf-8", errors="replace"):
                for line in parser.feed(raw):
                    _take(line)
            for line in parser.finish():
                _take(line)

        def _take(line) -> None:
            if line.step is not None and not line.blank:
                log.add(line.text + "\n")
            elif line.step is None and line.text.startswith("ERROR"):
                log.add(line.text + "\n")
            if on_line is not None and not line.blank:
                on_line(line.text)
            if should_stop is not None and line.step is not None and state["stopped"] is None:
                reason = should_stop(line.step, line.text)
                if reason:
                    state["stopped"] = reason
                    threading.Thread(target=_stop, args=(process,), daemon=True).start()

        def feed_context() -> None:
            try:
                assert process.stdin is not None
                while chunk := context.read(1 << 20):
                    process.stdin.write(chunk)
            except (BrokenPipeError, OSError, ValueError):
                pass
            finally:
                try:
                    process.stdin.close()  # type: ignore[union-attr]
                except OSError:
                    pass

        writer = threading.Thread(target=feed_context, name="lpi-buildx-context", daemon=True)
        reader = threading.Thread(target=consume, name="lpi-buildx-status", daemon=True)
        timed_out = False
        try:
            if not local_context:
                writer.start()
            reader.start()
            try:
                process.wait(deadline_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                _stop(process)
            reader.join(15)
        except BaseException:
            _stop(process)
            reader.join(5)
            raise
        seconds = time.monotonic() - started
    for note in notes:
        log.add(note + "\n")
    _keep_cache_in_budget()
    return _result(parser, log, seconds, tag=tag, returncode=process.returncode, timed_out=timed_out,
                   stopped=state["stopped"], deadline_s=deadline_s)


def _result(parser: StatusParser, log: _LogBuffer, seconds: float, *, tag: str, returncode: int | None,
            timed_out: bool, stopped: str | None, deadline_s: float) -> BuildResult:
    """The one place a BuildKit build's result is made (the image id is the engine's, by tag)."""
    failed = parser.failed
    if timed_out or stopped:
        running = [step for step in parser.steps if step.ran]
        failed = running[-1] if running else (parser.steps[-1] if parser.steps else None)
    error: str | None = None
    if timed_out:
        error = f"The build did not finish within {deadline_s:.0f} s and was stopped."
    elif stopped is None and returncode != 0:
        error = build_errors.readable_error(parser.error) or "The build failed (the BuildKit client said nothing more)."
        _engine_gone(error)
    image_id = None
    if error is None and stopped is None:
        image_id = _image_id(tag)
        if image_id is None:
            error = "The build produced no image."
    ok = error is None and stopped is None
    if ok:
        failed = None
    return BuildResult(
        ok=ok, image_id=image_id if ok else None, tag=tag if ok else None, seconds=seconds, steps=parser.steps,
        log=log.text(), error=error, failed_step=failed.instruction if failed and not stopped else None,
        timed_out=timed_out, stopped=stopped, failed_output="\n".join(failed.output) if failed and not stopped else "",
        builder="buildkit", failed_line=failed.line if failed and not stopped else None,
    )


#: Seconds a build check may take (it parses the Dockerfile and resolves base images' metadata).
CHECK_DEADLINE_S = 60.0


def build_checks(context: BinaryIO, *, plugin: str, dockerfile: str, build_args: dict[str, str],
                 target: str | None = None, deadline_s: float = CHECK_DEADLINE_S) -> list[dict] | None:
    """Docker's build checks of the Dockerfile in the tar ``context`` (``--call=check,format=json``).

    Returns BuildKit's ``warnings`` (dicts with ``ruleName``, ``detail``, ``url``, ``location``),
    ``[]`` when there are none, or None when the checks could not run (a frontend older than 1.8,
    a Dockerfile it cannot parse, the deadline): checks are advice, never a reason to fail.
    ``context`` is read from its start and left at its start.
    """
    import json

    context.seek(0)
    with tempfile.TemporaryDirectory(prefix="lpi-buildx-") as config_dir:
        command = buildx_command(plugin, dockerfile=dockerfile, tag="", build_args=build_args, labels={},
                                 target=target, nocache=False, network="default", cgroup_parent=None,
                                 call="check,format=json")
        try:
            done = subprocess.run(command, input=context.read(), capture_output=True, env=buildx_env(config_dir),
                                  timeout=deadline_s, start_new_session=True)
        except (OSError, subprocess.TimeoutExpired):
            return None
        finally:
            context.seek(0)
    try:
        answer = json.loads(done.stdout.decode("utf-8", "replace") or "null")
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    return [warning for warning in answer.get("warnings") or [] if isinstance(warning, dict)]


#: Build-cache records used this recently are never pruned for the budget: the lessons rebuild
#: with an edit and expect the steps before it from the cache (a lesson 5 install was evicted
#: between two builds when the cache sat at its budget), and a class being graded shares its steps.
CACHE_IDLE_S = 1800


def _keep_cache_in_budget() -> None:
    """Shrink BuildKit's cache toward the course's cache budget (``LPI_CACHE_BUDGET``), taking only
    records idle for :data:`CACHE_IDLE_S` seconds; best effort."""
    from .. import settings as course_settings
    from .cleanup import prune_build_cache

    try:
        prune_build_cache(course_settings.load().cache_budget_bytes, idle_s=CACHE_IDLE_S)
    except (EngineError, ValueError):
        pass


def _engine_gone(error: str) -> None:
    """Raise EngineUnavailable when buildx's error says the engine did not answer."""
    lowered = error.lower()
    if "cannot connect to the docker daemon" in lowered or "connection refused" in lowered and "docker.sock" in lowered:
        reset_connection()
        raise EngineUnavailable(f"The Docker engine stopped answering during the build: {error}")


def _image_id(tag: str) -> str | None:
    """The engine's id of the image ``tag`` names, None when it has none."""
    try:
        return str(api().inspect_image(tag)["Id"])
    except (APIError, RequestError):
        return None
