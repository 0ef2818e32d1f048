"""Package-manager installs found in shell commands."""

from __future__ import annotations

import pytest

from checker.dockerfile.packages import package_installs
from checker.dockerfile.shell import split_commands


@pytest.mark.parametrize(
    ("script", "manager", "names"),
    [
        ("apt-get -o Dpkg::Options::=--force-confnew install -y --no-install-recommends libpq5=15.* gcc", "apt", ("libpq5", "gcc")),
        ("apt install -qy curl", "apt", ("curl",)),
        ("apk add --no-cache --virtual .build-deps gcc musl-dev", "apk", ("gcc", "musl-dev")),
        ("dnf install -y --setopt=tsflags=nodocs python3-devel", "dnf", ("python3-devel",)),
        ("yum -y install gcc", "yum", ("gcc",)),
        ("pip install --no-cache-dir 'fastapi[standard]==0.115.6' uvicorn>=0.30", "pip", ("fastapi", "uvicorn")),
        ("pip3.12 install -r requirements.txt", "pip", ()),
        ("python3 -m pip install --user -U pip", "pip", ("pip",)),
        ("/opt/venv/bin/pip install -e .", "pip", (".",)),
        ("uv pip install --system httpx", "uv", ("httpx",)),
        ("uv sync --frozen --no-dev", "uv", ()),
        ("python -m uv sync", "uv", ()),
        ("poetry install --no-root", "poetry", ()),
        ("pipenv install --deploy", "pipenv", ()),
    ],
)
def test_when_a_package_manager_installs_then_manager_and_package_names_are_found(script, manager, names):
    installs = package_installs(split_commands(script))
    assert len(installs) == 1
    assert installs[0].manager == manager
    assert installs[0].names == names


def test_when_pip_options_take_values_then_values_are_not_mistaken_for_packages():
    (install,) = package_installs(split_commands("pip install --prefix /install -r req.txt -c constraints.txt --index-url https://x/simple requests"))
    assert install.names == ("requests",)
    assert install.requirement_files == ("req.txt",)
    assert install.value("--prefix") == "/install"


@pytest.mark.parametrize("script", ["pip download -d /tmp x", "pip wheel -w /w x", "apt-get update", "apk del .build-deps", "echo pip install x", "uv venv /venv"])
def test_when_a_command_does_not_install_then_no_install_is_reported(script):
    assert package_installs(split_commands(script)) == ()
