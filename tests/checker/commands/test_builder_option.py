"""``--builder`` on the grading commands: its choices, and that it reaches the settings every build reads."""

from __future__ import annotations

import argparse

import pytest

from checker import settings as course_settings
from checker.cli import build_parser
from checker.commands import grade


@pytest.mark.parametrize("command", ["grade", "check"])
def test_the_grading_commands_accept_auto_buildkit_and_classic_and_refuse_others(command, capsys):
    parser = build_parser(command)
    extra = ["Dockerfile"] if command == "grade" else ["ex"]
    for choice in ("auto", "buildkit", "classic"):
        assert parser.parse_args([command, *extra, "--builder", choice]).builder == choice
    with pytest.raises(SystemExit):
        parser.parse_args([command, *extra, "--builder", "kaniko"])
    assert "invalid choice" in capsys.readouterr().err


def test_the_builder_option_becomes_lpi_builder_for_the_grade(monkeypatch):
    monkeypatch.setenv("LPI_BUILDER", "auto")  # restored (or removed) after the test: the option sets it
    seen = {}

    class Report:
        status, exit_code, error = "error", 2, "stopped here"

    def fake_grade(**options):
        seen["builder"] = course_settings.load().builder
        return Report()

    args = argparse.Namespace(command="grade", timeout=None, no_keep=True, quiet=True, builder="classic",
                              output=None, format="json")
    assert grade.grade_and_report(args, fake_grade) == 2
    assert seen["builder"] == "classic"
