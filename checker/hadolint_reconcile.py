"""Read hadolint's findings the way the course grades: stage by stage, and beside the course rules.

hadolint judges each stage as if it were the image that runs. Two kinds of its findings need a
second look, and each one we change keeps its rule id and says why in its message:

* **Final-image-only findings in a discarded stage.** Some rules judge only what the image
  that runs gets: its settings (the last USER, CMD/ENTRYPOINT, HEALTHCHECK, LABEL) or its size
  (package caches, recommended packages, layer count). In a stage the final image is not
  built FROM, those settings never reach a container and its layers are thrown away (what
  ``COPY --from`` takes from it is judged by the course rules), so such a finding becomes
  ``info`` there. See :data:`RUNTIME_SETTINGS` and :data:`IMAGE_SIZE`.
* **Findings that contradict a course rule on the same line.** Where a course rule has read the
  same line and passes it for a reason hadolint does not know (``PIP_NO_CACHE_DIR=off``, which
  pip reads as "no cache"; a shell-form CMD that starts with ``exec``; a clean-up LPI007 accepts;
  a root USER a later USER overrides; ``USER app``, which LPI012's fix recommends), the
  finding becomes ``info`` and names the course rule. See :data:`COUNTERPARTS`.

* **Shell findings on a heredoc fed to another program.** hadolint lints every RUN body as POSIX
  ``sh``; a body run by ``bash`` (``RUN <<EOT bash``) or by a program that is no shell (``python3``)
  gets ShellCheck's portability warnings that do not apply. See :func:`_heredoc_program_reason`.

Then :func:`fold` makes one finding of each same-line duplicate: where a course rule and a hadolint
rule of :data:`SAME_AS` flag the same line for the same reason, the learner reads one finding that
names both ids (``same as DL3020``), with the stricter of the two severities.

Pure: findings and the lint context in, findings out; nothing here runs hadolint.
"""

from __future__ import annotations

import re
from dataclasses import replace
from collections.abc import Iterable

from checker.dockerfile import Dockerfile, Instruction
from checker.dockerfile.model import SHELLS
from checker.dockerfile.syntax import without_heredoc_markers
from checker.findings import SEVERITIES, Finding
from checker.rules import Context

__all__ = ["COUNTERPARTS", "IMAGE_SIZE", "RUNTIME_SETTINGS", "SAME_AS", "fold", "reconcile", "shield_spans"]

#: hadolint rules that judge a setting of the image that runs, by id: what they judge.
RUNTIME_SETTINGS = {
    "DL3002": "the user the container runs as",
    "DL3066": "the user the container runs as",
    "DL3025": "how the container's command is started",
    "DL4003": "the container's command",
    "DL4004": "the container's entrypoint",
    "DL3012": "the container's health check",
    "DL3057": "the container's health check",
    **{f"DL30{number}": "the image's labels" for number in range(48, 57)},
}
#: hadolint rules that judge what the final image weighs, by id: what they weigh.
IMAGE_SIZE = {
    "DL3009": "apt's package lists",
    "DL3019": "apk's package index",
    "DL3042": "pip's download cache",
    "DL3032": "yum's cache",
    "DL3040": "dnf's cache",
    "DL3036": "zypper's cache",
    "DL3060": "yarn's cache",
    "DL3015": "apt's recommended packages",
    "DL3046": "the lastlog file useradd writes for a high UID",
    "DL3059": "the number of layers",
}
#: hadolint rules a course rule judges on the same line with more knowledge, by id: that rule.
COUNTERPARTS = {
    "DL3009": "LPI007", "DL3019": "LPI007", "DL3032": "LPI007", "DL3040": "LPI007",
    "DL3042": "LPI006",
}
#: hadolint rules that say what a course rule says, for the same reason, by id: that rule. Found by running
#: both on every fixture, solution and exercise (a pair on the same line that means different things, such as
#: DL3008's version pins beside LPI002's compilers, is not one).
SAME_AS = {
    "DL3020": "LPI017",  # ADD for local files: use COPY
    "DL3064": "LPI014",  # a secret in ARG or ENV
    "DL3006": "LPI009", "DL3007": "LPI009",  # the base image's tag: missing, or latest
    "DL3042": "LPI006",  # pip's download cache
    "DL3009": "LPI007", "DL3019": "LPI007", "DL3032": "LPI007", "DL3036": "LPI007", "DL3040": "LPI007",  # caches
    "DL3015": "LPI008",  # apt's recommended packages
    "DL3025": "LPI011",  # exec-form CMD/ENTRYPOINT
    "DL3002": "LPI012",  # the last USER is root
    "DL3022": "LPI016",  # COPY --from names no earlier stage
}
#: The values pip accepts for ``PIP_NO_CACHE_DIR``; every one of them turns the cache off
#: (``pip/_internal/cli/cmdoptions.py``, ``_handle_no_cache_dir``).
_PIP_BOOLEANS = frozenset({"y", "yes", "t", "true", "on", "1", "n", "no", "f", "false", "off", "0"})


def shield_spans(model: Dockerfile) -> list[tuple[int, int, str]]:
    """``(first_line, last_line, stand_in)`` for every instruction, for :func:`checker.hadolint.run_hadolint`.

    A FROM that hadolint cannot read is replaced by ``FROM scratch`` (with its ``AS`` name), so
    the stages hadolint sees stay the stages Docker builds; any other instruction by comments.
    """
    spans = []
    for instruction in model.instructions:
        stand_in = ""
        if instruction.keyword == "FROM":
            stage = model.stages[instruction.stage]
            stand_in = f"FROM scratch AS {stage.alias}" if stage.alias else "FROM scratch"
        spans.append((instruction.line, instruction.end_line, stand_in))
    return spans


def _instruction_at(model: Dockerfile, line: int) -> Instruction | None:
    for instruction in model.instructions:
        if instruction.line <= line <= instruction.end_line:
            return instruction
    return None


def _lines_flagged(ctx: Context, rule_id: str) -> set[int]:
    from checker.rules import REGISTRY

    return {finding.line for finding in REGISTRY[rule_id].check(ctx)}


def _pip_env_reason(ctx: Context, instruction: Instruction) -> str | None:
    """Why pip keeps no cache in this RUN when ``PIP_NO_CACHE_DIR`` says so, else None."""
    env: dict[str, str | None] = dict(ctx.dockerfile.env_at(instruction))
    for command in instruction.commands:
        for assignment in command.assignments:
            name, _, assigned = assignment.partition("=")
            env[name] = assigned
    value = env.get("PIP_NO_CACHE_DIR")
    if value is None or value.strip().lower() not in _PIP_BOOLEANS:
        return None
    return (f"PIP_NO_CACHE_DIR={value} is set for this RUN, and pip turns its cache off for every value it accepts, "
            f"false ones such as 'off' included (LPI006 explains the misleading spelling)")


def _contradiction(ctx: Context, finding: Finding, instruction: Instruction, flagged: dict[str, set[int]]) -> str | None:
    """Why a course rule passes what ``finding`` flags on a stage that ships, else None."""
    code, facts = finding.rule, ctx.facts
    if code == "DL3042":
        reason = _pip_env_reason(ctx, instruction)
        if reason:
            return reason
    counterpart = COUNTERPARTS.get(code)
    if counterpart:
        if counterpart not in flagged:
            flagged[counterpart] = _lines_flagged(ctx, counterpart)
        if instruction.line not in flagged[counterpart]:
            return (f"the course rule {counterpart} reads this RUN and finds {IMAGE_SIZE[code]} removed, disabled or "
                    f"kept in a cache mount, so nothing of it stays in the layer")
        return None
    if code == "DL3002":
        users = list(facts.shipping_instructions("USER"))
        if users and users[-1].index != instruction.index:
            return (f"a later USER (line {users[-1].line}) in the stages the final image is built from decides "
                    f"{RUNTIME_SETTINGS[code]}; the course rule LPI012 judges that one")
        return None
    if code == "DL3066":
        user = instruction.args.split()[0].split(":", 1)[0] if instruction.args.split() else ""
        if user in {"root", "0"}:
            return "root is user id 0 on every system; whether root is the right user is judged by LPI012 and DL3002"
        return ("the course accepts a user name here (LPI012's fix: USER app, or a numeric id): Docker resolves the "
                "name from the image's own /etc/passwd; a numeric id is only needed where a platform such as "
                "Kubernetes' runAsNonRoot must check the user without reading that file")
    heredoc_reason = _heredoc_program_reason(code, instruction)
    if heredoc_reason:
        return heredoc_reason
    if code == "DL3025":
        if instruction.keyword == "HEALTHCHECK":
            return ("a HEALTHCHECK command is not the container's main process and needs no signals, "
                    "so its shell form is harmless")
        if instruction.keyword in {"CMD", "ENTRYPOINT"} and not instruction.exec_form and instruction.args.lstrip().startswith("exec "):
            return ("the course rule LPI011 accepts a shell form that starts with exec: the shell replaces itself with "
                    "the app, which then receives docker stop's SIGTERM")
    return None


def _heredoc_program_reason(code: str, instruction: Instruction) -> str | None:
    """Why a shell finding is false on a RUN whose heredoc body goes to a named program, else None.

    hadolint hands every RUN body to ShellCheck as POSIX ``sh``, also ``RUN <<EOT bash`` (measured
    with hadolint 2.15: SC3040 on ``set -o pipefail``, DL4006 on a pipe after it). Under bash or zsh,
    ShellCheck's SC3xxx (features POSIX sh lacks) do not apply, nor DL4006 when the body sets pipefail
    itself; under a program that is no shell (``python3``) no ShellCheck finding applies.
    """
    program = instruction.heredoc_program
    if not program or program in {"sh", "dash", "ash"}:
        return None
    head = " ".join(without_heredoc_markers(instruction.args).split())
    said = (f"the heredoc on line {instruction.line} is run by {program} (RUN <<{instruction.heredocs[0].delimiter} {head}), "
            "not by /bin/sh")
    if program not in SHELLS:
        if code.startswith("SC") or code == "DL4006":
            return f"{said}: it is {program}'s input, not a shell script, so the shell's checks do not apply"
        return None
    if code.startswith("SC3"):
        return f"{said}, and {code} warns about a feature POSIX sh lacks, which {program} has"
    if code == "DL4006" and _PIPEFAIL.search("\n".join(doc.body for doc in instruction.heredocs)):
        return f"{said}, and the body sets pipefail itself"
    return None


#: ``set -o pipefail`` or a ``set`` whose short options join ``-o pipefail`` (``set -euo pipefail``).
_PIPEFAIL = re.compile(r"(?m)^\s*set\s+(?:-[A-Za-z]*o\s+|-[A-Za-z]+\s+-o\s+)pipefail\b")


def _stage_label(ctx: Context, instruction: Instruction) -> str:
    stage = ctx.dockerfile.stages[instruction.stage]
    return f"'{stage.alias}'" if stage.alias else f"{stage.index} (FROM {stage.base})"


def reconcile(findings: Iterable[Finding], ctx: Context) -> list[Finding]:
    """hadolint's ``findings`` read against the stages and the course rules (module docstring).

    Findings of other sources, of line 0 and of lines no instruction holds pass unchanged; a
    changed finding keeps its rule id and line, becomes ``info`` and ends with the reason.
    """
    model, facts = ctx.dockerfile, ctx.facts
    flagged: dict[str, set[int]] = {}
    out: list[Finding] = []
    for finding in findings:
        instruction = _instruction_at(model, finding.line) if finding.source == "hadolint" and finding.line > 0 else None
        if instruction is None or instruction.stage < 0:
            out.append(finding)
            continue
        code = finding.rule
        reason = _pip_env_reason(ctx, instruction) if code == "DL3042" else None
        if reason is not None:
            pass
        elif not facts.ships(instruction.stage) and (code in RUNTIME_SETTINGS or code in IMAGE_SIZE):
            where = f"line {instruction.line} is in the build stage {_stage_label(ctx, instruction)}, which the final image is not built FROM"
            if code in RUNTIME_SETTINGS:
                reason = f"{where}: its settings never reach the container that runs, and {code} judges {RUNTIME_SETTINGS[code]}"
            else:
                reason = (f"{where}: its layers are thrown away and only what COPY --from takes from it ships, so what "
                          f"{code} weighs here ({IMAGE_SIZE[code]}) does not reach the final image (the course rules judge what is copied)")
        else:
            reason = _contradiction(ctx, finding, instruction, flagged)
        if reason is None:
            out.append(finding)
            continue
        message = finding.message.rstrip(". ")
        out.append(replace(finding, severity="info", message=f"{message}. Advice only: {reason}."))
    return out


def fold(course: Iterable[Finding], hadolint: Iterable[Finding]) -> list[Finding]:
    """``course`` and ``hadolint`` findings with each same-line duplicate of :data:`SAME_AS` made one finding.

    The one kept is the stricter of the two (the course's on a tie: it has the course's hint and
    lesson); it keeps its own rule id and source, takes ``same_as`` = the other's id, and its message
    ends with ``(same as DL3020, which rates it error)``. Findings of other pairs or lines pass
    unchanged; the order is course findings, then hadolint's.
    """
    course, hadolint = list(course), list(hadolint)
    dropped: set[int] = set()
    out: list[Finding] = []
    for finding in course:
        twin_index = next((index for index, other in enumerate(hadolint)
                           if index not in dropped and other.line == finding.line and finding.line > 0
                           and SAME_AS.get(other.rule) == finding.rule), None)
        if twin_index is None:
            out.append(finding)
            continue
        twin = hadolint[twin_index]
        dropped.add(twin_index)
        keep, other = (twin, finding) if SEVERITIES.index(twin.severity) < SEVERITIES.index(finding.severity) \
            else (finding, twin)
        out.append(replace(keep, same_as=other.rule,
                           message=f"{keep.message.rstrip()} (same as {other.rule}, which rates it {other.severity})"))
    out.extend(finding for index, finding in enumerate(hadolint) if index not in dropped)
    return out
