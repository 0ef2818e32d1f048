"""The rule machinery: a registry filled by a decorator, the context a rule reads, shared facts.

A rule is one function. Its docstring is its documentation, in fixed sections (the ruff habit),
so the rule table and the learner-facing hints are generated from the code and never drift::

    @rule("LPI012", severity="error", lesson="06_going_further.ipynb#run-as-a-non-root-user")
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
problem and nothing when the check passes.
"""

from __future__ import annotations

import inspect
import posixpath
import re
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple
from collections.abc import Callable, Iterable, Iterator, Mapping

from checker.dockerfile import Dockerfile, Instruction, Stage, parse_image_ref
from checker.findings import SEVERITIES, Finding

LESSONS = (
    "00_environment", "01_single_stage_problem", "02_multi_stage", "03_virtualenvs",
    "04_slim_vs_alpine", "05_layer_cache", "06_going_further",
)
_ID_RE = re.compile(r"^LPI\d{3}$")
_SECTION_RE = re.compile(r"^(Why it matters|How to fix):\s*$", re.MULTILINE)


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
    dockerignore: str | None = None
    """The text of the build context's ``.dockerignore``; None when there is none (or unknown)."""
    context_known: bool = False
    """True when we know the build context, so ``dockerignore=None`` means it is really absent."""
    build_args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    context_venvs: tuple[str, ...] = ()
    """Directories of the build context that are virtual environments (they hold ``pyvenv.cfg``)."""
    buildkit: bool = False
    """True when the grading engine builds with BuildKit; our course engine uses the classic builder."""

    @cached_property
    def facts(self) -> Facts:
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
    predicate: Callable[[Context], Iterable[Flag]] = field(repr=False, compare=False)

    def check(self, ctx: Context) -> list[Finding]:
        """Run the predicate; no findings means the check passes."""
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

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id, "title": self.title, "severity": self.severity, "why": self.rationale,
            "fix": self.fix, "lesson": self.lesson, "family": self.family,
        }


REGISTRY: dict[str, Rule] = {}


def _sections(doc: str, where: str) -> tuple[str, str, str]:
    text = inspect.cleandoc(doc or "")
    title, _, body = text.partition("\n")
    parts = _SECTION_RE.split(body)
    sections = {parts[i]: " ".join(parts[i + 1].split()) for i in range(1, len(parts) - 1, 2)}
    why, fix = sections.get("Why it matters", ""), sections.get("How to fix", "")
    if not title.strip() or not why or not fix:
        raise ValueError(f"{where}: the docstring needs a title line, 'Why it matters:' and 'How to fix:'")
    return title.strip().rstrip("."), why, fix


def rule(rule_id: str, *, severity: str, lesson: str) -> Callable[[Callable[[Context], Iterable[Flag]]], Callable[[Context], Iterable[Flag]]]:
    """Register a check. Title, rationale and fix come from the function's docstring."""
    if not _ID_RE.match(rule_id):
        raise ValueError(f"rule ids look like LPI001, got {rule_id!r}")
    if severity not in SEVERITIES:
        raise ValueError(f"{rule_id}: unknown severity {severity!r}")

    def register(function: Callable[[Context], Iterable[Flag]]) -> Callable[[Context], Iterable[Flag]]:
        if rule_id in REGISTRY:
            raise ValueError(f"rule id {rule_id} is registered twice")
        title, why, fix = _sections(function.__doc__ or "", rule_id)
        stem = lesson.split("#", 1)[0].removesuffix(".ipynb")
        if stem not in LESSONS:
            raise ValueError(f"{rule_id}: unknown lesson {lesson!r}")
        REGISTRY[rule_id] = Rule(
            id=rule_id, title=title, severity=severity, rationale=why, fix=fix,
            lesson=f"notebooks/{lesson}", family=function.__module__.rsplit(".", 1)[-1],
            predicate=function,
        )
        return function

    return register


# --------------------------------------------------------------------------------------------
# Facts shared by several rules (computed once per Dockerfile)
# --------------------------------------------------------------------------------------------

#: Paths that hold the system Python or the whole OS; copying them drags everything along.
_SYSTEM_PATH_RE = re.compile(
    r"^/(?:usr(?:/local)?(?:/lib(?:64)?(?:/python[\d.*]*(?:/(?:site|dist)-packages)?)?|/bin)?)?/?\*?$"
)


def normalise_path(path: str) -> str:
    """``/opt/venv/`` -> ``/opt/venv``; keeps a lone ``/``."""
    if not path:
        return path
    clean = posixpath.normpath(path)
    return "/" if clean in {"/", "//"} else clean


def is_system_python_path(path: str) -> bool:
    """True for ``/``, ``/usr``, ``/usr/local``, ``/usr/local/lib/python3.13/site-packages``..."""
    stripped = path.rstrip("*") or "/"
    return bool(_SYSTEM_PATH_RE.match(normalise_path(stripped)))


def path_covers(outer: str, inner: str) -> bool:
    """True when copying ``outer`` also copies ``inner`` (same path or a parent of it)."""
    outer, inner = normalise_path(outer.rstrip("*")), normalise_path(inner)
    if outer in {"", "/"}:
        return True
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


@dataclass(frozen=True)
class CopyFrom:
    """A ``COPY --from=`` in a stage that ships, resolved to the stage it copies from."""

    instruction: Instruction
    source_stage: Stage | None
    """The earlier stage named by ``--from``; None when it names an external image."""
    sources: tuple[str, ...]
    dest: str | None


class Facts:
    """Derived facts about one Dockerfile, shared by rules so each is computed once."""

    def __init__(self, dockerfile: Dockerfile) -> None:
        self.dockerfile = dockerfile
        self.final = dockerfile.final_stage
        self.lineage = dockerfile.final_lineage
        self.shipping_indexes = frozenset(stage.index for stage in self.lineage)

    def ships(self, stage: Stage | int) -> bool:
        index = stage if isinstance(stage, int) else stage.index
        return index in self.shipping_indexes

    def shipping_instructions(self, *keywords: str) -> Iterator[Instruction]:
        """Instructions whose layers or settings end up in the final image, in order."""
        for stage in self.lineage:
            for instruction in stage.instructions:
                if not keywords or instruction.keyword in keywords:
                    yield instruction

    @cached_property
    def final_copies_from(self) -> tuple[CopyFrom, ...]:
        """``COPY --from`` (and ``ADD --from``) instructions in the stages that ship."""
        found = []
        for instruction in self.shipping_instructions("COPY", "ADD"):
            ref = instruction.flag("from")
            if ref is None:
                continue
            sources, dest = instruction.sources_and_dest()
            stage = self.dockerfile.stage_for(ref, before=instruction.stage)
            found.append(CopyFrom(instruction, stage, sources, dest))
        return tuple(found)

    @cached_property
    def copied_stage_indexes(self) -> frozenset[int]:
        """Earlier stages (outside the final lineage) that the final image copies from."""
        return frozenset(
            copy.source_stage.index
            for copy in self.final_copies_from
            if copy.source_stage is not None and not self.ships(copy.source_stage)
        )

    def copied_paths_from(self, stage: Stage) -> tuple[str, ...]:
        """Every path the shipping stages copy out of ``stage`` (or its FROM ancestors)."""
        paths: list[str] = []
        for copy in self.final_copies_from:
            if copy.source_stage is None:
                continue
            lineage = {member.index for member in self.dockerfile.lineage(copy.source_stage)}
            if stage.index in lineage:
                paths.extend(copy.sources)
        return tuple(paths)

    def severity_for(self, stage: Stage, shipped: str = "warning", builder: str = "info") -> str:
        return shipped if self.ships(stage) else builder


def image_name(ref: str) -> str:
    return parse_image_ref(ref).name


def python_variant(ref: str) -> str | None:
    """For an official-style ``python`` image: ``slim``, ``alpine``, ``full`` (ships gcc) or ``windows``."""
    parsed = parse_image_ref(ref)
    if parsed.name != "python":
        return None
    tag = (parsed.tag or "latest").lower()
    if "slim" in tag:
        return "slim"
    if "alpine" in tag:
        return "alpine"
    if "windowsservercore" in tag or "nanoserver" in tag:
        return "windows"
    return "full"
