"""Plain text: ``Report.summary()`` and ``str(report)``; no colour, no terminal needed."""

from __future__ import annotations

from . import (build_line, build_tail, failed_at, engine_line, engine_size_note, human_bytes, layer_rows, mark,
               points, result_text, sanitized, shown_findings, step_lines, wasted_lines, where)

#: The text view's mark for each state of a check (:func:`checker.reporters.mark`).
MARKS = {"pass": "PASS", "fail": "FAIL", "advice": "INFO", "not judged": "----"}


def render(report) -> str:
    """Plain text: verdict, one line per check (PASS, FAIL, INFO for advice, ``----`` with "not judged: <why>"), what to fix
    (judged failures only, the build first), the failed build (the lines that explain it,
    a likely cause, the tail), image and layer sizes, every error and warning finding (scored or not), advice."""
    report = sanitized(report)
    lines: list[str] = []
    if report.status == "error":
        return f"Grading could not happen: {report.error}"
    lines.append(f"{report.verdict}")
    lines.append(f"Rubric: {report.rubric}  ({report.rubric_path})")
    if build_line(report):
        lines.append(build_line(report))
    lines.append("")
    width = max((len(check.id) for check in report.checks), default=8)
    for check in report.checks:
        state = mark(check)
        said = f"  ({result_text(check)})" if state == "not judged" else "  (advice, no points)" if state == "advice" else ""
        lines.append(f"  {MARKS[state]}  {check.id:<{width}}  {points(check.points):>4}/{points(check.max_points):<4} "
                     f"{check.title}{said}")
    lines.append(f"  {report.score_line()}")
    failed = report.to_fix
    if failed:
        lines.append("")
        lines.append("What to fix:")
        for check in failed:
            lines.append(f"- {check.id}: {check.title}")
            found, *more = check.message.splitlines() or [""]
            lines.append(f"    found: {found}")
            lines.extend(f"           {line}".rstrip() for line in more)  # a multi-line command, kept readable
            if check.id == "builds" and report.build is not None and report.build.hint \
                    and report.build.hint not in check.message:
                lines.append(f"    cause: {report.build.hint}")
            if check.why:
                lines.append(f"    why:   {check.why}")
            lines.append(f"    fix:   {check.hint}")
            if check.lesson:
                lines.append(f"    read:  {check.lesson}")
    build = report.build
    if build is not None and not build.ok:
        lines.append("")
        lines.append(f"Build failed after {build.seconds:.1f} s" + (f" at {failed_at(build)}" if failed_at(build) else ""))
        lines.extend(f"    | {line}".rstrip() for line in step_lines(build))
        if build.error:
            lines.extend(f"  {line}" for line in build.error.strip().splitlines())
        if build.buildkit_note:
            lines.append(f"  {build.buildkit_note}")
        if build.hint:
            lines.append(f"  Likely cause: {build.hint}")
        if build.error_lines:
            lines.append("  The lines that explain it:")
            lines.extend(f"    > {line}" for line in build.error_lines)
        tail = build_tail(build)
        if tail:
            lines.append("  Last lines of that step" + (" (those above left out):" if build.error_lines else ":"))
            lines.extend(f"    | {line}".rstrip() for line in tail)
    image = report.image
    if image is not None:
        lines.append("")
        lines.append(f"Image: {human_bytes(image.size_bytes)} ({image.measure})")
        if image.reference_size_bytes:
            lines.append(f"  reference solution: {human_bytes(image.reference_size_bytes)}; "
                         f"ratio {image.size_bytes / image.reference_size_bytes:.2f}")
        if image.baseline_size_bytes:
            lines.append(f"  single-stage baseline: {human_bytes(image.baseline_size_bytes)}; "
                         f"ratio {image.size_bytes / image.baseline_size_bytes:.2f}")
        note = engine_size_note(image, report.engine)
        if note:
            lines.append(f"  {note}")
        if image.wasted_bytes is not None:
            lines.append(f"  hidden by later layers: {human_bytes(image.wasted_bytes)}")
            lines.extend(f"    {line}" for line in wasted_lines(image))
        if image.efficiency is not None:
            lines.append(f"  efficiency of your layers (kept / written): {image.efficiency:.1%}")
        lines.append("  Layers (newest last):")
        for label, size in layer_rows(image):
            lines.append(f"    {human_bytes(size):>9}  {label[:100]}")
    shown = shown_findings(report)
    if shown:
        lines.append("")
        lines.append("Findings (errors and warnings, scored or not):")
        for finding, scoring in shown:
            lines.append(f"  {where(finding)} {finding.rule} {finding.severity}: {finding.shown_message}  [{scoring}]")
    if engine_line(report.engine, builder=not build_line(report)):
        lines.append("")
        lines.append(engine_line(report.engine, builder=not build_line(report)))
    advice_checks = [check for check in report.failed_checks if check.advice]
    advice = [f for f in report.findings if not f.blocking]
    if advice or advice_checks:
        lines.append("")
        lines.append("Advice (no points):")
        for check in advice_checks:
            lines.append(f"  {check.id}: {check.message}  fix: {check.hint}")
        for finding in advice[:10]:
            lines.append(f"  {where(finding)} {finding.rule}: {finding.shown_message}")
    return "\n".join(lines)
