"""The pure parts of the lessons' build progress: reading step lines, shortening text for display."""

from __future__ import annotations

import pytest

from checker.lesson.progress import BuildProgress, buildkit_step_of, step_of
from checker.lesson.table import shorten


def test_a_classic_builder_step_line_gives_its_number_total_and_instruction():
    assert step_of("Step 3/12 : RUN pip install -r requirements.txt\n") == (3, 12, "RUN pip install -r requirements.txt")


@pytest.mark.parametrize("line", [" ---> Using cache", "Successfully built 1234abcd", "Step x/2 : RUN true", ""])
def test_when_a_line_is_no_step_line_then_it_gives_no_step(line):
    assert step_of(line) is None


def test_shorten_joins_whitespace_and_cuts_with_an_ellipsis_at_the_width():
    assert shorten("RUN  apt-get update \\\n    && apt-get install", 200) == "RUN apt-get update \\ && apt-get install"
    assert shorten("abcdefghij", 5) == "abcd…"
    assert len(shorten("x" * 500, 80)) == 80
    assert shorten("short", 5) == "short"


def test_outside_a_kernel_the_progress_prints_one_line_per_step_and_counts_cached_steps(capsys):
    progress = BuildProgress("demo", widgets=False)
    for line in ["Step 1/2 : FROM python:3.13-slim", " ---> 1234", "Step 2/2 : RUN true", " ---> Using cache"]:
        progress.line(line)
    summary = progress.finish(ok=True, seconds=1.5, steps=2, cached=progress.cached_steps)
    printed = capsys.readouterr().out
    assert "[1/2] FROM python:3.13-slim" in printed and "[2/2] RUN true" in printed
    assert progress.cached_steps == 1
    assert summary == "demo: built in 1.5 s, 1 of 2 steps from cache"


def test_a_buildkit_step_name_gives_its_place_in_its_stage_and_keeps_the_name_docker_prints():
    assert buildkit_step_of("[builder 4/6] RUN pip install -r requirements.txt") == (
        4, 6, "[builder 4/6] RUN pip install -r requirements.txt")
    assert buildkit_step_of("[2/3] COPY . .") == (2, 3, "[2/3] COPY . .")
    for line in ("[internal] load build definition from Dockerfile", "Step 3/12 : RUN true", "Get:1 http://deb"):
        assert buildkit_step_of(line) is None


def test_outside_a_kernel_a_buildkit_build_prints_each_step_by_the_name_docker_build_gives_it(capsys):
    progress = BuildProgress("demo", widgets=False)
    for line in ["[builder 2/6] RUN apt-get update", "Get:1 http://deb.debian.org trixie InRelease",
                 "[stage-1 3/5] COPY . ."]:
        progress.line(line)
    printed = capsys.readouterr().out
    assert "  [builder 2/6] RUN apt-get update\n" in printed and "  [stage-1 3/5] COPY . .\n" in printed
    assert "Get:1" not in printed and (progress.step, progress.total) == (3, 5)
