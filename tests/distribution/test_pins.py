"""The pins of requirements/constraints.txt resolve on every supported Python.

These tests need the network (PyPI): they ask the real resolver (uv, pinned in the constraints)
to resolve every extra of pyproject.toml under the constraints for each Python version, from
the floor (3.11.2, Debian 12's system python3) up. No network-free shortcut: ``pip install
--dry-run --python-version`` would need ``--only-binary`` and cannot judge sdists like psycopg2.
The last test installs them for real, without installing, with Debian 12's own /usr/bin/python3.
"""

from __future__ import annotations

import pytest

from .support import CONSTRAINTS, REPO, SUPPORTED_PYTHONS, pins, run, uv

EXTRAS = ["--extra", "course", "--extra", "app", "--extra", "test"]


def compile_for(python: str, constraints) -> "subprocess.CompletedProcess[str]":  # noqa: F821
    """``uv pip compile`` of every extra for ``python`` under ``constraints`` (needs the network)."""
    return run([*uv(), "pip", "compile", "pyproject.toml", *EXTRAS, "-c", str(constraints), "--python-version", python,
                "--no-header", "--no-annotate", "--quiet", "--no-cache"], timeout=300, cwd=REPO)


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS)
def test_the_pins_resolve_unchanged_for_each_supported_python(python):
    """Needs the network: resolves against PyPI."""
    done = compile_for(python, CONSTRAINTS)
    assert done.returncode == 0, f"the pins do not resolve for Python {python}:\n{done.stderr}"
    resolved, pinned = pins(done.stdout), pins(CONSTRAINTS.read_text(encoding="utf-8"))
    assert resolved, done.stdout
    changed = {name: (version, pinned.get(name)) for name, version in resolved.items() if pinned.get(name) != version}
    assert not changed, f"Python {python} resolves versions that are not the pins (resolved, pinned): {changed}"


def test_a_pin_that_needs_a_newer_python_than_the_floor_is_caught(tmp_path):
    """Needs the network. The failure issue 20 reported (soupsieve 4.1.3 needs Python >= 3.11.5) is one this check sees."""
    constraints = tmp_path / "constraints.txt"
    text = CONSTRAINTS.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("soupsieve=="))
    constraints.write_text(text.replace(old, "soupsieve==4.1.3"), encoding="utf-8")
    done = compile_for("3.11.2", constraints)
    assert done.returncode != 0, "soupsieve 4.1.3 should not resolve on Python 3.11.2"
    assert "soupsieve" in done.stderr


def test_the_constraints_are_what_make_lock_writes(tmp_path):
    """Needs the network. ``make lock``'s resolution (for 3.11.2, today's pins preferred) reproduces the file."""
    out = tmp_path / "constraints.txt"
    out.write_text(CONSTRAINTS.read_text(encoding="utf-8"), encoding="utf-8")
    done = run([*uv(), "pip", "compile", "pyproject.toml", *EXTRAS, "--python-version", "3.11.2", "--no-header",
                "--no-annotate", "--quiet", "--no-cache", "-o", str(out)], timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert pins(out.read_text(encoding="utf-8")) == pins(CONSTRAINTS.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_debian_12_system_python_installs_the_pins(tmp_path):
    """Needs the network and Debian 12's /usr/bin/python3 (3.11.2): pip itself resolves the set-up's install.

    ``pip install --dry-run`` in a fresh venv of that interpreter resolves (and builds the metadata
    of sdists such as psycopg2) exactly what ``scripts/setup.sh`` installs, without installing.
    """
    python = "/usr/bin/python3"
    version = run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], timeout=30)
    assert version.returncode == 0, f"{python} is missing: this check needs Debian 12's system Python"
    assert version.stdout.strip() == "3.11.2", f"{python} is {version.stdout.strip()}, not Debian 12's 3.11.2"
    venv = tmp_path / "venv"
    made = run([python, "-m", "venv", str(venv)], timeout=120)
    assert made.returncode == 0, made.stderr
    done = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(tmp_path / "r.json"),
                "-c", str(CONSTRAINTS), "-e", ".[course,app,test]"], timeout=600, cwd=REPO)
    assert done.returncode == 0, f"pip on Python 3.11.2 cannot install the pins:\n{done.stderr[-3000:]}"
    import json

    installed = {item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"]
                 for item in json.loads((tmp_path / "r.json").read_text())["install"]}
    assert installed.get("soupsieve") == pins(CONSTRAINTS.read_text())["soupsieve"]
    assert "psycopg2" in installed
