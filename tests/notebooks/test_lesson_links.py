"""Every "read the lesson" link of the checker lands on a section that exists.

Rules and dynamic checks name the lesson section that teaches them
(``notebooks/NN_topic.ipynb#anchor``); the reports and the generated tables in README.md and
docs/checker.md link there. A lesson marks the section with ``<a id="anchor"></a>`` at the top
of the markdown cell. These tests read files only: no engine, no kernel.
"""

from __future__ import annotations

import re
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
