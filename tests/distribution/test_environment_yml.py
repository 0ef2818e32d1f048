"""environment.yml gives a conda user what setup.sh gives: a compiler, libpq, the same pins (pure; conda is not run here)."""

from __future__ import annotations

import tomllib

import yaml

from .support import REPO

ENV = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))


def test_the_conda_environment_brings_a_compiler_and_libpq_for_psycopg2():
    names = {str(item).split("=")[0].split(" ")[0] for item in ENV["dependencies"] if isinstance(item, str)}
    assert {"c-compiler", "libpq", "pip", "python"} <= names


def test_its_pip_section_installs_every_extra_under_the_same_constraints():
    pip = next(item["pip"] for item in ENV["dependencies"] if isinstance(item, dict))
    assert "-c requirements/constraints.txt" in pip
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert f"-e .[{','.join(extras)}]" in pip


def test_its_python_is_within_the_supported_range_and_its_limits_are_stated():
    python = next(item for item in ENV["dependencies"] if isinstance(item, str) and item.startswith("python="))
    assert tuple(map(int, python.split("=")[1].split("."))) >= (3, 11)
    text = (REPO / "environment.yml").read_text(encoding="utf-8")
    assert "Docker engine" in text and "Chromium" in text
