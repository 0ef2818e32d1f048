"""One view of every check a rubric can name: course rules, dynamic checks and hadolint.

The rubric (which ids exist, which parameters each takes), the scorer (each check's title, why
and how-to-fix text), ``lean-check rules`` and the docs all read this catalogue, so a check's
metadata is resolved in one place::

    >>> from checker import catalog
    >>> catalog.get("LPI012").kind
    'static'
    >>> catalog.get("builds").needs
    ('build',)

The two registries behind it document their checks the same way: a function whose docstring
has a title line and the fixed sections ``Why it matters:`` and ``How to fix:`` (the ruff
habit). :func:`doc_sections` is the one parser of those docstrings and :func:`lesson_link` the
one validator of lesson links; both registries call them when a check registers, so a check
with missing documentation fails at import, not in front of a learner.

This module imports the registries lazily (inside :func:`entries`), so the registries can
import the parser from here without a cycle.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

#: The course's notebooks, by stem: a lesson link must name one of them.
LESSONS = (
    "00_environment", "01_single_stage_problem", "02_multi_stage", "03_virtualenvs",
    "04_slim_vs_alpine", "05_layer_cache", "06_safer_images", "07_smaller_and_faster", "08_to_the_bone",
)
KINDS = ("static", "dynamic", "hadolint")
HADOLINT_ID = "hadolint"
_SECTION_RE = re.compile(r"^(Why it matters|How to fix):\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    """One check a rubric can name, with the text a learner reads about it."""

    id: str
    """``LPI012`` (course rule), ``builds`` (dynamic check) or ``hadolint``."""
    kind: str
    """``static`` (course rule), ``dynamic`` (judged on the built image) or ``hadolint``."""
    title: str
    """One line, no final full stop: what a passing Dockerfile or image does."""
    rationale: str
    """"Why it matters", for learners (one paragraph)."""
    fix: str
    """"How to fix", for learners (one paragraph)."""
    lesson: str
    """A repo-relative link into the course, e.g. ``notebooks/02_multi_stage.ipynb#the-pattern``."""
    severity: str | None = None
    """The rule's severity (``error``, ``warning``, ``info``, ``style``); None unless ``static``."""
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """The parameters a rubric may set, with their defaults (none for course rules)."""
    needs: tuple[str, ...] = ()
    """Dynamic checks only: the evidence read (``build``, ``filesystem``, ``runtime``, ...)."""
    family: str | None = None
    """Course rules only: the topic the rule belongs to (``packages``, ``context``, ...)."""

    def to_dict(self) -> dict[str, Any]:
        """The entry as ``lean-check rules --format json`` prints a course rule (keys in that order)."""
        return {"id": self.id, "title": self.title, "severity": self.severity, "why": self.rationale,
                "fix": self.fix, "lesson": self.lesson, "family": self.family}


#: hadolint as one check: passes when hadolint reports nothing of the rubric's ``fail_on`` severities.
HADOLINT = Entry(
    id=HADOLINT_ID,
    kind="hadolint",
    title="hadolint finds no problems",
    rationale="hadolint encodes the Dockerfile best practices of the wider community.",
    fix="Read each hadolint finding and its wiki page (DLxxxx).",
    lesson="notebooks/06_safer_images.ipynb",
    params=MappingProxyType({"fail_on": ["error"]}),
)


def doc_sections(doc: str | None, where: str) -> tuple[str, str, str]:
    """``(title, why, fix)`` from a check's docstring.

    The docstring's first line is the title (a final full stop dropped); the paragraphs under
    ``Why it matters:`` and ``How to fix:`` are joined into one line each. Raises
    :class:`ValueError` naming ``where`` when the title or either section is missing.
    """
    text = inspect.cleandoc(doc or "")
    title, _, body = text.partition("\n")
    parts = _SECTION_RE.split(body)
    sections = {parts[i]: " ".join(parts[i + 1].split()) for i in range(1, len(parts) - 1, 2)}
    why, fix = sections.get("Why it matters", ""), sections.get("How to fix", "")
    if not title.strip() or not why or not fix:
        raise ValueError(f"{where}: the docstring needs a title line, 'Why it matters:' and 'How to fix:'")
    return title.strip().rstrip("."), why, fix


def lesson_link(lesson: str, where: str) -> str:
    """``02_multi_stage.ipynb#x`` -> ``notebooks/02_multi_stage.ipynb#x``.

    Raises :class:`ValueError` naming ``where`` when the notebook is not one of :data:`LESSONS`.
    """
    stem = lesson.split("#", 1)[0].removesuffix(".ipynb")
    if stem not in LESSONS:
        raise ValueError(f"{where}: unknown lesson {lesson!r}")
    return f"notebooks/{lesson}"


@functools.cache
def entries() -> tuple[Entry, ...]:
    """Every check: the course rules by id, then the dynamic checks in registration order, then hadolint.

    Computed once: both registries are complete once their packages are imported.
    """
    from checker import checks
    from checker.rules import all_rules

    found = [Entry(rule.id, "static", rule.title, rule.rationale, rule.fix, rule.lesson, rule.severity,
                   family=rule.family)
             for rule in all_rules()]
    found += [Entry(check.id, "dynamic", check.title, check.rationale, check.fix, check.lesson,
                    params=MappingProxyType(dict(check.defaults)), needs=check.needs)
              for check in checks.all_checks()]
    found.append(HADOLINT)
    return tuple(found)


def by_kind(kind: str) -> tuple[Entry, ...]:
    """The entries of one kind (``static``, ``dynamic`` or ``hadolint``), in :func:`entries` order."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    return tuple(entry for entry in entries() if entry.kind == kind)


@functools.cache
def _index() -> dict[str, Entry]:
    return {entry.id: entry for entry in entries()}


def get(check_id: str) -> Entry:
    """The entry for one id; raises :class:`KeyError` for an id no check has."""
    return _index()[check_id]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_table() -> str:
    """The course rules as a Markdown table (``lean-check rules``; the README embeds it). No final newline."""
    lines = [
        "| Rule | Title | Severity | Why it matters | How to fix |",
        "| --- | --- | --- | --- | --- |",
    ]
    for entry in by_kind("static"):
        lines.append(f"| [{entry.id}]({entry.lesson}) | {_cell(entry.title)} | {entry.severity} | "
                     f"{_cell(entry.rationale)} | {_cell(entry.fix)} |")
    return "\n".join(lines)


def checks_table(link_prefix: str = "../") -> str:
    """The dynamic checks as a Markdown table, ending in a newline (``docs/checker.md`` embeds it).

    Lesson links are repo-relative (``notebooks/...``); ``link_prefix`` makes them relative to the
    page that embeds the table, ``docs/`` by default.
    """
    rows = ["| Check | Title | Why it matters | How to fix | Parameters (defaults) |", "| --- | --- | --- | --- | --- |"]
    for entry in by_kind("dynamic"):
        params = ", ".join(f"`{name}={value!r}`" for name, value in entry.params.items()) or "none"
        rows.append(f"| [`{entry.id}`]({link_prefix}{entry.lesson}) | {entry.title} | {entry.rationale} | {entry.fix} | {params} |")
    return "\n".join(rows) + "\n"
