"""The library API of the static checker: ``lint()`` a Dockerfile, get one :class:`LintResult`.

Pure analysis: nothing here talks to a Docker engine. hadolint runs as a subprocess unless
``with_hadolint=False``; if it cannot run, the result says so in ``hadolint_error`` and the
course rules still stand.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from collections.abc import Mapping

from checker.dockerfile import INSTRUCTIONS, Dockerfile, ParseError, parse
from checker.dockerignore import DockerIgnore, DockerIgnoreError
from checker.findings import BLOCKING, SEVERITIES, Finding
from checker.hadolint import UNREADABLE_PREFIX
from checker.rules import Context, all_rules
from checker.rules.buildkit import needs_buildkit

__all__ = ["LintResult", "RuleResult", "lint", "needs_buildkit", "read_context"]


@dataclass(frozen=True)
class RuleResult:
    """How one course rule judged the Dockerfile."""

    rule: str
    """The rule id, e.g. ``LPI012``."""
    passed: bool
    """False when the rule found an ``error`` or ``warning``; ``info``/``style`` findings still pass."""
    findings: tuple[Finding, ...] = ()
    """Everything the rule said, advice included."""

    def to_dict(self) -> dict[str, object]:
        """``{"rule", "passed", "findings": [Finding.to_dict(), ...]}``: plain data for JSON."""
        return {"rule": self.rule, "passed": self.passed, "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True)
class LintResult:
    """What the static checker says about one Dockerfile."""

    path: str | None
    """Where the Dockerfile was read from; None when it was given as text."""
    parse_error: ParseError | None = None
    """Set when the file could not be parsed; then no rule ran and ``rule_results`` is empty."""
    findings: tuple[Finding, ...] = ()
    """Course and hadolint findings together, sorted by line, then severity."""
    rule_results: Mapping[str, RuleResult] = field(default_factory=lambda: MappingProxyType({}))
    """Every course rule's verdict, by rule id."""
    hadolint_error: str | None = None
    """Why hadolint gave no answer (not installed, timed out...); None when it ran or was not asked."""
    buildkit_lines: tuple[tuple[int, str], ...] = ()
    """Lines that need BuildKit, as ``(line, feature)``: the likely cause of a classic-builder failure."""
    dockerfile: Dockerfile | None = field(default=None, repr=False, compare=False)
    """The parsed model, for callers that want to look further."""

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of ``error`` severity, in report order."""
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def passed(self) -> bool:
        """True when the file parsed and nothing has error severity."""
        return self.parse_error is None and not self.errors

    def counts(self) -> dict[str, int]:
        """How many findings of each severity, every severity present (``{"error": 0, ...}``)."""
        counts = {severity: 0 for severity in SEVERITIES}
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def to_dict(self) -> dict[str, object]:
        """The result as plain data for ``lean-check lint --format json`` (parse error, counts, findings, rules)."""
        return {
            "path": self.path,
            "passed": self.passed,
            "parse_error": self.parse_error.to_dict() if self.parse_error else None,
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
            "rules": {rule_id: result.to_dict() for rule_id, result in self.rule_results.items()},
            "hadolint_error": self.hadolint_error,
            "buildkit_lines": [{"line": line, "feature": feature} for line, feature in self.buildkit_lines],
        }

    def verdict(self) -> str:
        """The totals line's verdict, worded after the exit status (0 unless something has error severity).

        ``errors found: 1 error, 2 warnings``; ``no errors (exit 0), but 2 warnings to read`` when only
        warnings (and advice) were found; ``ok: nothing found`` or ``ok: no errors or warnings, 1 info``
        otherwise: "ok" is said only when no error and no warning was found.
        """
        counts = self.counts()
        found = [_count(counts[severity], severity) for severity in SEVERITIES if counts[severity]]
        if self.parse_error is not None:
            return "errors found: the Dockerfile does not parse"
        if counts["error"]:
            return "errors found: " + ", ".join(found)
        if counts["warning"]:
            return "no errors (exit 0), but " + ", ".join(found) + " to read"
        said = "ok: " + ("no errors or warnings, " + ", ".join(found) if found else "nothing found")
        return said + (" by the course rules (hadolint did not run)" if self.hadolint_error else "")

    def summary(self) -> str:
        """A plain-text report: one line per finding with its fix (a file-level one on line 1 with the note every
    format shares), then the totals."""
        name = self.path or "Dockerfile"
        if self.parse_error is not None:
            where = f":{self.parse_error.line}" if self.parse_error.line else ""
            return f"{name}{where}: cannot read this Dockerfile: {self.parse_error.message}"
        lines = []
        for finding in self.findings:
            lines.append(f"{name}:{finding.shown_line}  {finding.severity:<7}  {finding.rule:<7}  {finding.shown_message}")
            if finding.hint:
                lines.append(f"{'':>{len(name) + 1}}   how to fix: {finding.hint}")
        if self.hadolint_error:
            lines.append(f"hadolint did not run: {self.hadolint_error}")
        passed = sum(result.passed for result in self.rule_results.values())
        lines.append(f"{name}: {self.verdict()}; course rules passed {passed}/{len(self.rule_results)}.")
        return "\n".join(lines)

    __str__ = summary

    def _repr_html_(self) -> str:
        if self.parse_error is not None:
            return f"<p><b>Cannot read this Dockerfile</b>: {html.escape(str(self.parse_error))}</p>"
        rows = "".join(
            f"<tr><td>{f.shown_line}</td><td>{f.severity}</td><td>{html.escape(f.rule)}</td>"
            f"<td>{html.escape(f.shown_message)}</td><td>{html.escape(f.hint or '')}</td></tr>"
            for f in self.findings
        )
        head = "<tr><th>line</th><th>severity</th><th>rule</th><th>what</th><th>how to fix</th></tr>"
        return f"<p>{html.escape(self.path or 'Dockerfile')}: {html.escape(self.verdict())}</p><table>{head}{rows}</table>"


def _count(number: int, severity: str) -> str:
    """``1 warning``, ``2 warnings``, ``1 info``, ``2 style`` (info and style stay as they are)."""
    plural = number != 1 and severity in {"error", "warning"}
    return f"{number} {severity}{'s' if plural else ''}"


def _read_source(source: str | bytes | os.PathLike[str]) -> tuple[bytes | str, str | None]:
    if isinstance(source, bytes):
        return source, None
    if isinstance(source, os.PathLike):
        path = Path(source)
        return path.read_bytes(), str(path)
    if "\n" in source:
        return source, None
    if Path(source).is_file():
        return Path(source).read_bytes(), source
    first = source.split(None, 1)[0].upper() if source.split() else ""
    if first in INSTRUCTIONS or not source.strip():
        return source, None
    raise FileNotFoundError(f"No Dockerfile at {source}.")


def read_context(context_dir: str | os.PathLike[str]) -> tuple[str | None, tuple[str, ...]]:
    """The context's .dockerignore text (None if absent) and its virtualenv directories.

    The file is read by THE reader (:meth:`checker.dockerignore.DockerIgnore.read`); a file whose
    patterns Docker rejects is still returned, for the rules to report. Raises DockerIgnoreError
    when the reader refuses the file itself (over 1 MiB, a link leaving the context...).
    """
    root = Path(context_dir)
    try:
        text = DockerIgnore.read(root).text
    except DockerIgnoreError as error:
        if error.text is None:
            raise
        text = error.text
    return text, _venvs(root)


def _venvs(root: Path) -> tuple[str, ...]:
    """The top-level folders of ``root`` that are virtual environments (they hold ``pyvenv.cfg``)."""
    venvs = []
    try:
        for child in sorted(root.iterdir()):
            if child.is_dir() and not child.is_symlink() and (child / "pyvenv.cfg").is_file():
                venvs.append(child.name)
    except OSError:
        pass
    return tuple(venvs)


def _soften_parse_failures(findings: list[Finding]) -> list[Finding]:
    """Our parser read the file, so a hadolint parse failure (DL1000) is hadolint's limit, not the learner's error."""
    softened = []
    for finding in findings:
        if finding.rule == "DL1000" and not finding.message.startswith(UNREADABLE_PREFIX):
            message = "hadolint could not parse this file, so none of its checks ran: " + " ".join(finding.message.split())
            finding = replace(finding, severity="info", message=message)
        softened.append(finding)
    return softened


def lint(
    dockerfile: str | bytes | os.PathLike[str],
    *,
    dockerignore: str | DockerIgnore | None = None,
    context_dir: str | os.PathLike[str] | None = None,
    build_args: Mapping[str, str] | None = None,
    with_hadolint: bool = True,
    buildkit: bool | None = None,
) -> LintResult:
    """Lint a Dockerfile given as a path, as text, or as bytes.

    The build context decides what the .dockerignore rules see: ``dockerignore`` if given (its
    text, or a :class:`~checker.dockerignore.DockerIgnore` already read, e.g. by staging, so the
    file is read once per grade), else ``context_dir``'s .dockerignore, else the directory of the
    Dockerfile when it was read from a path. For text with neither, the context is unknown and
    those rules stay silent. A ``DockerIgnore`` whose file does not exist means "no .dockerignore".
    ``buildkit=True`` says the grading engine has BuildKit, which silences LPI015; ``False`` that it was
    measured to build with the classic builder; ``None`` (the default): no engine was asked, so LPI015
    names the classic builder's limit without claiming this engine has it.
    """
    raw, path = _read_source(dockerfile)
    venvs: tuple[str, ...] = ()
    context_known = dockerignore is not None
    if dockerignore is None and context_dir is None and path is not None:
        context_dir = Path(path).parent
    if context_dir is not None and dockerignore is not None:
        venvs = _venvs(Path(context_dir))  # the .dockerignore was read already: not again
    elif context_dir is not None:
        try:
            dockerignore, venvs = read_context(context_dir)
            context_known = True
        except DockerIgnoreError:  # refused by the reader: staging says why when a grade builds it
            venvs = _venvs(Path(context_dir))
    if isinstance(dockerignore, DockerIgnore):
        dockerignore = dockerignore.text
    try:
        model = parse(raw, build_args=build_args)
    except ParseError as error:
        return LintResult(path=path, parse_error=error)
    ctx = Context(
        dockerfile=model, dockerignore=dockerignore, context_known=context_known,
        build_args=MappingProxyType(dict(build_args or {})), context_venvs=venvs, buildkit=buildkit,
    )
    results: dict[str, RuleResult] = {}
    findings: list[Finding] = []
    for rule in all_rules():
        found = tuple(rule.check(ctx))
        results[rule.id] = RuleResult(rule.id, not any(f.severity in BLOCKING for f in found), found)
        findings.extend(found)
    hadolint_error = None
    if with_hadolint:
        from checker.hadolint import HadolintError, run_hadolint
        from checker.hadolint_reconcile import fold, reconcile, shield_spans

        ends = [instruction.end_line for instruction in model.instructions if instruction.heredocs]
        try:
            from_hadolint = run_hadolint(model.text, heredoc_end_lines=ends, instruction_spans=shield_spans(model))
            findings = fold(findings, reconcile(_soften_parse_failures(from_hadolint), ctx))
        except HadolintError as error:
            hadolint_error = str(error)
    return LintResult(
        path=path, findings=tuple(sorted(findings, key=Finding.sort_key)),
        rule_results=MappingProxyType(results), hadolint_error=hadolint_error,
        buildkit_lines=tuple(needs_buildkit(model)), dockerfile=model,
    )
