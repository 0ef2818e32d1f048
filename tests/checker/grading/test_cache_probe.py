"""Which build steps are dependency installs: read from the parsed Dockerfile, not the build log."""

from __future__ import annotations

import pytest

from checker import engine
from checker.dockerfile import parse
from checker.grading import cache_probe, install_step_numbers, is_install_step

SAMPLE = """ARG PYTHON_VERSION=3.13
FROM python:${PYTHON_VERSION}-slim AS builder
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
FROM python:${PYTHON_VERSION}-slim
COPY --from=builder /opt/venv /opt/venv
COPY . .
RUN pip install --no-deps .
"""


@pytest.mark.parametrize("instruction, expected", [
    ("RUN pip install --no-cache-dir -r requirements.txt", True),
    ("RUN python -m pip install --prefix=/install -r requirements.txt", True),
    ("RUN /opt/venv/bin/pip install -r requirements.txt && rm -rf /tmp/x", True),
    ("RUN uv pip install --system -r requirements.txt", True),
    ("RUN uv sync --frozen --no-install-project", True),
    ("RUN poetry install --no-root", True),
    ('RUN ["pip", "install", "-r", "requirements.txt"]', True),
    ('RUN ["/bin/sh", "-c", "pip install -r requirements.txt"]', True),
    ("RUN pip install --no-deps .", False),
    ("RUN poetry install --only-root", False),
    ("RUN apt-get install -y libpq5", False),
    ("COPY requirements.txt .", False),
    ("RUN python -m venv /opt/venv", False),
])
def test_dependency_install_steps_are_recognised_for_any_installer(instruction, expected):
    assert is_install_step(parse(f"FROM python:3.13-slim\n{instruction}\n").instructions[-1]) is expected


def test_when_global_args_precede_the_first_from_then_step_numbers_still_count_them():
    assert install_step_numbers(parse(SAMPLE)) == {4}


def test_when_the_build_log_follows_the_file_then_its_install_steps_are_the_models():
    steps = [engine.BuildStep(number, text) for number, text in enumerate(SAMPLE.strip().splitlines(), start=1)]
    assert [step.number for step in cache_probe.install_steps(steps, parse(SAMPLE))] == [4]


def test_when_a_step_does_not_match_the_models_instruction_then_it_is_no_install():
    steps = [engine.BuildStep(4, "COPY . .")]
    assert cache_probe.install_steps(steps, parse(SAMPLE)) == []
