"""Every "read the lesson" link of the checker lands on a section that exists.

Rules and dynamic checks name the lesson section that teaches them
(``notebooks/NN_topic.ipynb#anchor``); the reports and the generated tables in README.md and
docs/checker.md link there. A lesson marks the section with ``<a id="anchor"></a>`` at the top
of the markdown cell. These tests read files only: no engine, no kernel.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

import checker.checks.exercise  # noqa: F401  (registers its dynamic checks)
from checker.checks import REGISTRY
from checker.rules import all_rules

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")
_MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+\.ipynb#[^)\s]+)\)")


def lesson_links() -> dict[str, str]:
    """Every lesson link, repo-relative, with who uses it (rule ids and dynamic check ids)."""
    users: dict[str, list[str]] = {}
    for rule in all_rules():
        users.setdefault(rule.lesson, []).append(rule.id)
    for check in REGISTRY.values():
        users.setdefault(check.lesson, []).append(check.id)
    return {link: ", ".join(ids) for link, ids in sorted(users.items())}


def anchors_in(notebook: Path) -> list[str]:
    """The element ids in a notebook's markdown cells, in order (duplicates kept)."""
    cells = nbformat.read(notebook, as_version=4).cells
    return [found for cell in cells if cell.cell_type == "markdown" for found in _ID.findall(cell.source)]


def link_problem(link: str, base: Path = REPO) -> str | None:
    """Why ``link`` (relative to ``base``) does not land on a lesson section, or None if it does."""
    path, hash_, anchor = link.partition("#")
    if not hash_ or not anchor:
        return f"{link}: no #anchor"
    target = (base / path).resolve()
    if not target.is_file():
        return f"{link}: {path} does not exist (relative to {base.relative_to(REPO).as_posix()}/)"
    if anchor not in anchors_in(target):
        return f'{link}: {target.name} has no markdown element with id="{anchor}"'
    return None


LINKS = lesson_links()


def test_every_rule_and_every_dynamic_check_names_a_lesson_section():
    unlinked = [rule.id for rule in all_rules() if "#" not in rule.lesson]
    unlinked += [check.id for check in REGISTRY.values() if "#" not in check.lesson]
    assert not unlinked, f"no lesson section named by: {unlinked}"
    assert {"pyc_kept", "no_pip_in_app_env"} <= set(REGISTRY), "the exercise checks are registered too"


@pytest.mark.parametrize("link", sorted(LINKS), ids=lambda link: link.removeprefix("notebooks/"))
def test_when_a_rule_or_check_links_a_lesson_then_the_section_exists(link):
    problem = link_problem(link)
    assert problem is None, f"{problem} (used by {LINKS[link]})"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_no_lesson_uses_the_same_anchor_twice(notebook):
    anchors = anchors_in(notebook)
    assert len(anchors) == len(set(anchors)), sorted({a for a in anchors if anchors.count(a) > 1})


def test_a_made_up_anchor_or_lesson_is_reported_missing():
    assert link_problem("notebooks/02_multi_stage.ipynb#the-multi-stage-pattern") is None
    assert "no markdown element" in link_problem("notebooks/02_multi_stage.ipynb#no-such-section")
    assert "does not exist" in link_problem("notebooks/99_no_such_lesson.ipynb#the-multi-stage-pattern")
    assert "no #anchor" in link_problem("notebooks/02_multi_stage.ipynb")


def _pages_with_links() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "notebooks" / "README.md",
            REPO / "notebooks" / "QUICK_REFERENCE.md"]


@pytest.mark.parametrize("page", _pages_with_links(), ids=lambda p: str(p.relative_to(REPO)))
def test_lesson_section_links_in_the_docs_resolve_from_the_page_that_holds_them(page):
    """README.md and docs/checker.md embed generated tables of these links, relative to themselves."""
    links = _MARKDOWN_LINK.findall(page.read_text(encoding="utf-8"))
    problems = [problem for link in links if (problem := link_problem(link, page.parent))]
    assert not problems, problems


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_section_links_between_lessons_resolve(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    links = [link for cell in cells if cell.cell_type == "markdown" for link in _MARKDOWN_LINK.findall(cell.source)]
    problems = [problem for link in links if (problem := link_problem(link, notebook.parent))]
    assert not problems, problems


# --- every link a learner can click in `make lab`'s copy of the course ----------------------------

_ANY_MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HTML_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""")


def _lab_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("lpi_lab_script", REPO / "scripts" / "lab.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _markdown_texts(rel: str) -> list[str]:
    """The Markdown a learner reads in one file of the copy: a notebook's markdown cells, or a .md file."""
    path = REPO / rel
    if path.suffix == ".ipynb":
        return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"]
    return [path.read_text(encoding="utf-8")] if path.suffix == ".md" else []


def copy_link_problems(files: set[str]) -> list[str]:
    """Relative links in the copy's Markdown that do not open a file of the copy (``files``: its paths)."""
    problems = []
    for rel in sorted(files):
        for text in _markdown_texts(rel):
            for link in [*_ANY_MARKDOWN_LINK.findall(text), *_HTML_HREF.findall(text)]:
                if re.match(r"^[a-z]+:|^#", link):
                    continue  # a web address, or an anchor in the same page
                target = link.partition("#")[0]
                resolved = (Path("/") / rel).parent.joinpath(target).resolve().relative_to("/").as_posix()
                if resolved not in files:
                    where = "a folder (JupyterLab opens nothing)" if (REPO / resolved).is_dir() else "not in the copy"
                    problems.append(f"{rel}: ({link}) is {where}")
    return problems


def test_every_relative_link_in_the_learners_copy_opens_a_file_of_the_copy():
    """The lesson list, the lessons, the exercises: `make lab` serves exactly these files."""
    files = set(_lab_script().course_files())
    assert {"notebooks/README.md", "notebooks/00_environment.ipynb", "exercises/02-multi-stage/02-multi-stage.ipynb",
            "exercises/02-multi-stage/Dockerfile", "sample_app/requirements.txt"} <= files
    problems = copy_link_problems(files)
    assert not problems, "\n".join(problems)


def test_a_link_to_a_folder_or_outside_the_copy_is_reported():
    files = {"notebooks/README.md", "notebooks/00_environment.ipynb"}
    problems = copy_link_problems(files)  # the real README links exercises that this small set lacks
    assert any("not in the copy" in problem for problem in problems), problems
    assert copy_link_problems(set()) == []
