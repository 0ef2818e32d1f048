"""Every public function and class has a docstring (scripts/docstring_coverage.py).

The whole ``checker/`` package is held to it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "docstring_coverage.py"
OWNED = ("checker",)


def _coverage():
    spec = importlib.util.spec_from_file_location("docstring_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_when_the_checker_modules_are_read_then_every_public_function_and_class_has_a_docstring():
    completed = subprocess.run([sys.executable, str(SCRIPT), *OWNED], capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_when_a_public_name_lacks_a_docstring_then_it_is_listed_and_private_or_nested_ones_are_not():
    source = '''
def documented():
    """Yes."""

def bare():
    def nested():
        pass

def _private():
    pass

class Public:
    """Yes."""

    def method(self):
        pass

    @property
    def prop(self):
        """Yes."""

    def __repr__(self):
        return ""

class Bare:
    pass

class _Hidden:
    def method(self):
        pass

if True:
    def conditional():
        pass
'''
    assert _coverage().missing_docstrings(source) == [
        (5, "function", "bare"), (15, "method", "Public.method"), (25, "class", "Bare"), (33, "function", "conditional"),
    ]


def test_when_a_path_is_missing_or_a_name_lacks_a_docstring_then_the_exit_status_says_so(tmp_path):
    (tmp_path / "good.py").write_text('"""Module."""\n\n\ndef f():\n    """Doc."""\n')
    (tmp_path / "bad.py").write_text("def g():\n    pass\n")
    coverage = _coverage()
    assert coverage.main([str(tmp_path / "good.py")]) == 0
    assert coverage.main([str(tmp_path)]) == 1
    assert coverage.main([str(tmp_path / "nowhere")]) == 2
