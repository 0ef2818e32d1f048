"""The terminal view (rich): a scored table, each failed check with why and how to fix, the image
size with its layers; and :class:`Progress`, which shows the build while it runs."""

from __future__ import annotations

import io
import sys

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from . import (build_line, build_tail, failed_at, step_lines, engine_line, engine_size_note, human_bytes, layer_rows, mark, points,
               result_text, sanitized, shown_findings, wasted_lines)

#: The terminal's mark and colour for each state of a check (:func:`checker.reporters.mark`).
MARKS = {"pass": ("✔", "green"), "fail": ("✘", "red"), "advice": ("ℹ", "blue"), "not judged": ("–", "dim")}


def renderable(report):
    """A rich renderable (``Group`` or ``Panel``) of ``report``: checks table (✔, ✘, ℹ for advice, – with "not judged:
    <why>"), a panel per judged failure (the build first), build (a likely cause, the lines that explain its failure,
    the tail without them), every error and warning finding, layers."""
    report = sanitized(report)
    if report.status == "error":
        return Panel(Text(f"Grading could not happen: {report.error}", style="bold red"), border_style="red")
    table = Table(title=f"{report.rubric}", title_justify="left", expand=False)
    table.add_column("", width=2)
    table.add_column("check", style="cyan", no_wrap=True)
    table.add_column("title")
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("result", overflow="fold")
    for check in report.checks:
        state = mark(check)
        said = ("advice, no points: " if state == "advice" else "") + result_text(check)
        table.add_row(Text(*MARKS[state]), check.id, check.title, f"{points(check.points)}/{points(check.max_points)}",
                      Text(said, style="dim") if state == "not judged" else said)
    colour = "green" if report.passed else "red"
    items = [table, Text(f"{report.score_line()}: {report.verdict}", style=f"bold {colour}")]
    for check in report.to_fix:
        body = Text()
        body.append("Found: ", style="bold")
        body.append(check.message + "\n")
        if check.why:
            body.append("Why it matters: ", style="bold")
            body.append(check.why + "\n")
        body.append("How to fix: ", style="bold")
        body.append(check.hint)
        if check.lesson:
            body.append(f"\nLesson: {check.lesson}", style="dim")
        items.append(Panel(body, title=Text(f"✘ {check.id}: {check.title}"), title_align="left", border_style="red"))
    build = report.build
    if build is not None and not build.ok:
        body = Text("".join(f"| {line}\n" for line in step_lines(build)), style="dim")
        body.append(f"{build.error or ''}".strip() + "\n")
        if build.buildkit_note:
            body.append(build.buildkit_note + "\n", style="yellow")
        if build.hint:
            body.append("Likely cause: ", style="bold")
            body.append(build.hint + "\n")
        if build.error_lines:
            body.append("The lines that explain it:\n", style="bold")
            body.append("\n".join(build.error_lines) + "\n", style="bold")
        tail = build_tail(build)
        if tail:
            body.append("Last lines of that step" + (" (those above left out):\n" if build.error_lines else ":\n"), style="bold")
            body.append("\n".join(tail), style="dim")
        where_failed = failed_at(build)
        items.append(Panel(body, title=Text("Build failed" + (f" at {where_failed}" if where_failed else "")),
                           title_align="left", border_style="red"))
    shown = shown_findings(report)
    if shown:
        body = Text()
        for number, (finding, scoring) in enumerate(shown):
            body.append(("\n" if number else "") + f"line {finding.shown_line} {finding.rule} ")
            body.append(finding.severity, style="red" if finding.severity == "error" else "yellow")
            body.append(f": {finding.shown_message} ")
            body.append(f"[{scoring}]", style="dim")
        items.append(Panel(body, title="Findings (errors and warnings, scored or not)", title_align="left",
                           border_style="yellow"))
    image = report.image
    if image is not None:
        layers = Table(title=f"Image {human_bytes(image.size_bytes)} ({image.measure})", title_justify="left",
                       show_header=True)
        layers.add_column("size", justify="right", no_wrap=True)
        layers.add_column("made by", overflow="ellipsis", no_wrap=True, max_width=100)
        for label, size in layer_rows(image):
            layers.add_row(human_bytes(size), label)
        items.append(layers)
        facts = []
        if image.reference_size_bytes:
            facts.append(f"{image.size_bytes / image.reference_size_bytes:.2f}x the reference ({human_bytes(image.reference_size_bytes)})")
        if image.baseline_size_bytes:
            facts.append(f"{image.size_bytes / image.baseline_size_bytes:.2f}x the single-stage baseline ({human_bytes(image.baseline_size_bytes)})")
        if image.wasted_bytes is not None:
            facts.append(f"{human_bytes(image.wasted_bytes)} hidden under later layers")
        if image.efficiency is not None:
            facts.append(f"efficiency {image.efficiency:.1%}")
        if engine_size_note(image, report.engine):
            facts.append(engine_size_note(image, report.engine))
        if facts:
            items.append(Text("; ".join(facts)))
        if wasted_lines(image):
            items.append(Text("Largest hidden files:\n" + "\n".join("  " + line for line in wasted_lines(image))))
    if build_line(report):
        items.append(Text(build_line(report), style="dim"))
    if engine_line(report.engine, builder=not build_line(report)):
        items.append(Text(engine_line(report.engine, builder=not build_line(report)), style="dim"))
    return Group(*items)


def render(report, width: int = 120) -> str:
    """:func:`renderable` printed without colour to a string, ``width`` characters wide."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=False, color_system=None).print(renderable(report))
    return buffer.getvalue()


def show(report, console: Console | None = None) -> None:
    """Print :func:`renderable` on ``console`` (default: a new stdout console, colour if it is a terminal)."""
    (console or Console()).print(renderable(report))


class Progress:
    """Build progress while it runs: the current phase and the last build line, on one live line.

    A context manager. On a terminal the line updates in place (and disappears on exit); elsewhere
    each phase and each ``Step`` line is printed to stderr.
    """

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.phase = "Starting"
        self.line = ""
        self.live = Live(self._render(), console=self.console, transient=True, refresh_per_second=8) \
            if self.console.is_terminal else None

    def _render(self):
        return Text.assemble((f"{self.phase} ", "bold"), (self.line[-110:], "dim"))

    def __enter__(self):
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.__exit__(*exc)

    def on_phase(self, message: str) -> None:
        """Show that grading entered a new phase (``message``: one line); the build line is cleared."""
        self.phase = message
        self.line = ""
        if self.live:
            self.live.update(self._render())
        else:
            print(f"[lean-check] {message}", file=sys.stderr, flush=True)

    def on_line(self, line: str) -> None:
        """Show one line of build output (off a terminal, only ``Step`` lines are printed)."""
        self.line = line.strip()
        if self.live:
            self.live.update(self._render())
        elif line.strip().startswith("Step "):
            print(f"  {line.strip()}", file=sys.stderr, flush=True)
