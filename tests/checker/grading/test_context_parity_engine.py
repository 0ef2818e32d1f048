"""What `COPY . .` ships is what `docker build` would ship, with either builder (the engine under test:
the classic builder on the default engine, BuildKit on the modern run).

The Dockerfile and ``.dockerignore`` are always sent, for the builder to read; Docker leaves them out
of the context when ``.dockerignore`` lists them, and keeps them when it does not. A Dockerfile
given as text (staged under a private name) never ships. Found by a new-user trial: on BuildKit,
fed the staged tar on standard input, every lesson image held ``/app/Dockerfile``. The lessons build
this way (``local_context=True``); grades still send the tar on standard input (docs/engines.md).
"""

from __future__ import annotations

import uuid

import pytest

from checker import engine, staging

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def _shipped(engine_ready, folder, *, dockerfile_text: str | None = None) -> list[str]:
    """Build the folder as a grade stages it; the names `COPY . /ctx/` put in the image."""
    dockerfile = folder / "Dockerfile"
    staged = staging.stage(dockerfile, folder, dockerfile_text=dockerfile_text)
    tag = f"lpi-build/context-parity-{uuid.uuid4().hex[:10]}:latest"
    result = engine.build(context_tar=staged.tar(), dockerfile=staged.dockerfile_name, tag=tag, local_context=True)
    try:
        assert result.ok, result.log[-2000:]
        listing = engine.run(tag, ["ls", "-A", "/ctx"], timeout_s=60)
        assert listing.exit_code == 0, listing.stderr
        return sorted(listing.stdout.split())
    finally:
        engine.discard_build(result)


def _folder(tmp_path, ignore: str):
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "notes.md").write_text("not shipped\n")
    (tmp_path / ".dockerignore").write_text(ignore)
    return tmp_path


def _dockerfile(engine_ready) -> str:
    return f"FROM {engine_ready.slim_image}\nCOPY . /ctx/\n"


def test_a_dockerignore_that_lists_the_dockerfile_and_itself_keeps_both_out_of_copy(engine_ready, tmp_path):
    folder = _folder(tmp_path, "notes.md\nDockerfile\n.dockerignore\n")
    (folder / "Dockerfile").write_text(_dockerfile(engine_ready))
    assert _shipped(engine_ready, folder) == ["app.py"]


def test_a_dockerignore_that_does_not_list_them_ships_both_as_docker_does(engine_ready, tmp_path):
    folder = _folder(tmp_path, "notes.md\n")
    (folder / "Dockerfile").write_text(_dockerfile(engine_ready))
    assert _shipped(engine_ready, folder) == [".dockerignore", "Dockerfile", "app.py"]


def test_a_dockerfile_given_as_text_never_ships_under_its_private_name(engine_ready, tmp_path):
    folder = _folder(tmp_path, "notes.md\n")
    shipped = _shipped(engine_ready, folder, dockerfile_text=_dockerfile(engine_ready))
    assert staging.OUTSIDE_DOCKERFILE_NAME not in shipped
    assert shipped == [".dockerignore", "app.py"]
