"""Lesson 6's HEALTHCHECK: the variants' check, the terminal commands, what a watch reports, and a real
watch on the engine (a tiny image whose check passes at once), container removed afterwards."""

from __future__ import annotations

import shlex

import pytest

from checker import lesson
from checker.dockerfile import parse
from checker.lesson import cli
from checker.lesson.context import SAMPLE_APP_DIR
from checker.lesson.health import HealthWatch
from checker.lesson.variants import HEALTH_PATH, WRONG_HEALTH_PATH, healthcheck_line


def test_the_health_variants_are_production_plus_one_exec_form_check_before_cmd():
    production = [(i.keyword, i.raw) for i in parse(lesson.variant("production").dockerfile()).instructions]
    for name, path in (("healthcheck", HEALTH_PATH), ("healthcheck-wrong-path", WRONG_HEALTH_PATH)):
        steps = [(i.keyword, i.raw) for i in parse(lesson.variant(name).dockerfile()).instructions]
        assert steps[:-2] == production[:-1] and steps[-1] == production[-1], name
        keyword, check = steps[-2]
        assert keyword == "HEALTHCHECK" and 'CMD ["python", "-c", "import urllib.request;' in check, "exec form, urllib"
        assert f"127.0.0.1:8000{path}'" in check, name
    assert "--start-period=5s" in healthcheck_line() and "--interval=1s" in healthcheck_line()


def test_the_terminal_commands_start_inspect_and_stop_the_container():
    command = cli.docker_health("lpi-lesson/healthcheck:latest", 8000)
    lines = [shlex.split(line) for line in command.commands]
    assert lines[0] == ["docker", "run", "--rm", "-d", "--name", "lpi-health", "-p", "127.0.0.1::8000",
                        "lpi-lesson/healthcheck:latest"]
    assert lines[1] == ["docker", "inspect", "--format", "{{.State.Health.Status}}", "lpi-health"]
    assert lines[-1] == ["docker", "stop", "lpi-health"]


def test_a_build_with_a_secret_names_it_and_the_classic_builder_refuses_one():
    command = cli.docker_build(tag="t:latest", context=SAMPLE_APP_DIR, dockerfile_text="FROM x\n", builder="buildkit",
                               secrets=["index_token"])
    assert "--secret id=index_token,env=index_token" in command.text
    assert "set the environment variable index_token" in command.note
    with pytest.raises(ValueError, match="need BuildKit"):
        cli.docker_build(tag="t:latest", context=SAMPLE_APP_DIR, dockerfile_text="FROM x\n", secrets=["index_token"])


def test_a_watch_reports_each_change_once_and_when_it_happened():
    watch = HealthWatch("img", ((0.1, "starting"), (2.4, "unhealthy")), "running",
                        ({"ExitCode": 1, "Output": " HTTP Error 404: Not Found \n"},), 2.5)
    assert watch.final == "unhealthy" and watch.statuses() == ["starting", "unhealthy"]
    assert watch.seconds_to("unhealthy") == 2.4 and watch.seconds_to("healthy") is None
    assert watch.last_output() == "HTTP Error 404: Not Found"
    assert str(watch) == "img: starting (0.1 s) -> unhealthy (2.4 s); the container is running"
    assert HealthWatch("img", (), "exited", (), 0.0).final is None


@pytest.mark.docker
@pytest.mark.timeout(300)
def test_when_the_check_passes_the_engine_goes_from_starting_to_healthy_and_the_container_is_removed(engine_ready,
                                                                                                   docker_client):
    text = (f"FROM {engine_ready.slim_image}\n"
            'HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD ["python", "-c", "pass"]\n'
            'CMD ["python", "-c", "import time; time.sleep(120)"]\n')
    image = lesson.build("health-test", text, label="a check that passes", base_ref=engine_ready.slim_image,
                         throwaway=True, show=False)
    try:
        assert image.ok, image.error_tail()
        watch = lesson.watch_health(image.tag, until=("healthy",), deadline_s=60, show=False)
        assert watch.statuses() == ["starting", "healthy"], watch
        assert 0 < watch.seconds_to("healthy") < 60 and watch.state == "running"
        assert watch.checks and watch.checks[-1]["ExitCode"] == 0
        left = docker_client.api.containers(all=True, filters={"ancestor": image.tag})
        assert not left, "the watched container was removed"
    finally:
        lesson.discard(image)
