"""Checks on the running container: it starts and answers GET /health."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from checker.checks.base import Evidence, Outcome, dynamic_check, listing, not_run
from checker.probes import unreadable
from checker.probes.command import PERMISSION_FIX

#: The dynamic loader's words when a native extension's shared library is missing (Python re-raises them as
#: ``ImportError: libpq.so.5: cannot open shared object file: No such file or directory``).
_MISSING_LIBRARY_RE = re.compile(r"(lib[\w.+-]*\.so(?:\.\d+)*): cannot open shared object file")
#: A line where Python names the exception that ended it: ``ImportError: libpq.so.5: cannot open ...``.
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b(?::|$)")


@dynamic_check("health", lesson="06_safer_images.ipynb#exec-form-cmd", needs=("health", "filesystem"),
               path="/health", port=8000, deadline_s=30)
def health(evidence: Evidence, params: Mapping[str, Any]) -> Outcome:
    """The container starts and answers GET /health.

    Why it matters:
        An image that builds but does not serve is not done. The container is started exactly
        as a platform would start it (its own CMD, USER and ENV) and must answer within a
        deadline.
    How to fix:
        Use an exec-form CMD that starts the server on 0.0.0.0 and the course's port (8000):
        CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]. Run the image locally
        and read its output for the error. When the message names a missing interpreter, create
        the venv at the path it runs from; when it names a permission, copy the files where the
        image's user can read them.
    """
    facts = evidence.health
    if facts is None:
        return not_run("there is no image")
    if facts.machine:
        return not_run(facts.error or "the health probe itself failed", machine=True)
    if facts.ok:
        return Outcome(True, f"GET {facts.path} answered 200 after {facts.seconds:.1f} s (port {facts.port}, "
                             f"reached via {facts.reached_via}).", {"seconds": round(facts.seconds, 3)})
    logs = [line.strip() for line in facts.logs.strip().splitlines() if line.strip() and "<" not in line[:3]]
    raised = [line for line in logs if _EXCEPTION_LINE.match(line)]
    tail = raised[-1] if raised else " | ".join(logs[-2:])  # a traceback's last line says what went wrong
    details: dict[str, object] = {"status": facts.status, "exit_code": facts.exit_code, "logs": facts.logs[-2000:]}
    message = f"{facts.error}" + (f" Last output: {tail}" if tail else "")
    command = evidence.command
    if command is not None and command.problem:
        # The engine's own words ("exec /opt/venv/bin/uvicorn: no such file or directory") name a
        # file that exists; the chain resolved in the image names the link that is really missing.
        kind = "may not use" if command.denied else "cannot start"
        message += f" Why: the command {kind} what it needs, as {command.user}: {command.problem}."
        details.update(chain=command.chain, problem=command.problem)
    elif (missing := _MISSING_LIBRARY_RE.search(facts.logs)) is not None:
        # The container died importing a native extension: the fix is a runtime library, not the CMD.
        library = missing.group(1)
        message += (f" Why: a native extension cannot load {library}, which the final image lacks (native_libs "
                    f"names each missing library). Fix: install the runtime package that provides {library} in the "
                    "final stage (for libpq.so.5: libpq5, with --no-install-recommends), not its -dev package.")
        details.update(missing_library=library)
    elif command is not None and evidence.filesystem is not None and evidence.image is not None:
        denied = unreadable(evidence.filesystem, command.user, [evidence.image.workdir or "", *evidence.filesystem.venvs])
        if denied:
            message += (f" Files the app needs exist but {command.user} cannot read them: {listing(list(denied.values()), 2)}."
                        f" Fix: {PERMISSION_FIX}.")
            details.update(denied=denied)
    return Outcome(False, message, details)
