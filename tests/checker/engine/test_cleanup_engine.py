"""Clean-up by run prefix on the real engine (what the classroom calls between students)."""

from __future__ import annotations

import uuid

import pytest

from checker import engine
from checker import settings as course_settings
from checker.engine import containers

pytestmark = pytest.mark.docker


def labelled_container(run_id: str) -> str:
    """A created (never started) container of the slim image, labelled with run ``run_id``; its id."""
    settings = course_settings.load()
    return containers._create(settings.slim_image, command=["true"], entrypoint="", user=None, workdir=None,
                              environment=None, labels={course_settings.LABEL_RUN: run_id}, lifetime_s=600,
                              host_config=containers._host_config(containers.Limits.from_settings(settings), network="none"))


def test_when_removing_by_run_prefix_then_matching_containers_and_images_go_and_others_and_kept_ones_stay(tmp_path):
    settings = course_settings.load()
    prefix = f"test-prefix-{uuid.uuid4().hex[:8]}"
    run = course_settings.LABEL_RUN
    container = labelled_container

    def image(run_id: str, extra: dict[str, str] | None = None) -> str:
        result = engine.build(tmp_path, dockerfile_text=f"FROM {settings.slim_image}\n", labels={run: run_id, **(extra or {})},
                              tag=f"lpi-build/{run_id}:latest", timeout_s=120)
        assert result.ok, result.log
        return result.image_id

    mine = [container(f"{prefix}-a"), container(f"{prefix}-b")]
    other = container(f"other-{prefix}")
    built = image(f"{prefix}-a")
    kept = image(f"{prefix}-k", {course_settings.LABEL_KEEP: "1"})
    try:
        assert engine.remove_by_run_prefix(prefix) == 3
        left = set(engine.list_containers(run))
        assert not left & set(mine) and other in left
        assert not engine.image_exists(built) and engine.image_exists(kept)
    finally:
        engine.remove_containers(f"{run}=other-{prefix}")
        engine.remove_image(kept)
        engine.remove_by_run_prefix(prefix)


def test_clean_run_removes_only_that_runs_containers_and_an_empty_prefix_is_refused():
    import os
    import subprocess
    import sys
    from pathlib import Path

    prefix = f"class-test-{uuid.uuid4().hex[:8]}"
    run = course_settings.LABEL_RUN
    container = labelled_container
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}

    def clean(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "checker", "clean", *args], cwd=root, env=env,
                              capture_output=True, text=True, timeout=120)

    mine, other = container(f"{prefix}-s1"), container(f"other-{prefix}")
    settings = course_settings.load()
    kept = engine.build(root / "sample_app", dockerfile_text=f"FROM {settings.slim_image}\n",
                        labels={run: f"{prefix}-s2", course_settings.LABEL_KEEP: "cache"},
                        tag=f"lpi-build/{prefix}-s2:image", timeout_s=120)
    assert kept.ok, kept.log
    try:
        done = clean("--run", prefix)
        assert done.returncode == 0 and f"runs {prefix}*" in done.stdout, done.stdout + done.stderr
        assert "1 image(s) of these runs stay, kept as the grading build cache" in done.stdout, done.stdout
        assert engine.image_exists(kept.image_id), "a kept build is cache: clean --run leaves it and says so"
        left = set(engine.list_containers(run))
        assert mine not in left and other in left
        assert f"clean --run {prefix} --with-cache" in done.stdout, "it says how to remove them too"
        refused = clean("--run", " ")
        assert refused.returncode == 2 and "needs a run id prefix" in refused.stderr and "Traceback" not in refused.stderr
        alone = clean("--with-cache")
        assert alone.returncode == 2 and "goes with --run" in alone.stderr
        assert engine.image_exists(kept.image_id), "a refused clean removes nothing"
        everything = clean("--run", prefix, "--with-cache")
        assert everything.returncode == 0, everything.stdout + everything.stderr
        assert not engine.image_exists(kept.image_id), "--with-cache removes the run's kept build too"
        assert other in set(engine.list_containers(run)), "and still nothing of other runs"
    finally:
        engine.remove_containers(f"{run}=other-{prefix}")
        engine.remove_by_run_prefix(prefix)
        if engine.image_exists(kept.image_id):
            engine.remove_image(kept.image_id)
