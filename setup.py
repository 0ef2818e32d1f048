"""Build step: copy the course's files into the wheel as ``checker/_data/`` (see pyproject.toml).

An installed ``lean-check`` grades against the sample app and the exercises' rubrics; outside a
checkout it finds them in ``checker/_data/``, laid out as in the repository
(``sample_app/``, ``exercises/``, ``solutions/``, ``checker/rubrics/``) so every relative path
in a rubric means the same thing in both places (``checker.settings.course_dir``). Only regular
files are copied; caches and notebooks' checkpoints are left out. Everything else about the
package is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: The course's folders (and the default rubric) shipped inside the package, relative to the root.
COURSE_PARTS = ("sample_app", "exercises", "solutions", "checker/rubrics")
_SKIP = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".mypy_cache", ".venv", "venv"}


def course_files(root: Path = ROOT) -> list[Path]:
    """The course's files to ship, relative to ``root``: regular files of :data:`COURSE_PARTS`, sorted."""
    found = []
    for part in COURSE_PARTS:
        for path in sorted((root / part).rglob("*")):
            rel = path.relative_to(root)
            if any(piece in _SKIP for piece in rel.parts) or path.suffix in (".pyc", ".pyo"):
                continue
            if path.is_file() and not path.is_symlink():
                found.append(rel)
    return found


class BuildWithCourseData(build_py):
    """``build_py`` that also copies :func:`course_files` to ``<build>/checker/_data/``."""

    def run(self) -> None:
        """Build the package as usual, then add the course's files under ``checker/_data/``."""
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout itself
        target = Path(self.build_lib) / "checker" / "_data"
        # A build folder left by an earlier build keeps files since renamed or removed (an exercise
        # renumbered): start the course's files afresh, so the wheel holds only what the tree holds.
        shutil.rmtree(target, ignore_errors=True)
        for rel in course_files():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / rel, dest)


setup(cmdclass={"build_py": BuildWithCourseData})
