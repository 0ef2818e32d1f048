"""The ``# syntax=`` directive: Docker's stable frontend channel recognised, and set aside keeping every line."""

from __future__ import annotations

import pytest

from checker.dockerfile import parse
from checker.dockerfile.frontend import stable_frontend, without_syntax_directive

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(("directive", "stable"), [
    ("docker/dockerfile:1", True),
    ("docker/dockerfile:1.7", True),
    ("docker/dockerfile:1.7.1", True),
    ("docker.io/docker/dockerfile:1", True),
    (f"docker/dockerfile:1@{DIGEST}", True),
    (f"docker/dockerfile@{DIGEST}", True),
    ("docker/dockerfile:1-labs", False),
    ("docker/dockerfile:1.7-labs", False),
    ("docker/dockerfile-upstream:master", False),
    ("docker/dockerfile:0.1", False),
    ("example.com/docker/dockerfile:1", False),
    ("ghcr.io/someone/frontend:1", False),
])
def test_only_dockers_stable_dockerfile_channel_counts_as_stable(directive, stable):
    found = stable_frontend(parse(f"# syntax={directive}\nFROM python:3.13-slim\n"))
    assert (found == (1, directive)) if stable else found is None


def test_a_file_without_a_syntax_directive_names_none_and_cannot_have_it_set_aside():
    model = parse("# a comment\nFROM python:3.13-slim\n")
    assert stable_frontend(model) is None
    with pytest.raises(ValueError):
        without_syntax_directive(model)


@pytest.mark.parametrize("head", [
    "# syntax=docker/dockerfile:1\n",
    "# syntax=docker/dockerfile:1\n# check=error=true\n# escape=\\\n",
    "# check=skip=JSONArgsRecommended\n# syntax = docker/dockerfile:1.7\n",
])
def test_setting_the_directive_aside_keeps_the_other_directives_and_every_instructions_line(head):
    text = head + "FROM python:3.13-slim\nRUN <<EOT\n  echo hi\nEOT\nCMD [\"python\"]\n"
    before = parse(text)
    after = parse(without_syntax_directive(before))
    assert "syntax" not in after.directives
    assert {k: v for k, v in after.directives.items()} == {k: v for k, v in before.directives.items() if k != "syntax"}
    assert [(i.keyword, i.line) for i in after.instructions] == [(i.keyword, i.line) for i in before.instructions]
