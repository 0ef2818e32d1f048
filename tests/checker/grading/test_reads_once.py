"""A grade reads the learner's Dockerfile and .dockerignore once each: lint and staging share them."""

from __future__ import annotations

import pytest

from checker import grading
from checker import staging
from checker.dockerignore import DockerIgnore

pytestmark = pytest.mark.docker

RUBRIC = """
[rubric]
title = "builds only"
pass_mark = 10

[[checks]]
id = "builds"
points = 10
"""


def test_when_a_dockerfile_is_graded_then_it_and_its_dockerignore_are_each_read_once(
        tmp_path, monkeypatch, engine_ready, run_ids):
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {engine_ready.slim_image}\nCOPY app.txt /app.txt\n")
    (context / ".dockerignore").write_text(".git\n")
    (context / "app.txt").write_text("hello\n")
    (tmp_path / "rubric.toml").write_text(RUBRIC)

    reads = {"dockerfile": 0, "dockerignore": 0}
    real_read_dockerfile, real_read_ignore = staging.read_dockerfile, DockerIgnore.read.__func__

    def counting_read_dockerfile(path):
        reads["dockerfile"] += 1
        return real_read_dockerfile(path)

    def counting_read_ignore(cls, context_dir):
        reads["dockerignore"] += 1
        return real_read_ignore(cls, context_dir)

    monkeypatch.setattr(staging, "read_dockerfile", counting_read_dockerfile)
    monkeypatch.setattr(DockerIgnore, "read", classmethod(counting_read_ignore))

    report = grading.grade(context / "Dockerfile", context=context, rubric=tmp_path / "rubric.toml", keep_cache=False)
    run_ids.append(report.run_id)

    assert report.status == "passed", report.verdict
    assert reads == {"dockerfile": 1, "dockerignore": 1}
