"""What the learner's terminal would do with the lessons' commands (a stand-in `docker` on PATH: no engine)."""

from __future__ import annotations

import os
import stat

import pytest

from checker.lesson.terminal import Terminal, terminal

PLUGIN = "/var/lib/lean-python-images/engines/pkg/forky/root/usr/libexec/docker/cli-plugins/docker-buildx"


def test_a_terminal_without_buildx_is_told_it_builds_classic_and_how_to_match_the_lessons():
    advice = Terminal("/usr/local/bin/docker", None, PLUGIN).advice("buildkit")
    assert "finds no buildx plugin" in advice and "classic builder" in advice
    assert f"ln -s {PLUGIN} ~/.docker/cli-plugins/docker-buildx" in advice


def test_without_a_plugin_to_link_or_with_classic_lessons_no_command_is_offered():
    assert "ln -s" not in Terminal("/usr/bin/docker", None, "").advice("buildkit")
    assert "ln -s" not in Terminal("/usr/bin/docker", None, PLUGIN).advice("classic")


def test_a_terminal_with_buildx_matches_buildkit_lessons_and_is_told_about_classic_ones():
    found = Terminal("/usr/bin/docker", "github.com/docker/buildx 0.29.1 abc", PLUGIN)
    assert found.advice("buildkit").endswith("uses BuildKit, as the lessons do.")
    assert "DOCKER_BUILDKIT=0" in found.advice("classic")


def test_no_docker_on_path_is_said_plainly():
    assert "no `docker` command" in Terminal(None, None, PLUGIN).advice("buildkit")


@pytest.mark.parametrize("script, expected", [
    ("#!/bin/sh\n[ \"$1\" = buildx ] && echo 'github.com/docker/buildx 0.29.1 deadbeef' && exit 0\nexit 1\n",
     "github.com/docker/buildx 0.29.1 deadbeef"),
    ("#!/bin/sh\necho \"docker: 'buildx' is not a docker command.\" >&2\nexit 1\n", None),
], ids=["plugin-found", "no-plugin"])
def test_the_measure_runs_the_terminals_own_docker(tmp_path, monkeypatch, script, expected):
    docker = tmp_path / "docker"
    docker.write_text(script)
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    measured = terminal()
    assert measured.docker == str(docker) and measured.buildx == expected
