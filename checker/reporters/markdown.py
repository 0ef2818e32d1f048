"""Markdown: for a pull-request comment, a job summary or a gradebook entry."""

from __future__ import annotations

from . import (build_line, build_tail, engine_line, engine_size_note, human_bytes, mark, points, step_lines,
               result_text, sanitized, shown_findings, wasted_lines)

#: The Markdown mark for each state of a check (:func:`checker.reporters.mark`).
MARKS = {"pass": "✅", "fail": "❌", "advice": "ℹ️", "not judged": "➖"}


def _cell(text: str) -> str:
    """``text`` on one line with ``|`` escaped, safe in a table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def render(report, link_base: str = "") -> str:
    """Markdown: a verdict heading, a table of checks and points, what to fix, the failing step (the lines that
    explain it, a likely cause), every error and warning finding (scored or not), the image size.

    ``link_base`` goes before each lesson link (``notebooks/...``, relative to the repository): ``""`` where the
    page is read from the repository root (a pull request, a job summary), ``../../`` for a page two folders down.
    """
    report = sanitized(report)
    if report.status == "error":
        return f"**Grading could not happen:** {_cell(report.error or '')}\n"
    verdict = report.verdict or ("Passed" if report.passed else "Not passed")
    out = [f"### {'✅' if report.passed else '❌'} {_cell(verdict)}", ""]
    out.append("| | Check | Points | Result |")
    out.append("| --- | --- | --- | --- |")
    for check in report.checks:
        title = f"[{_cell(check.title)}]({link_base}{check.lesson})" if check.lesson else _cell(check.title)
        state = mark(check)
        said = ("*advice, no points:* " if state == "advice" else "") + _cell(result_text(check))
        out.append(f"| {MARKS[state]} | `{check.id}` {title} | {points(check.points)}/{points(check.max_points)} | {said} |")
    left_out = (f"; {points(report.not_judged_points)} points not judged (the grading machine's fault), "
                f"left out of the maximum" if report.not_judged_points else "")
    out.append(f"| | **Score** | **{points(report.score)}/{points(report.max_score)}** | pass mark "
               f"{points(report.pass_score)}{left_out} |")
    failed = report.to_fix
    if failed:
        out += ["", "#### What to fix", ""]
        for check in failed:
            out.append(f"- **{_cell(check.title)}** (`{check.id}`): {_cell(check.hint or check.message)}"
                       + (f" *Why:* {_cell(check.why)}" if check.why else ""))
    build = report.build
    if build is not None and not build.ok and (build.error_lines or build.log_tail):
        if step_lines(build):  # a heredoc: its lines as written, in a fenced block
            out += ["", f"Failing step (line {build.failed_line}):", "", "```dockerfile", *step_lines(build), "```", ""]
        else:
            out += ["", f"Failing step: `{_cell(build.failed_step or '?')}`", ""]
        if build.hint:
            out += [f"Likely cause: {_cell(build.hint)}", ""]
        out += ["```", "\n".join(build.error_lines) if build.error_lines else "\n".join(build_tail(build)), "```"]
    shown = shown_findings(report)
    if shown:
        out += ["", "#### Findings (errors and warnings, scored or not)", ""]
        out += [f"- line {finding.shown_line} `{finding.rule}` {finding.severity}: {_cell(finding.shown_message)} *({scoring})*"
                for finding, scoring in shown]
    if report.image is not None:
        out += ["", f"Image size: **{human_bytes(report.image.size_bytes)}** ({report.image.measure})."]
        if engine_size_note(report.image, report.engine):
            out.append(f"Note: {_cell(engine_size_note(report.image, report.engine))}.")
        hidden = wasted_lines(report.image)
        if hidden:
            out += ["", "Largest hidden files:", ""] + [f"- {_cell(line)}" for line in hidden]
    if build_line(report):
        out += ["", build_line(report)]
    if engine_line(report.engine, builder=not build_line(report)):
        out += ["", engine_line(report.engine, builder=not build_line(report))]
    return "\n".join(out) + "\n"
