"""The classic builder's driver: one build under a deadline, a pids limit, a disk watchdog, a log cap.

The wall-clock deadline is enforced here by the checker, not by an HTTP timeout: the build stream
is read in a worker thread; at the deadline (or on Ctrl-C, or when the caller's ``should_stop``
says so) the HTTP connection's socket is shut down. The engine sees the client go away, cancels
the build, kills the step's container and removes it; we then wait until that container is gone
and force-remove it if the engine did not. (Closing the SDK's generator from another thread does
nothing while the worker is blocked reading it; shutting the socket down is what unblocks both
sides.)
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import BinaryIO

from .buildlog import BuildLogParser
from .cleanup import discard_build
from .client import (
    APIError,
    ConnectionLost,
    EngineError,
    EngineUnavailable,
    RequestError,
    StreamingAPI,
    api,
    reset_connection,
    streaming_api,
    translated,
)
from .results import BuildLimits, BuildResult, BuildStep

LineCallback = Callable[[str], None]
"""Called with every non-blank line of the build log, as it comes."""
StopCheck = Callable[[BuildStep, str], "str | None"]
"""Called with the running step and every log line; a returned reason cuts the build there."""


class _LogBuffer:
    """Keeps the first and the last part of a log under a byte budget."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 1024)
        self.head: list[str] = []
        self.head_bytes = 0
        self.tail: deque[str] = deque()
        self.tail_bytes = 0
        self.dropped = 0

    def add(self, text: str) -> None:
        size = len(text.encode("utf-8", "replace"))
        if self.head_bytes + size <= self.limit // 2 and not self.tail:
            self.head.append(text)
            self.head_bytes += size
            return
        self.tail.append(text)
        self.tail_bytes += size
        while self.tail and self.tail_bytes > self.limit // 2:
            dropped = self.tail.popleft()
            self.tail_bytes -= len(dropped.encode("utf-8", "replace"))
            self.dropped += 1

    def text(self) -> str:
        middle = [f"\n[... {self.dropped} log chunks dropped: the log was over its size limit ...]\n"] if self.dropped else []
        return "".join(self.head + middle + list(self.tail))


def _response_socket(response) -> socket.socket | None:
    """The socket under a streaming requests response (unix socket or TCP).

    requests and urllib3 expose no public handle on it; these private attributes are the way to it
    for both transports docker-py uses.
    """
    try:
        raw = response.raw._fp.fp.raw  # socket.SocketIO for http+unix and plain TCP
    except AttributeError:
        raw = None
    sock = getattr(raw, "_sock", None)
    if isinstance(sock, socket.socket):
        return sock
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


class _Cut:
    """Cuts a running build from any thread (deadline, Ctrl-C, ``should_stop``)."""

    def __init__(self, api_: StreamingAPI) -> None:
        self.api = api_
        self.done = False

    def __call__(self) -> None:
        self.done = True
        response = self.api.response
        if response is None:
            return
        sock = _response_socket(response)
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            response.close()
        except Exception:
            pass


def _written_bytes(container_id: str) -> int | None:
    """Bytes a container has written to its writable layer (``SizeRw``); None when unknown."""
    try:
        with translated("Could not measure a build step"):
            rows = api().containers(all=True, filters={"id": container_id}, size=True)
    except EngineError:
        return None
    return int(rows[0].get("SizeRw") or 0) if rows else None


def _watch_build(worker: threading.Thread, timeout_s: float, steps: list[BuildStep], disk_limit: int) -> str | None:
    """Wait for the build until its deadline; stop it early when its RUN steps write too much.

    overlay2 has no disk quota without xfs project quotas, so every 2 s we ask the engine how
    much the running step's container has written (``SizeRw``) and add what earlier steps wrote
    (as last seen). Over ``disk_limit`` bytes the build is stopped with a reason. The count can lag
    by one poll (a few hundred MB at disk speed). Returns the reason, or None.
    """
    deadline = time.monotonic() + timeout_s
    written: dict[str, int] = {}
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        worker.join(min(2.0, left))
        if not worker.is_alive():
            return None
        current = steps[-1].container_id if (disk_limit and steps) else None
        if not current:
            continue
        size = _written_bytes(current)
        if size is None:
            continue
        written[current] = size
        if sum(written.values()) > disk_limit:
            return (f"The build wrote more than {disk_limit / 1e9:.1f} GB to disk (this engine's limit for one build) "
                    f"and was stopped at `{steps[-1].instruction}`.")


def _limit_step_container(api_: StreamingAPI, container_id: str, pids_limit: int) -> None:
    """Give a build step's container the pids limit the build API cannot set.

    The classic builder applies ``container_limits`` (memory) to RUN containers but no pids limit,
    so a fork bomb in a RUN could take every pid on the host. The engine names the container
    ("Running in <id>") right after creating it; we set ``PidsLimit`` on it then. The step may have
    forked a little before the update lands (well under a second); after it, no fork goes past
    the limit. Best effort: a step that already ended cannot be updated, which is fine.
    """
    try:
        # docker-py's public update_container() has no pids_limit; the engine's endpoint has.
        api_._post_json(api_._url("/containers/{0}/update", container_id), data={"PidsLimit": int(pids_limit)})
    except Exception:
        pass


def _reap_step_containers(steps: list[BuildStep], wait_s: float = 10.0) -> None:
    """After a cut build: wait for the engine to remove the step's container, remove it if not."""
    ids = [step.container_id for step in steps[-1:] if step.container_id]
    if not ids:
        return
    try:
        api_ = api()
    except EngineError:  # no engine to ask: nothing to wait for
        return
    deadline = time.monotonic() + wait_s
    for container_id in ids:
        while True:
            try:
                api_.inspect_container(container_id)
            except (APIError, RequestError):  # NotFound included: the engine removed it
                break
            if time.monotonic() > deadline:
                try:
                    api_.remove_container(container_id, force=True, v=True)
                except (APIError, RequestError):
                    pass
                break
            time.sleep(0.2)


def _result(
    parser: BuildLogParser,
    log: _LogBuffer,
    seconds: float,
    *,
    tag: str | None = None,
    error: str | None = None,
    at_step: bool = False,
    timed_out: bool = False,
    stopped: str | None = None,
) -> BuildResult:
    """The one place a classic build's result is made.

    ``ok`` when the parser saw the final image and nothing went wrong; ``at_step`` names the last
    step as the one that failed (with its last output lines).
    """
    ok = bool(parser.image_id) and error is None and stopped is None and not timed_out
    failed = parser.steps[-1] if (at_step and parser.steps and not ok) else None
    return BuildResult(
        ok=ok,
        image_id=parser.image_id if ok else None,
        tag=tag if ok else None,
        seconds=seconds,
        steps=parser.steps,
        log=log.text(),
        error=error,
        failed_step=failed.instruction if failed else None,
        timed_out=timed_out,
        stopped=stopped,
        failed_output="\n".join(failed.output) if failed else "",
    )


def classic_build(
    context: BinaryIO,
    *,
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
) -> BuildResult:
    """Build the tar ``context`` (positioned at its start) with the classic builder.

    ``labels`` are put on the image as given (the caller adds the owner label). Returns a
    :class:`BuildResult` for every outcome of the learner's Dockerfile (failure, deadline of
    ``deadline_s`` seconds, disk limit, ``should_stop``); raises EngineUnavailable when the
    engine stops answering and EngineError for other engine trouble. On Ctrl-C (or any
    BaseException while waiting) the build is cut, what it made is removed, and the exception
    goes on up.
    """
    build_api = streaming_api()
    cut = _Cut(build_api)
    log = _LogBuffer(limits.log_bytes)
    parser = BuildLogParser()
    state: dict = {"exc": None, "stopped": None}
    started = time.monotonic()

    def consume() -> None:
        try:
            stream = build_api.build(
                fileobj=context, custom_context=True, dockerfile=dockerfile, tag=tag,
                buildargs=build_args, labels=labels, target=target, nocache=nocache,
                rm=True, forcerm=True, pull=False, decode=True,
                network_mode=None if limits.network == "default" else limits.network,
                container_limits={"memory": limits.memory_bytes, "memswap": limits.memory_bytes},
                use_config_proxy=False,
            )
            for chunk in stream:
                if "stream" in chunk:
                    log.add(chunk["stream"])
                for line in parser.feed(chunk, time.monotonic()):
                    if line.started_container:
                        _limit_step_container(build_api, line.started_container, limits.pids)
                    if on_line is not None and not line.blank:
                        on_line(line.text)
                    if should_stop is not None and line.step is not None and state["stopped"] is None:
                        reason = should_stop(line.step, line.text)
                        if reason:
                            state["stopped"] = reason
                            cut()
                            return
                if "error" in chunk:
                    log.add(f"{parser.error}\n")
        except Exception as exc:  # surfaced to the caller below, in our own types
            state["exc"] = exc

    worker = threading.Thread(target=consume, name="lpi-build", daemon=True)
    try:
        worker.start()
        disk_error = _watch_build(worker, deadline_s, parser.steps, limits.disk_bytes)
        timed_out = worker.is_alive() and disk_error is None
        if worker.is_alive():
            cut()
            worker.join(15)
    except BaseException:
        # Ctrl-C or a signal while waiting: cut the build so the engine cancels it, then go on up.
        cut()
        worker.join(5)
        _reap_step_containers(parser.steps)
        try:  # the caller never gets a result to discard: remove the steps this build made
            discard_build(_result(parser, log, 0.0, error="The build was interrupted."))
        except Exception:
            pass
        raise
    finally:
        try:
            build_api.close()
        except Exception:
            pass

    parser.finish(time.monotonic())
    seconds = time.monotonic() - started
    if timed_out or disk_error is not None or state["stopped"] is not None or cut.done:
        _reap_step_containers(parser.steps)

    if timed_out:
        error = f"The build did not finish within {deadline_s:.0f} s and was stopped."
        return _result(parser, log, seconds, error=error, at_step=True, timed_out=True)
    if disk_error is not None:
        return _result(parser, log, seconds, error=disk_error, at_step=True)
    if state["stopped"] is not None:
        return _result(parser, log, seconds, stopped=state["stopped"])
    exc = state["exc"]
    if isinstance(exc, APIError):
        # The engine refused the request itself (e.g. a Dockerfile it cannot parse).
        return _result(parser, log, seconds, error=str(exc.explanation or exc))
    if exc is not None and cut.done:
        return _result(parser, log, seconds, error="The build was interrupted.", at_step=True)
    if isinstance(exc, ConnectionLost):
        reset_connection()
        raise EngineUnavailable(f"The Docker engine stopped answering during the build: {exc}") from exc
    if exc is not None:
        raise EngineError(f"The build could not run: {exc}") from exc
    if parser.error or not parser.image_id:
        return _result(parser, log, seconds, error=parser.error or "The build produced no image.", at_step=True)
    return _result(parser, log, seconds, tag=tag)
