"""End to end on the real engine: build both Dockerfiles, run them against PostgreSQL, compare."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import docker
import httpx
import pytest
from docker.errors import APIError, BuildError, DockerException, ImageNotFound, NotFound

from pgserver import PostgresServer, free_port
from sample_app_support import SAMPLE_APP_DIR

pytestmark = [pytest.mark.docker, pytest.mark.postgres]

OWNER_LABEL = {"org.lean-python-images.owner": "lean-python-images"}
PYTHON_VERSION = "3.13"
BASE_IMAGES = (f"python:{PYTHON_VERSION}-slim", f"python:{PYTHON_VERSION}")
DOCKERFILES = {"reference": "Dockerfile", "single": "Dockerfile.single"}
# In the classic builder's log, a line holding only an image id closes each step.
STEP_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12,64})\s*$")


@dataclass
class Created:
    """Everything this module creates on the engine, removed at the end even after a failure."""

    containers: list = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    step_images: list[str] = field(default_factory=list)

    def remove_all(self, client: docker.DockerClient) -> list[str]:
        problems = []
        for container in self.containers:
            try:
                container.remove(force=True)
            except NotFound:
                pass
            except APIError as error:
                problems.append(f"container {container.short_id}: {error}")
        for tag in self.tags:
            try:
                client.images.remove(tag, force=True)
            except ImageNotFound:
                pass
            except APIError as error:
                problems.append(f"image {tag}: {error}")
        # Steps that ended in no tagged image (the builder stage, a failed build) stay behind as
        # dangling images; remove those, never a tagged one such as the base image.
        for image_id in reversed(self.step_images):
            try:
                if not client.images.get(image_id).tags:
                    client.images.remove(image_id)
            except (ImageNotFound, NotFound):
                pass
            except APIError as error:
                if error.status_code != 409:  # still a parent of something else: not ours alone
                    problems.append(f"image {image_id}: {error}")
        return problems


@dataclass(frozen=True)
class BuiltImage:
    name: str
    tag: str
    size: int
    """Bytes, as the engine reports them."""
    build_seconds: float


@pytest.fixture(scope="module")
def engine() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env()
        client.ping()
    except DockerException as error:
        pytest.fail(
            f"no Docker engine answers ({error}): run scripts/ensure-engine.sh", pytrace=False
        )
    missing = [name for name in BASE_IMAGES if not client.images.list(name=name)]
    if missing:
        pytest.fail(
            f"base images {missing} are not on the engine and no registry is reachable: "
            "provision the stand-in python images first",
            pytrace=False,
        )
    yield client
    client.close()


@pytest.fixture(scope="module")
def created(engine) -> Iterator[Created]:
    registry = Created()
    yield registry
    problems = registry.remove_all(engine)
    assert not problems, f"cleanup left things on the engine: {problems}"


def build(engine, created: Created, name: str) -> BuiltImage:
    tag = f"lpi-sample-app-test:{name}-{uuid.uuid4().hex[:10]}"
    created.tags.append(tag)
    started = time.monotonic()
    try:
        _, log = engine.images.build(
            path=str(SAMPLE_APP_DIR),
            dockerfile=DOCKERFILES[name],
            tag=tag,
            buildargs={"PYTHON_VERSION": PYTHON_VERSION},
            network_mode="host",  # the engine's bridge has no route out; the host reaches PyPI
            labels=OWNER_LABEL,
            rm=True,
            forcerm=True,
        )
    except BuildError as error:
        text = _log_text(error.build_log)
        created.step_images += new_step_images(text)
        pytest.fail(f"building {DOCKERFILES[name]} failed: {error.msg}\n{_last_lines(text)}")
    seconds = time.monotonic() - started
    created.step_images += new_step_images(_log_text(log))
    return BuiltImage(name, tag, engine.images.get(tag).attrs["Size"], seconds)


@pytest.fixture(scope="module")
def images(engine, created) -> dict[str, BuiltImage]:
    return {name: build(engine, created, name) for name in DOCKERFILES}


def start_container(engine, created: Created, image: str, command=None, **options):
    """Create, register for cleanup, then start: a container that fails to start is still removed."""
    container = engine.containers.create(image, command, labels=OWNER_LABEL, **options)
    created.containers.append(container)
    container.start()
    return container


def run_once(engine, created: Created, image: str, command: list[str]) -> tuple[int, str]:
    """Run a command to completion in a fresh container without network; exit code and output."""
    container = start_container(engine, created, image, command, network_mode="none")
    try:
        exit_code = container.wait(timeout=120)["StatusCode"]
        return exit_code, container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)


def wait_for_health(url: str, container, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        if container.status == "exited":
            break
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
    logs = container.logs().decode(errors="replace")
    pytest.fail(f"{url} did not answer 200 within {timeout}s; container logs:\n{logs}")


# --- the app works in both images -----------------------------------------------------------


@pytest.mark.parametrize("name", list(DOCKERFILES))
def test_image_migrates_and_serves_notes_against_host_postgres(
    name, images, engine, created, postgres_server: PostgresServer
):
    image = images[name]
    database = f"e2e_{name}"
    database_url = postgres_server.create_database(database)
    port = free_port()
    try:
        # Host networking: the container reaches the test PostgreSQL on 127.0.0.1 directly.
        container = start_container(
            engine, created, image.tag,
            ["uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)],
            environment={"DATABASE_URL": database_url},
            network_mode="host",
        )
        base = f"http://127.0.0.1:{port}"
        wait_for_health(f"{base}/health", container)

        assert httpx.get(f"{base}/notes").status_code == 503  # not migrated yet
        exit_code, output = container.exec_run(["alembic", "upgrade", "head"])
        assert exit_code == 0, output.decode(errors="replace")

        health = httpx.get(f"{base}/health").json()
        assert health["python"].startswith(f"{PYTHON_VERSION}.")
        assert re.fullmatch(r"\d+\.\d+(\.\d+)?", health["libpq"])
        assert httpx.get(f"{base}/health/db").status_code == 200

        created_note = httpx.post(f"{base}/notes", json={"title": f"from {name}", "body": "hi"})
        assert created_note.status_code == 201, created_note.text
        note_id = created_note.json()["id"]
        updated = httpx.patch(f"{base}/notes/{note_id}", json={"body": "edited"})
        assert updated.json()["body"] == "edited"
        assert [n["title"] for n in httpx.get(f"{base}/notes").json()] == [f"from {name}"]
        assert httpx.post(f"{base}/notes", json={"title": ""}).status_code == 422
        assert httpx.delete(f"{base}/notes/{note_id}").status_code == 204
        assert httpx.get(f"{base}/notes/{note_id}").json() == {
            "detail": f"note {note_id} not found"
        }
    finally:
        postgres_server.drop_database(database)


def test_reference_image_default_command_serves_on_port_8000(images, engine, created):
    # No network at all (only the container's loopback): the check needs neither the engine's
    # bridge nor a free port 8000 on the host.
    container = start_container(engine, created, images["reference"].tag, network_mode="none")
    probe = (
        "import time, urllib.request\n"
        "for _ in range(120):\n"
        "    try:\n"
        "        print(urllib.request.urlopen('http://127.0.0.1:8000/health').read().decode())\n"
        "        break\n"
        "    except OSError:\n"
        "        time.sleep(0.25)\n"
        "else:\n"
        "    raise SystemExit('nothing answered on port 8000')\n"
    )

    exit_code, output = container.exec_run(["python", "-c", probe])

    logs = container.logs().decode(errors="replace")
    assert exit_code == 0, f"{output.decode(errors='replace')}\ncontainer logs:\n{logs}"
    assert '"status":"ok"' in output.decode()


# --- what the multi-stage build removed -----------------------------------------------------


def test_reference_image_has_no_compiler_but_single_stage_does(images, engine, created):
    find_compiler = ["sh", "-c", "command -v gcc || command -v cc"]

    reference_exit, reference_output = run_once(engine, created, images["reference"].tag, find_compiler)
    single_exit, single_output = run_once(engine, created, images["single"].tag, find_compiler)

    assert reference_exit != 0, f"the reference image still has a compiler: {reference_output}"
    assert single_exit == 0 and single_output.strip(), "the single-stage image lost its compiler"


def test_reference_image_keeps_libpq5_but_not_its_headers(images, engine, created):
    exit_code, output = run_once(
        engine, created, images["reference"].tag,
        ["sh", "-c", "ldconfig -p | grep -q 'libpq.so.5 ' && ! ls /usr/include/postgresql"],
    )

    assert exit_code == 0, output


def test_reference_image_runs_as_a_non_root_user(images, engine, created):
    exit_code, output = run_once(engine, created, images["reference"].tag, ["id", "-u"])

    assert exit_code == 0, output
    assert output.strip() != "0"


def test_reference_image_is_at_most_a_quarter_of_the_single_stage_one(images, record_property):
    reference, single = images["reference"], images["single"]
    for image in (reference, single):
        record_property(f"{image.name}_bytes", image.size)
        record_property(f"{image.name}_build_seconds", round(image.build_seconds, 1))
    print(
        f"\nreference {reference.size} B ({reference.size / 1e6:.0f} MB, built in "
        f"{reference.build_seconds:.0f}s); single-stage {single.size} B "
        f"({single.size / 1e6:.0f} MB, built in {single.build_seconds:.0f}s); "
        f"ratio {reference.size / single.size:.3f}"
    )

    assert reference.size * 4 <= single.size, (
        f"reference image {reference.size / 1e6:.0f} MB is more than a quarter of "
        f"the single-stage {single.size / 1e6:.0f} MB"
    )


def new_step_images(log_text: str) -> list[str]:
    """Ids of the step images this build made; steps taken from the cache may be someone else's."""
    made, cached = [], False
    for line in log_text.splitlines():
        if line.strip() == "---> Using cache":
            cached = True
        elif match := STEP_IMAGE.match(line):
            if not cached:
                made.append(match.group(1))
            cached = False
    return made


def _log_text(log) -> str:
    return "".join(chunk.get("stream", "") for chunk in log if isinstance(chunk, dict))


def _last_lines(text: str, count: int = 60) -> str:
    return "\n".join(text.splitlines()[-count:])
