"""The health probe on the real engine: it asks often enough that a grade sees the first 200 when it
comes, and it still notices a container that stopped. The images are built from the course's python
stand-in (no pull) around a small server that logs when each request came."""

from __future__ import annotations

import dataclasses
import statistics
import time
import uuid

import pytest

from checker import engine, probes
from checker import settings as course_settings
from checker.probes import health

pytestmark = pytest.mark.docker

#: Answers 503 for its first 0.8 s, then 200; prints the time of every request it gets.
SERVER = """\
import http.server, sys, time
READY = time.time() + 0.8
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        now = time.time()
        print(f"request {now:.4f}", flush=True)
        self.send_response(200 if now >= READY else 503)
        self.end_headers()
    def log_message(self, *args):
        pass
if sys.argv[1:] == ["exit"]:
    sys.exit(3)
http.server.HTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""


@pytest.fixture(scope="module")
def images(engine_ready, tmp_path_factory):
    """Two images of the server: one that serves, one whose command exits 3; removed afterwards."""
    context = tmp_path_factory.mktemp("health")
    (context / "server.py").write_text(SERVER)
    tag = f"lpi-test-health/{uuid.uuid4().hex[:10]}"
    built = {}
    try:
        for name, args in (("serves", ""), ("exits", ', "exit"')):
            text = f'FROM {engine_ready.slim_image}\nCOPY server.py /srv/server.py\nEXPOSE 8000\n' \
                   f'CMD ["python3", "/srv/server.py"{args}]\n'
            result = engine.build(context, dockerfile_text=text, dockerfile="Dockerfile.lpi-test", tag=f"{tag}:{name}")
            assert result.ok, f"the {name} image did not build: {result.error}"
            built[name] = f"{tag}:{name}"
        yield built
    finally:
        for ref in built.values():
            engine.remove_image(ref, force=True)


@pytest.fixture
def labels():
    """This test's run label on the probe's container; no container of it may be left."""
    run = {course_settings.LABEL_RUN: f"test-health-{uuid.uuid4().hex[:10]}"}
    yield run
    left = engine.list_containers(f"{course_settings.LABEL_RUN}={run[course_settings.LABEL_RUN]}")
    assert not left, f"the health probe left containers behind: {left}"


def test_when_the_app_answers_after_a_while_then_the_probe_asks_every_poll_and_sees_the_first_200(images, labels):
    found = probes.probe_health(images["serves"], port=8000, deadline_s=30, labels=labels)
    assert found.ok and found.status == 200, found.error
    times = [float(line.split()[1]) for line in found.logs.splitlines() if line.startswith("request ")]
    assert len(times) >= 3, f"the server should have been asked several times before it was ready: {found.logs!r}"
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    # The probe waits POLL_S (0.05 s) between two requests: well under the 0.25 s it used to wait,
    # which kept a grade waiting up to a quarter of a second past the app's first 200.
    assert statistics.median(gaps) < 0.15, f"requests {gaps} apart, median {statistics.median(gaps):.3f} s"
    assert health.POLL_S <= 0.05


def test_when_the_container_exits_at_once_then_the_probe_says_it_stopped_with_its_exit_code(images, labels):
    found = probes.probe_health(images["exits"], port=8000, deadline_s=30, labels=labels)
    assert not found.ok and found.exit_code == 3
    assert "The container stopped (exit code 3)" in (found.error or "")
    assert found.seconds < 10, f"a stopped container is seen within {health.STATUS_EVERY_S} s of a look, not at the deadline"


def test_when_a_stopped_container_s_address_is_taken_by_another_then_its_answers_are_not_counted(images, labels):
    # The engine gives a stopped container's bridge address to the next container it starts
    # (Docker 20.10 and 28 alike), so a probe that kept asking there would count a stranger's 200:
    # a class graded two at a time once passed an image that cannot start (exercise 04, no libpq)
    # on the health of the solution graded beside it.
    with engine.service(images["exits"], port=8000, labels=labels) as stopped:
        for _ in range(200):
            if stopped.status()[0] == "exited":
                break
            time.sleep(0.05)
        assert stopped.status()[0] == "exited"
        with engine.service(images["serves"], port=8000, labels=labels) as stranger:
            assert stranger.ip, "the serving container has a bridge address"
            answered = None
            for _ in range(100):
                answered = stranger.get("/health")[0]
                if answered is not None:
                    break
                time.sleep(0.05)
            assert answered in {200, 503}, "the stranger answers at its own address"
            # the stopped container as it would look had the engine given it the stranger's address
            at_stranger = dataclasses.replace(stopped, host_port=None, ip=stranger.ip)
            status, why, how = at_stranger.get("/health")
            assert status is None and how == "", (status, why)
            assert "had stopped" in why and "not counted" in why
