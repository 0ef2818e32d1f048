"""The .dockerignore matcher follows docker build's rules."""

from __future__ import annotations

import pytest

from checker.dockerignore import DockerIgnore


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        (".git", ".git/objects/ab/cdef", True),
        ("/.git/", ".git/HEAD", True),
        ("__pycache__", "__pycache__/a.pyc", True),
        ("__pycache__", "pkg/__pycache__/a.pyc", False),
        ("**/__pycache__", "pkg/sub/__pycache__/a.pyc", True),
        ("*.pyc", "a.pyc", True),
        ("*.pyc", "pkg/a.pyc", False),
        ("**/*.pyc", "pkg/a.pyc", True),
        ("**", "anything/at/all", True),
        ("*\n!app", "app/main.py", False),
        ("*\n!app\napp/secret.txt", "app/secret.txt", True),
        ("*.txt\n!requirements*.txt", "requirements-dev.txt", False),
        ("docs/?.md", "docs/a.md", True),
        ("docs/?.md", "docs/ab.md", False),
        ("*.py[cod]", "x.pyo", True),
        ("# .git\n", ".git/HEAD", False),
        ("  .venv  ", ".venv/bin/python", True),
        ("./venv", "venv/bin/python", True),
        ("!.venv", ".venv/bin/python", False),
    ],
)
def test_when_a_path_is_matched_then_the_last_matching_pattern_decides(patterns, path, excluded):
    assert DockerIgnore.parse(patterns).excludes(path) is excluded
