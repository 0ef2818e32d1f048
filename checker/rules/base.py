"""The rule machinery: a registry filled by a decorator, and the context a rule reads.

A rule is one function in its own module, named after the rule (``checker/rules/lpi012.py``).
Its docstring is its documentation, in fixed sections (the ruff habit), so the rule table and
the learner-facing hints are generated from the code and never drift::

    @rule("LPI012", severity="error", lesson="06_safer_images.ipynb#run-as-a-non-root-user", family="runtime")
    def non_root_user(ctx: Context) -> Iterator[Flag]:
        \"\"\"Run as a non-root user.

        Why it matters:
            ...
        How to fix:
            ...
        \"\"\"
        ...
        yield Flag(line, "The final stage never sets USER ...")

The function is a pure predicate over the parsed Dockerfile: it yields a :class:`Flag` per
problem and nothing when the check passes. Facts several rules share live in
:mod:`checker.rules.facts`; the docstring parser and the lesson-link check are the catalogue's
(:func:`checker.catalog.doc_sections`, :func:`checker.catalog.lesson_link`), shared with the
dynamic checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from checker.catalog import LESSONS, doc_sections, lesson_link
from checker.dockerfile import Dockerfile
from checker.findings import SEVERITIES, Finding
from checker.rules.facts import Facts

if TYPE_CHECKING:
    from checker.dockerignore import DockerIgnore

__all__ = ["LESSONS", "REGISTRY", "Context", "Flag", "Rule", "rule"]

_ID_RE = re.compile(r"^LPI\d{3}$")


class Flag(NamedTuple):
    """What a check yields: a line and a message; the rule fills in its id and severity."""

    line: int
    message: str
    severity: str | None = None
    """Overrides the rule's severity (a builder-only problem may be ``info``)."""
    hint: str | None = None
    """Overrides the rule's fix hint when a more specific one helps."""


@dataclass(frozen=True)
class Context:
    """Everything a rule may look at. Rules never read files or talk to an engine."""

    dockerfile: Dockerfile
    dockerignore: str | DockerIgnore | None = None
    """The build context's ``.dockerignore``: its text, or already parsed; None when there is none (or unknown)."""
    context_known: bool = False
    """True when we know the build context, so ``dockerignore=None`` means it is really absent."""
    build_args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    context_venvs: tuple[str, ...] = ()
    """Directories of the build context that are virtual environments (they hold ``pyvenv.cfg``)."""
    buildkit: bool | None = False
    """True when the grading engine builds with BuildKit, False when it uses the classic builder, None
    when no engine was asked (``lint`` without ``--buildkit``)."""

    @cached_property
    def facts(self) -> Facts:
        """Derived facts about :attr:`dockerfile`, computed once and shared by the rules."""
        return Facts(self.dockerfile)


@dataclass(frozen=True)
class Rule:
    """A registered rule: metadata from its decorator and docstring, and its check."""

    id: str
    title: str
    severity: str
    rationale: str
    """"Why it matters", for learners."""
    fix: str
    """"How to fix", for learners."""
    lesson: str
    """A path into the course, e.g. ``notebooks/02_multi_stage.ipynb#the-pattern``."""
    family: str
    """The topic the rule belongs to (``packages``, ``context``...), shown by ``lean-check rules --format json``."""
    predicate: Callable[[Context], Iterable[Flag]] = field(repr=False, compare=False)

    def check(self, ctx: Context) -> list[Finding]:
        """Run the predicate on one context: its findings (each once), sorted; none means it passes."""
        findings = []
        for flag in self.predicate(ctx):
            findings.append(
                Finding(
                    rule=self.id,
                    severity=flag.severity or self.severity,  # type: ignore[arg-type]
                    line=flag.line,
                    message=flag.message,
                    source="course",
                    hint=flag.hint or self.fix,
                )
            )
        unique = {(f.line, f.message): f for f in findings}
        return sorted(unique.values(), key=Finding.sort_key)


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, *, severity: str, lesson: str, family: str) -> Callable[[Callable[[Context], Iterable[Flag]]], Callable[[Context], Iterable[Flag]]]:
    """Register a course rule; title, rationale and fix come from the function's docstring.

    ``lesson`` is a notebook and anchor (``02_multi_stage.ipynb#naming-stages``). Raises
    :class:`ValueError` at import for a malformed id, an unknown severity or lesson, an id
    registered twice, a docstring without its sections, or a rule of this package whose module
    is not named after it (``LPI012`` lives in ``checker/rules/lpi012.py``).
    """
    if not _ID_RE.match(rule_id):
        raise ValueError(f"rule ids look like LPI001, got {rule_id!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"{rule_id}: unknown severity {severity!r}")

    def register(function: Callable[[Context], Iterable[Flag]]) -> Callable[[Context], Iterable[Flag]]:
        if rule_id in REGISTRY:
            raise ValueError(f"rule id {rule_id} is registered twice")
        package, _, module = function.__module__.rpartition(".")
        if package == __package__ and module != rule_id.lower():
            raise ValueError(f"{rule_id} must be defined in checker/rules/{rule_id.lower()}.py, not in {module}.py")
        title, why, fix = doc_sections(function.__doc__, rule_id)
        REGISTRY[rule_id] = Rule(
            id=rule_id, title=title, severity=severity, rationale=why, fix=fix,
            lesson=lesson_link(lesson, rule_id), family=family, predicate=function,
        )
        return function

    return register
