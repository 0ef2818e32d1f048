"""Lesson builds on the real engine, with the builder a learner's `docker build` would use there:
BuildKit where the engine offers it (the modern engines), the classic builder elsewhere.

BuildKit keeps no image per step, so a layer of a builder stage is sized from an image of that
stage (built with ``--target``, from the cache) and its layers paired with the stage's
instructions. Files of known sizes make every figure checkable: the grader's measure counts file
content bytes, so a layer holding one 3 MiB file is 3 MiB.
"""

from __future__ import annotations

import re

import pytest

from checker import engine, lesson
from checker import settings as course_settings

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]

BIG, SMALL, ONE = 3 * 1024 * 1024, 1000, 1024 * 1024


def _dockerfile(slim: str) -> str:
    return (f"FROM {slim} AS builder\n"
            f"RUN head -c {BIG} /dev/urandom > /big.bin\n"
            f"RUN head -c {SMALL} /dev/urandom > /small.bin\n"
            f"FROM {slim}\n"
            "COPY --from=builder /big.bin /opt/big.bin\n"
            f"RUN head -c {ONE} /dev/urandom > /one.bin\n"
            'CMD ["python", "-V"]\n')


def test_a_lesson_build_sizes_each_steps_layer_in_whichever_stage_it_ran(engine_ready, tmp_path):
    (tmp_path / "app.txt").write_text("context\n")
    settings = course_settings.load()
    expected_builder = engine.choose_builder(settings).name
    image = lesson.build("builds-engine-test", _dockerfile(engine_ready.slim_image), source=tmp_path,
                         dockerignore=False, throwaway=True, show=False, settings=settings)
    stage_tag = None
    try:
        assert image.ok, image.error_tail()
        assert image.builder == expected_builder, "the lessons build the way `docker build` would on this engine"
        assert image.step_layer_bytes(f"head -c {BIG} ") == BIG, "a builder-stage layer, sized"
        assert image.step_layer_bytes(f"head -c {SMALL} ") == SMALL
        assert image.step_layer_bytes("COPY --from=builder") == BIG, "the final stage's copy of it"
        assert image.step_layer_bytes(f"head -c {ONE} ") == ONE

        builder = image.stage_image("builder")
        assert builder != image.info.id
        listing = lesson.run_in(builder, "wc -c /big.bin /small.bin; test ! -e /one.bin && echo no-final-files", show=False)
        assert f"{BIG} /big.bin" in listing.output and f"{SMALL} /small.bin" in listing.output
        assert "no-final-files" in listing.output, "the builder stage's image, not the final one"
        if expected_builder == "buildkit":
            stage_tag = builder
            assert re.fullmatch(r"lpi-lesson/builds-engine-test--builder-throwaway-[0-9a-f]{8}:latest", builder), \
                "a throwaway build's stage image is a throwaway too"
        with pytest.raises(KeyError):
            image.stage_image("no-such-stage")

        big = image.printed_name(image.step(f"head -c {BIG} "))
        if expected_builder == "buildkit":
            assert re.fullmatch(rf"\[builder 2/3\] RUN head -c {BIG} .*", big), big
            assert image.printed_name(image.step("COPY --from")).startswith("[stage-1 2/3] COPY --from=builder")
        else:
            assert re.fullmatch(rf"Step 2/\d+ : RUN head -c {BIG} .*", big), big
            assert image.log_lines(rf"^{re.escape(big.split(' : ')[0])} : "), "the count the classic log printed"
    finally:
        lesson.discard(image)
    assert not engine.image_exists(image.tag or "lpi-lesson/none:none"), "the throwaway image is gone"
    if stage_tag is not None:
        assert not engine.image_exists(stage_tag), "the stage image built for it is gone too"


def test_the_build_command_a_lesson_shows_reuses_the_lessons_cache_in_a_terminal(engine_ready, tmp_path):
    """Run as a learner would (their `docker` CLI, with the buildx plugin where the lesson used BuildKit),
    the command shown beside a lesson build takes its RUN step from the cache the lesson filled: same
    network, no cgroup parent (both are part of BuildKit's RUN cache keys; found by a new-user trial)."""
    import os
    import shutil
    import subprocess
    import uuid

    from checker.engine.client import buildx_plugin, plugin_dirs
    from checker.lesson import cli

    docker = shutil.which("docker")
    if docker is None:
        pytest.fail("no `docker` CLI on PATH: this test runs the lesson's command as a terminal would")
    context = tmp_path / "context"
    context.mkdir()
    (context / "app.txt").write_text("context\n")
    settings = course_settings.load()
    dockerfile = f"FROM {engine_ready.slim_image}\nRUN echo terminal-parity-{uuid.uuid4().hex} > /marker\n"
    image = lesson.build("terminal-parity-test", dockerfile, source=context, dockerignore=False, throwaway=True,
                         show=False, settings=settings)
    tag = f"lpi-build/terminal-parity-{uuid.uuid4().hex[:8]}:latest"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DOCKER_HOST": os.environ.get("DOCKER_HOST", ""),
           "DOCKER_CONFIG": str(tmp_path / "docker-config")}
    if image.builder == "buildkit":
        plugins = tmp_path / "docker-config" / "cli-plugins"
        plugins.mkdir(parents=True)
        (plugins / "docker-buildx").symlink_to(buildx_plugin(plugin_dirs()))
    try:
        assert image.ok, image.error_tail()
        assert not image.step("echo terminal-parity").cached, "the lesson build ran the step"
        shown = cli.docker_build(tag=tag, context=context, dockerfile_text=dockerfile, builder=image.builder,
                                 network=settings.build_network, dockerignore=False)
        assert len(shown.commands) == 1
        done = subprocess.run(["bash", "-c", shown.commands[0]], capture_output=True, text=True, env=env, timeout=600,
                              cwd=cli.REPO)
        said = done.stdout + done.stderr
        assert done.returncode == 0, said[-3000:]
        if image.builder == "buildkit":
            assert re.search(r"#(\d+) \[2/2\] RUN echo terminal-parity.*\n(?:.*\n)*?#\1 CACHED", said), said[-3000:]
        else:
            assert "Using cache" in said, said[-3000:]
    finally:
        lesson.discard(image)
        if engine.image_exists(tag):
            engine.remove_image(tag, force=True)
