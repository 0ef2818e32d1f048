"""`make lab`: prepare the learner's own copy of the course, then open it in JupyterLab.

The learner works in ``my-course/`` (git-ignored), never in the tracked files: running a lesson
saves its outputs into the notebook, and the exercises are solved by editing their Dockerfiles,
so working in the checkout itself would leave ``git status`` dirty and make every ``git pull`` of
a course update a merge conflict. (Stripping outputs on save would not cover the Dockerfiles, and
would throw away the measured charts a learner wants to find again.)

The copy holds what a learner opens, in the repository's layout, so every relative link works:
``notebooks/`` (the lessons and their list, without the maintainers' jupytext sources),
``exercises/`` (one folder per exercise) and ``sample_app/``. The grader and the solutions stay in
the repository. Each run refreshes the copy: a missing file is copied; a file the learner has not
changed since it was copied is replaced by the course's current version; a file the learner
changed is kept, and the run says so when the course's version changed too. For a notebook only
its cells' sources count as a change, so a lesson the learner merely ran still receives updates.

JupyterLab is started with the settings in ``jupyter-config/`` (no news pop-up, Markdown opens
rendered), over the copy, on the lesson list.

    python scripts/lab.py [--course-dir DIR] [--prepare-only] [JUPYTER LAB OPTIONS...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Where ``make lab`` puts the learner's copy (listed in .gitignore).
DEFAULT_COURSE_DIR = REPO_ROOT / "my-course"
#: The Jupyter configuration shipped with the course (a JUPYTER_CONFIG_PATH entry).
CONFIG_DIR = REPO_ROOT / "jupyter-config"
#: The page JupyterLab opens on: the lesson list, relative to the copy's root.
START_PAGE = "notebooks/README.md"
#: The record of what was copied (relative path -> fingerprint), inside the copy.
MANIFEST_NAME = ".course-manifest.json"
_SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".venv", ".mypy_cache"}


def course_files(repo: Path = REPO_ROOT) -> Iterator[str]:
    """The repository-relative paths (POSIX) a learner's copy holds, sorted.

    The lessons (``notebooks/NN_*.ipynb``), their list and quick reference (``notebooks/*.md``), every exercise folder except the
    maintainers' ``_template``, the exercises' README, and the sample app.
    """
    found = [path for path in (repo / "notebooks").glob("[0-9][0-9]_*.ipynb")]
    found += [path for path in (repo / "notebooks").glob("*.md")]  # the lesson list and the quick reference
    found.append(repo / "exercises" / "README.md")
    for top in [*(repo / "exercises").glob("[0-9][0-9]-*"), repo / "sample_app"]:
        found += [path for path in top.rglob("*")
                  if path.is_file() and not _SKIPPED_NAMES & set(path.relative_to(repo).parts)
                  and path.suffix not in {".pyc", ".pyo"}]
    yield from sorted(path.relative_to(repo).as_posix() for path in found if path.is_file())


def fingerprint(path: Path) -> str:
    """What counts as the file's content: its bytes, or for a notebook its cells' types and sources.

    Outputs, execution counts and metadata of a notebook do not count, so running a lesson is not
    an edit. A notebook that is not valid JSON is fingerprinted by its bytes.
    """
    data = path.read_bytes()
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(data)["cells"]
            data = json.dumps([[cell["cell_type"], "".join(cell["source"]) if isinstance(cell["source"], list)
                                else cell["source"]] for cell in cells]).encode()
        except (ValueError, KeyError, TypeError):
            pass
    return hashlib.sha256(data).hexdigest()


@dataclass
class Refresh:
    """What :func:`prepare` did, by repository-relative path."""

    copied: list[str] = field(default_factory=list)
    """New in the copy (first run, a new lesson, or a file the learner deleted)."""
    updated: list[str] = field(default_factory=list)
    """Replaced by the course's newer version (the learner had not changed them)."""
    kept: list[str] = field(default_factory=list)
    """Changed by the learner and changed by the course since: the learner's version stays."""

    def summary(self) -> str:
        """One line per kind of change, for the terminal; empty when nothing changed."""
        lines = []
        if self.copied:
            lines.append(f"copied {len(self.copied)} course files")
        if self.updated:
            lines.append(f"updated {len(self.updated)} files you had not changed: {', '.join(self.updated)}")
        for rel in self.kept:
            lines.append(f"kept your version of {rel}; the course's newer one is {REPO_ROOT.name}/{rel}")
        return "\n".join(lines)


def _read_manifest(course_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((course_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, Mapping) else {}
    except (OSError, ValueError):
        return {}


def prepare(course_dir: Path = DEFAULT_COURSE_DIR, repo: Path = REPO_ROOT) -> Refresh:
    """Create or refresh the learner's copy at ``course_dir`` from ``repo``; returns what changed.

    Never deletes or overwrites a file the learner changed. Raises ``OSError`` when ``course_dir``
    cannot be written.
    """
    manifest = _read_manifest(course_dir)
    refresh = Refresh()
    for rel in course_files(repo):
        source, target = repo / rel, course_dir / rel
        new = fingerprint(source)
        if target.is_file():
            current = fingerprint(target)
            if current == new:
                manifest[rel] = new
                continue
            if current != manifest.get(rel):
                if manifest.get(rel) != new:
                    refresh.kept.append(rel)
                continue
            refresh.updated.append(rel)
        else:
            refresh.copied.append(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        manifest[rel] = new
    course_dir.mkdir(parents=True, exist_ok=True)
    (course_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return refresh


def jupyter_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's) with the course's Jupyter config dir first on JUPYTER_CONFIG_PATH."""
    env = dict(os.environ if base is None else base)
    paths = [str(CONFIG_DIR), *filter(None, env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def jupyter_command(course_dir: Path, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The ``jupyter lab`` command line serving ``course_dir``, opening on the lesson list."""
    return [
        str(Path(sys.executable).parent / "jupyter"), "lab",
        f"--ServerApp.root_dir={course_dir}",
        f"--LabApp.default_url=/lab/tree/{START_PAGE}",
        *extra,
    ]


def main(argv: list[str] | None = None) -> int:
    """Prepare the copy, then replace this process by ``jupyter lab`` (unless ``--prepare-only``)."""
    parser = argparse.ArgumentParser(description="Prepare my-course/ and open it in JupyterLab.",
                                     epilog="Other options are passed to `jupyter lab`.")
    parser.add_argument("--course-dir", type=Path, default=DEFAULT_COURSE_DIR,
                        help="the learner's copy (default: %(default)s)")
    parser.add_argument("--prepare-only", action="store_true", help="only create or refresh the copy")
    args, extra = parser.parse_known_args(argv)
    course_dir = args.course_dir.resolve()
    refresh = prepare(course_dir)
    print(f"Your copy of the course: {course_dir} (yours to edit; git ignores it)")
    if refresh.summary():
        print(refresh.summary())
    if args.prepare_only:
        return 0
    command = jupyter_command(course_dir, extra)
    sys.stdout.flush()
    os.execve(command[0], command, jupyter_environment())
    return 1  # not reached: execve replaces the process


if __name__ == "__main__":
    raise SystemExit(main())
