"""HTML for notebooks: ``Report._repr_html_``. Self-contained, inline styles, everything escaped."""

from __future__ import annotations

import html

from . import (build_line, build_tail, engine_line, engine_size_note, human_bytes, layer_rows, mark, points, step_lines,
               result_text, sanitized, shown_findings, wasted_lines)

_OK = "#1a7f37"
_BAD = "#cf222e"
_GREY = "#6e7781"
#: The mark for each state of a check (:func:`checker.reporters.mark`).
_MARKS = {"pass": f"<span style='color:{_OK}'>&#10004;</span>", "fail": f"<span style='color:{_BAD}'>&#10008;</span>",
          "advice": "<span style='color:#0969da' title='advice, no points'>&#8505;</span>",
          "not judged": f"<span style='color:{_GREY}' title='not judged'>&#8211;</span>"}


#: Characters of a table cell shown before the rest is folded away (:func:`folded`).
FOLD_WIDTH = 100


def _e(text) -> str:
    return html.escape(str(text if text is not None else ""))


def folded(text, width: int = FOLD_WIDTH, label: str = "") -> str:
    """``text`` escaped for a table cell that stays short: when it is over ``width`` characters or has more
    than one line, its first line (cut at ``width``) opens a ``<details>`` that holds all of it, lines kept.
    ``label`` (HTML, such as ``<b>Fix:</b> ``) goes before the text, inside the summary when folded."""
    text = str(text if text is not None else "")
    first = text.strip().split("\n", 1)[0]
    if len(text) <= width and "\n" not in text.strip():
        return label + _e(text)
    shown = first if len(first) <= width else first[: width - 1].rstrip()
    return (f"<details class='lpi-fold'><summary>{label}{_e(shown)}&hellip;</summary>"
            f"<div style='white-space:pre-wrap'>{_e(text)}</div></details>")


def render(report, link_base: str = "") -> str:
    """``link_base`` goes before each lesson link (``notebooks/...``, relative to the repository)."""
    report = sanitized(report)
    if report.status == "error":
        return (f"<div style='border-left:4px solid {_BAD};padding:6px 10px'><b>Grading could not happen.</b> "
                f"{_e(report.error)}</div>")
    colour = _OK if report.passed else _BAD
    word = "Passed" if report.passed else "Not passed"
    said = (report.verdict or "").removeprefix(f"{word}: ")  # the verdict's own first word is the bold one
    parts = [f"<div class='lpi-report' style='font-family:sans-serif'>",
             f"<div style='border-left:4px solid {colour};padding:6px 10px;margin-bottom:8px'>"
             f"<b style='color:{colour}'>{word}</b>: {_e(said)}<br>"
             f"<small>{_e(report.rubric)}: score {points(report.score)}/{points(report.max_score)}, "
             f"pass mark {points(report.pass_score)}"
             + (f"; {points(report.not_judged_points)} points not judged (the grading machine's fault), left out of "
                f"the maximum" if report.not_judged_points else "") + "</small>"
             + "".join(f"<br><small class='lpi-{name}'>{_e(line)}</small>" for name, line in (
                 ("build", build_line(report)), ("engine", engine_line(report.engine, builder=not build_line(report))))
                 if line)
             + "</div>"]
    rows = []
    for check in report.checks:
        state = mark(check)
        title = (f"<a href='{_e(link_base + check.lesson)}' target='_blank'>{_e(check.title)}</a>"
                 if check.lesson else _e(check.title))
        advice = "" if check.passed or state == "not judged" else (
            f"<br><small>{folded(check.hint, label='<b>Fix:</b> ')}"
            + (f"<details class='lpi-why'><summary>Why it matters</summary>{_e(check.why)}</details>" if check.why else "")
            + "</small>")
        said = ("<i>advice, no points:</i> " if state == "advice" else "") + folded(result_text(check))
        rows.append(f"<tr><td>{_MARKS[state]}</td><td><code>{_e(check.id)}</code></td><td>{title}</td>"
                    f"<td style='text-align:right'>{points(check.points)}/{points(check.max_points)}</td>"
                    f"<td style='text-align:left'>{said}{advice}</td></tr>")
    parts.append("<table style='line-height:1.35'><thead><tr><th></th><th>check</th><th>title</th><th>points</th><th style='text-align:left'>"
                 "result</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    build = report.build
    if build is not None and not build.ok:
        if step_lines(build):  # a heredoc: its lines as written, then the error (its lines kept)
            parts.append(f"<p><b>Build failed</b> at line {build.failed_line}:</p><pre>{_e(build.failed_step)}</pre>"
                         f"<pre style='white-space:pre-wrap'>{_e(build.error)}</pre>")
        else:
            parts.append(f"<p><b>Build failed</b> at <code>{_e(build.failed_step or '?')}</code>: "
                         f"<span style='white-space:pre-wrap'>{_e(build.error)}</span></p>")
        if build.buildkit_note:
            parts.append(f"<p>{_e(build.buildkit_note)}</p>")
        if build.hint:
            parts.append(f"<p><b>Likely cause:</b> {_e(build.hint)}</p>")
        if build.error_lines:
            parts.append(f"<pre style='max-height:16em;overflow:auto'>{_e(chr(10).join(build.error_lines))}</pre>")
        tail = chr(10).join(build_tail(build))
        if tail:
            parts.append(f"<details><summary>Last lines of that step</summary>"
                         f"<pre style='max-height:16em;overflow:auto'>{_e(tail)}</pre></details>"
                         if build.error_lines else f"<pre style='max-height:16em;overflow:auto'>{_e(tail)}</pre>")
    shown = shown_findings(report)
    if shown:
        items = "".join(f"<li>line {finding.shown_line} <code>{_e(finding.rule)}</code> <b>{_e(finding.severity)}</b>: "
                        f"{_e(finding.shown_message)} <small>({_e(scoring)})</small></li>" for finding, scoring in shown)
        parts.append(f"<p><b>Findings</b> (errors and warnings, scored or not):</p><ul>{items}</ul>")
    image = report.image
    if image is not None:
        ratios = []
        if image.reference_size_bytes:
            ratios.append(f"{image.size_bytes / image.reference_size_bytes:.2f}&times; the reference "
                          f"({human_bytes(image.reference_size_bytes)})")
        if image.baseline_size_bytes:
            ratios.append(f"{image.size_bytes / image.baseline_size_bytes:.2f}&times; the single-stage baseline "
                          f"({human_bytes(image.baseline_size_bytes)})")
        if engine_size_note(image, report.engine):
            ratios.append(_e(engine_size_note(image, report.engine)))
        parts.append(f"<p><b>Image: {human_bytes(image.size_bytes)}</b> <small>({_e(image.measure)})</small>"
                     + (f"<br>{'; '.join(ratios)}" if ratios else "") + "</p>")
        hidden = wasted_lines(image)
        if hidden:
            parts.append("<p>Largest hidden files:</p><ul>" + "".join(f"<li>{_e(line)}</li>" for line in hidden) + "</ul>")
        rows_html = "".join(
            f"<tr><td style='text-align:right'>{human_bytes(size)}</td>"
            f"<td style='text-align:left'><code>{folded(label)}</code></td></tr>"
            for label, size in layer_rows(image)
        )
        parts.append(f"<details><summary>Layers</summary><table>{rows_html}</table></details>")
    parts.append("</div>")
    return "".join(parts)
