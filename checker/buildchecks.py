"""Docker's own build checks (``docker buildx build --call=check,format=json``) as findings.

A third source of findings beside the course's rules and hadolint: ``source="buildkit"``. The
engine I/O (running the check) is :func:`checker.engine.buildkit.build_checks`; this module is
pure: BuildKit's warnings in, :class:`Finding` s out.

Every check finding is advice (severity ``info``): the same Dockerfile must get the same score
from an engine with BuildKit as from one without (the classic builder has no checks), so these
never deduct. Where a course rule covers the same thing (:data:`PAIRS`) and already flagged the
line, BuildKit's finding is dropped; where the course deliberately differs (a shell-form ``CMD``
that starts with ``exec``, which LPI011 accepts), the finding stays and says why the course
accepts it.
"""

from __future__ import annotations

from collections.abc import Iterable

from .dockerfile import Dockerfile
from .findings import Finding

#: BuildKit check -> the course rule that covers the same thing.
PAIRS: dict[str, str] = {
    "JSONArgsRecommended": "LPI011",
    "SecretsUsedInArgOrEnv": "LPI014",
    "CopyIgnoredFile": "LPI018",
}

_EXEC_ACCEPTED = ("The course's LPI011 accepts this line: a shell form that starts with `exec` replaces the shell, "
                  "so the app is PID 1 and receives SIGTERM; BuildKit checks only the form.")


def _line(warning: dict) -> int:
    """The first line BuildKit's ``location.ranges`` names (0 when it names none)."""
    try:
        return int(warning["location"]["ranges"][0]["start"]["line"])
    except (KeyError, IndexError, TypeError, ValueError):
        return 0


def _errors_on(model: Dockerfile | None) -> int | None:
    """The line of a ``# check=`` directive that sets ``error=true`` (build-check warnings fail the build), else None.

    Its value is ``;``-separated ``key=value`` pairs (``skip=A,B;error=true``), as in the Dockerfile reference,
    "Parser directives: check"; skipped checks never reach here (BuildKit does not report them).
    """
    if model is None or "check" not in model.directives:
        return None
    pairs = dict(part.split("=", 1) for part in model.directives["check"].split(";") if "=" in part)
    return model.directive_lines.get("check", 1) if pairs.get("error", "").strip().lower() == "true" else None


def findings_from_checks(warnings: Iterable[dict], course: Iterable[Finding], model: Dockerfile | None = None) -> list[Finding]:
    """Findings (``source="buildkit"``, severity ``info``) for BuildKit's check ``warnings``.

    ``warnings`` are the ``warnings`` entries of ``--call=check,format=json`` (``ruleName``,
    ``detail``, ``url``, ``location``); ``course`` the course's own findings for the same file,
    used to drop duplicates (:data:`PAIRS`, same line); ``model`` the parsed file, used to explain
    where the course differs. Sorted by line.
    """
    flagged = {(finding.rule, finding.line) for finding in course}
    by_line = {instruction.line: instruction for instruction in model.instructions} if model is not None else {}
    strict = _errors_on(model)
    found: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()
    for warning in warnings:
        name = str(warning.get("ruleName") or "BuildCheck")
        line = _line(warning)
        detail = str(warning.get("detail") or warning.get("description") or name).strip()
        paired = PAIRS.get(name)
        if paired is not None and (paired, line) in flagged:
            continue
        message = detail if detail.endswith(".") else detail + "."
        instruction = by_line.get(line)
        if (name == "JSONArgsRecommended" and instruction is not None and not instruction.exec_form
                and instruction.args.lstrip().startswith("exec ")):
            message += " " + _EXEC_ACCEPTED
        key = (name, line, message)
        if key in seen:
            continue
        seen.add(key)
        url = str(warning.get("url") or "")
        if strict:
            message += f" The file's `# check=error=true` (line {strict}) makes this fail the build."
        found.append(Finding(rule=name, severity="error" if strict else "info", line=line, message=message,
                             source="buildkit", hint=f"Docker's build check {name}: {url}" if url else None))
    return sorted(found, key=Finding.sort_key)
