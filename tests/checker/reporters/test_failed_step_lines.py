"""A failing step written on several lines (a heredoc) is quoted line by line in every view."""

from __future__ import annotations

import json

import pytest

from checker.dockerfile import parse
from checker.grading.summary import build_gate, written_step
from checker.report import BuildSummary, Report
from checker.reporters import failed_at, render, step_lines

DOCKERFILE = "FROM python:3.13-slim\nWORKDIR /app\nRUN <<EOF\nset -e\npip install nosuchpkg\nEOF\nCMD [\"python\"]\n"
ERROR = 'process "/bin/sh -c set -e\npip install nosuchpkg" did not complete successfully: exit code: 1'


def _report() -> Report:
    step = written_step(parse(DOCKERFILE), 3)
    build = BuildSummary(ok=False, seconds=1.5, error=ERROR, failed_step=step, failed_line=3, builder="buildkit",
                         error_lines=["ERROR: No matching distribution found for nosuchpkg"])
    return Report("Dockerfile", ".", "Sample", "default.toml", build=build, verdict=f"Score 0: {build_gate(build)}")


def test_when_the_failed_line_opens_a_heredoc_then_the_step_is_quoted_as_written_and_other_lines_are_not():
    model = parse(DOCKERFILE)
    assert written_step(model, 3) == "RUN <<EOF\nset -e\npip install nosuchpkg\nEOF"
    assert written_step(model, 2) is None and written_step(model, 99) is None


def test_when_the_step_has_several_lines_then_failed_at_stays_one_line_and_step_lines_gives_them_all():
    build = _report().build
    assert failed_at(build) == "line 3: RUN <<EOF … (4 lines)"
    assert step_lines(build) == ["RUN <<EOF", "set -e", "pip install nosuchpkg", "EOF"]
    assert step_lines(BuildSummary(ok=False, seconds=0, failed_step="RUN false")) == []
    assert "`RUN <<EOF …`" in _report().verdict and "\n" not in _report().verdict


@pytest.mark.parametrize("fmt", ["text", "html", "markdown", "terminal"])
def test_when_a_heredoc_step_fails_then_each_human_view_shows_its_lines_and_no_backslash_n(fmt):
    shown = render(_report(), fmt)
    assert "\\n" not in shown, shown
    assert "pip install nosuchpkg" in shown and "set -e" in shown


def test_when_a_heredoc_step_fails_then_text_quotes_it_as_a_block_and_json_keeps_its_lines():
    text = _report().summary()
    assert "Build failed after 1.5 s at line 3: RUN <<EOF … (4 lines)\n    | RUN <<EOF\n    | set -e\n" in text
    assert '  process "/bin/sh -c set -e\n  pip install nosuchpkg" did not complete' in text
    data = json.loads(render(_report(), "json"))
    assert data["build"]["failed_step"].splitlines() == ["RUN <<EOF", "set -e", "pip install nosuchpkg", "EOF"]
    assert data["build"]["failed_line"] == 3
    assert Report.from_dict(data).build.failed_line == 3
