"""Generate each exercise's notebook `exercises/NN-name/NN-name.ipynb` from one template.

The notebook's text is the exercise's README (the single source of the task); the rest is the
same for every exercise: the "Check my Dockerfile" panel, hints and "Show solution".
`tests/exercises/test_exercise_files.py` fails when a committed notebook differs from what this
script generates, so after editing a README or this template run:

    python exercises/_template/make_notebooks.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

EXERCISES = Path(__file__).resolve().parent.parent

EDIT_TEXT = """## Your answer

Edit `Dockerfile` in this folder (open it from the file browser), save it, then press
**Check my Dockerfile** below. The checker builds your image on the real engine, runs it and
probes it; the build's lines appear while it runs, then the report. The first check of an
exercise compiles psycopg2 (about a minute); later ones reuse the cache. In a terminal the
same check is `python -m checker check {name}`.

Stuck? **Show a hint** reveals one level at a time. **Show solution** reveals the reference
answer; try the hints first."""

SETUP_CODE = """# Find the course's checker from this folder (the repository root holds `checker/`).
import pathlib
import sys

root = next(p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "checker" / "__init__.py").is_file())
if str(root) not in sys.path:
    sys.path.insert(0, str(root))

from checker.lesson.exercise import exercise_panel"""

PANEL_CODE = 'exercise_panel("{name}")'

RECAP_TEXT = """## Recap

When every check passes, compare your Dockerfile with the solution: the same result can be
written in several ways, and the differences are worth a minute. {next_step}"""


def exercise_dirs() -> list[Path]:
    """The exercise folders (those holding a ``rubric.toml``), in number order."""
    return sorted(p.parent for p in EXERCISES.glob("[0-9][0-9]-*/rubric.toml"))


def task_text(readme: str) -> str:
    """The README without its "## Check your answer" section: in the notebook, the panel below is how
    to check, and the solution's path is not put on the learner's first screen ("Show solution" is there)."""
    kept, skipping = [], False
    for line in readme.strip().splitlines():
        if line.startswith("## "):
            skipping = line.strip() == "## Check your answer"
        if not skipping:
            kept.append(line)
    return "\n".join(kept).strip()


def notebook_for(exercise: Path) -> nbformat.NotebookNode:
    """The notebook of ``exercise``: its README, the panel cells, a recap linking the next exercise."""
    dirs = exercise_dirs()
    position = dirs.index(exercise)
    if position + 1 < len(dirs):
        following = dirs[position + 1].name
        next_step = f"Next: [{following}](../{following}/{following}.ipynb)."
    else:
        next_step = "That was the last exercise: well done."
    readme = task_text((exercise / "README.md").read_text(encoding="utf-8"))
    cells = [
        nbformat.v4.new_markdown_cell(readme),
        nbformat.v4.new_markdown_cell(EDIT_TEXT.format(name=exercise.name)),
        nbformat.v4.new_code_cell(SETUP_CODE),
        nbformat.v4.new_code_cell(PANEL_CODE.format(name=exercise.name)),
        nbformat.v4.new_markdown_cell(RECAP_TEXT.format(next_step=next_step)),
    ]
    for index, cell in enumerate(cells):
        cell["id"] = f"{exercise.name}-{index}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return notebook


def render(exercise: Path) -> str:
    """The notebook of ``exercise`` as the exact text committed (nbformat 4, trailing newline)."""
    return nbformat.writes(notebook_for(exercise), version=4) + "\n"


def notebook_path(exercise: Path) -> Path:
    """Where the notebook of ``exercise`` lives: ``exercises/NN-name/NN-name.ipynb``."""
    return exercise / f"{exercise.name}.ipynb"


def main(argv: list[str]) -> int:
    """Write every stale notebook, or with ``--check`` only list them; returns 1 when any is stale."""
    check = "--check" in argv
    stale = []
    for exercise in exercise_dirs():
        path, text = notebook_path(exercise), render(exercise)
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        elif not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(EXERCISES.parent)}")
    if stale:
        print("out of date (run python exercises/_template/make_notebooks.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
