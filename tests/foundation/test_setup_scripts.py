"""Set-up behaviour that can be checked without changing the machine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from checker import images
from checker import settings as course_settings

REPO = Path(__file__).resolve().parents[2]


def test_when_docker_host_points_nowhere_then_ensure_engine_says_so_in_one_sentence(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-such.sock"}
    completed = subprocess.run([str(REPO / "scripts/ensure-engine.sh")], capture_output=True, text=True, env=env, timeout=60)
    assert completed.returncode != 0
    message = completed.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "no engine answers there" in message


def test_the_python_tarball_is_found_in_a_sources_index(monkeypatch):
    sources = (
        "Package: python3.13\nVersion: 3.13.5-2\nDirectory: pool/main/p/python3.13\n"
        "Checksums-Sha256:\n abc123 22856016 python3.13_3.13.5.orig.tar.xz\n def 963 python3.13_3.13.5-2.debian.tar.xz\n\n"
        "Package: python3.12\nVersion: 3.12.1-1\nDirectory: pool/main/p/python3.12\n"
        "Checksums-Sha256:\n fff 1 python3.12_3.12.1.orig.tar.xz\n"
    )
    import io
    import lzma

    class FakeResponse(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(images.urllib.request, "urlopen", lambda url, timeout: FakeResponse(lzma.compress(sources.encode())))
    settings = course_settings.Settings(python_version="3.13", debian_mirror="http://mirror.example/debian", debian_suite="trixie")
    tarball = images.find_python_tarball(settings)
    assert tarball.url == "http://mirror.example/debian/pool/main/p/python3.13/python3.13_3.13.5.orig.tar.xz"
    assert tarball.sha256 == "abc123"
    assert tarball.python_version == "3.13.5"


def test_when_the_suite_lacks_the_python_version_then_the_error_names_the_setting(monkeypatch):
    import io
    import lzma

    import pytest

    class FakeResponse(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(images.urllib.request, "urlopen", lambda url, timeout: FakeResponse(lzma.compress(b"Package: bash\n")))
    settings = course_settings.Settings(python_version="3.99", debian_mirror="http://m/debian", debian_suite="trixie")
    with pytest.raises(images.ProvisionError, match="LPI_PYTHON_VERSION"):
        images.find_python_tarball(settings)


def test_when_the_mirror_is_unreachable_then_the_error_names_the_mirror():
    import pytest

    settings = course_settings.Settings(debian_mirror="http://127.0.0.1:9/debian")
    with pytest.raises(images.ProvisionError, match="127.0.0.1:9"):
        images.find_python_tarball(settings)


def test_every_course_image_is_named_from_the_one_python_setting():
    settings = course_settings.Settings(python_version="3.12")
    assert settings.course_images == ("python:3.12-slim", "python:3.12", "python:3.12-alpine")
    assert settings.build_args == {"PYTHON_VERSION": "3.12"}
