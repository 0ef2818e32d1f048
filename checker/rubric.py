"""Rubrics: which checks count for an exercise, for how many points, with which thresholds.

A rubric is a TOML file (``exercises/NN-name/rubric.toml``, or ``checker/rubrics/default.toml``
for the sample app)::

    [rubric]
    title = "Exercise 02: multi-stage build"
    pass_mark = 70                 # percent of the maximum score needed to pass

    [reference]                    # the exercise's solution, built on the same engine (optional)
    dockerfile = "../../solutions/02-multi-stage/Dockerfile"
    context = "../../sample_app"   # optional: the submission's context when left out

    [baseline]                     # the naive single-stage build (optional)
    dockerfile = "../../sample_app/Dockerfile.single"
    context = "../../sample_app"

    [[checks]]
    id = "builds"                  # a dynamic check id, a course rule id (LPI005) or "hadolint"
    points = 20
    required = true                # the submission fails without it, whatever the score

    [[checks]]
    id = "image_size"
    points = 10
    max_ratio_to_reference = 1.25  # any other key is a parameter of that check

Paths are relative to the rubric file. Parameters a check does not know are an error (a typo
would otherwise silently change a threshold). The declarative kinds (``file_exists``,
``file_absent``, ``file_contains``, ``metadata``, ``command``: see :mod:`checker.checks.declarative`)
may be listed several times as ``kind:name`` (``id = "file_exists:venv"``); their parameters are
checked when the rubric loads. Scoring is all or nothing per check; a Dockerfile
that does not parse or build scores 0.

Which ids exist, their kind and their parameters come from :mod:`checker.catalog`; each
:class:`CheckSpec` keeps its catalogue entry, so the scorer does not look it up again.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import catalog
from .catalog import HADOLINT_ID

from .settings import CourseFilesMissing, course_dir

try:
    #: The sample app's rubric, where its relative paths (``../../sample_app``) lead to the course's files:
    #: the checkout's, ``$LPI_COURSE_DIR``'s or the installed package's copy (:func:`checker.settings.course_dir`).
    DEFAULT_RUBRIC = course_dir() / "checker" / "rubrics" / "default.toml"
    _DEFAULT_MISSING: str | None = None
except CourseFilesMissing as _missing:
    DEFAULT_RUBRIC, _DEFAULT_MISSING = Path(__file__).with_name("rubrics") / "default.toml", str(_missing)
_RESERVED = {"id", "points", "required", "title", "fix", "lesson"}


class RubricError(Exception):
    """The rubric cannot be used: the message names the file and what is wrong."""


@dataclass(frozen=True)
class CheckSpec:
    """One ``[[checks]]`` entry of a rubric, validated against the catalogue."""

    id: str
    points: float
    kind: str
    """``dynamic``, ``static`` or ``hadolint``."""
    required: bool = False
    """The submission fails without this check, whatever its score."""
    title: str | None = None
    """The rubric's own title for the check; None: the catalogue's."""
    params: dict[str, Any] = field(default_factory=dict)
    """The check's parameters: its defaults overridden by the rubric."""
    entry: catalog.Entry | None = field(default=None, repr=False, compare=False)
    """The check's catalogue entry (title, why, fix, lesson), resolved once when the rubric is read."""
    fix: str | None = None
    """The rubric's own fix hint for this check (an exercise's words); None: the catalogue's."""
    lesson: str | None = None
    """The rubric's own lesson link (``notebooks/08_to_the_bone.ipynb``, optionally ``#anchor``); None: the catalogue's."""

    def resolved(self) -> catalog.Entry:
        """The catalogue entry: the one kept at parse time, else looked up (raises :class:`KeyError`)."""
        return self.entry or catalog.get(self.id)


@dataclass(frozen=True)
class BuildSpec:
    """A comparison build: the reference solution or the naive baseline."""

    name: str
    dockerfile: Path
    context: Path | None
    """None: build it in the submission's context."""


@dataclass(frozen=True)
class Rubric:
    """A validated rubric: its checks with points and parameters, and the comparison builds."""

    title: str
    path: Path
    pass_mark: float
    """Percent of the maximum score needed to pass."""
    checks: tuple[CheckSpec, ...]
    reference: BuildSpec | None = None
    baseline: BuildSpec | None = None

    @property
    def max_score(self) -> float:
        """The sum of the checks' points."""
        return float(sum(check.points for check in self.checks))

    @property
    def pass_score(self) -> float:
        """The points needed to pass: ``pass_mark`` percent of :attr:`max_score`."""
        return round(self.max_score * self.pass_mark / 100.0, 6)

    def ids(self) -> list[str]:
        """The check ids, in rubric order."""
        return [check.id for check in self.checks]

    def needs(self) -> set[str]:
        """The kinds of evidence the dynamic checks of this rubric read."""
        found: set[str] = set()
        for check in self.checks:
            if check.kind == "dynamic":
                found.update(check.resolved().needs)
        return found

    def params(self, check_id: str) -> dict[str, Any]:
        """The parameters of a check: the rubric's, else the check's defaults, else ``{}``."""
        for check in self.checks:
            if check.id == check_id:
                return dict(check.params)
        try:
            entry = catalog.get(check_id)
        except KeyError:
            return {}
        return dict(entry.params) if entry.kind == "dynamic" else {}


def load(path: str | os.PathLike[str]) -> Rubric:
    """Read and validate a rubric file; raises :class:`RubricError` (missing, unreadable, invalid)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RubricError(f"The rubric {path} does not exist.") from exc
    except OSError as exc:
        raise RubricError(f"The rubric {path} cannot be read: {exc.strerror}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"The rubric {path} is not valid TOML: {exc}.") from exc
    return parse(data, path)


def parse(data: dict[str, Any], path: Path) -> Rubric:
    """Validate a rubric's parsed TOML (``path`` names it in errors and anchors its relative paths).

    Raises :class:`RubricError` for a malformed head, an unknown or repeated check id, negative
    points, or a parameter the check does not take.
    """
    where = str(path)
    head = data.get("rubric") or {}
    if not isinstance(head, dict):
        raise RubricError(f"{where}: [rubric] must be a table.")
    title = str(head.get("title") or path.parent.name)
    pass_mark = head.get("pass_mark", 70)
    if not isinstance(pass_mark, (int, float)) or not 0 <= pass_mark <= 100:
        raise RubricError(f"{where}: pass_mark must be a percentage between 0 and 100, got {pass_mark!r}.")
    raw_checks = data.get("checks")
    if not isinstance(raw_checks, list) or not raw_checks:
        raise RubricError(f"{where}: a rubric needs at least one [[checks]] entry.")
    seen: set[str] = set()
    specs: list[CheckSpec] = []
    for number, raw in enumerate(raw_checks, start=1):
        if not isinstance(raw, dict) or "id" not in raw:
            raise RubricError(f"{where}: check #{number} has no id.")
        check_id = str(raw["id"])
        if check_id in seen:
            raise RubricError(f"{where}: check {check_id} is listed twice.")
        seen.add(check_id)
        points = raw.get("points", 0)
        if not isinstance(points, (int, float)) or points < 0:
            raise RubricError(f"{where}: check {check_id} needs points >= 0, got {points!r}.")
        params = {key: value for key, value in raw.items() if key not in _RESERVED}
        kind_id, named, instance = check_id.partition(":")
        try:
            entry = catalog.get(kind_id if named else check_id)
        except KeyError:
            known = ", ".join([e.id for e in catalog.by_kind("dynamic")] + ["LPI0xx", HADOLINT_ID])
            raise RubricError(f"{where}: unknown check id {check_id!r} (known: {known}).") from None
        if entry.kind == "dynamic":
            unknown = sorted(set(params) - set(entry.params))
            if unknown:
                known = ", ".join(sorted(entry.params)) or "none"
                raise RubricError(f"{where}: check {check_id} has no parameter {', '.join(unknown)} (it takes: {known}).")
            merged = {**entry.params, **params}
            _validate_dynamic(where, check_id, entry.id, bool(named), instance, merged)
        elif named:
            raise RubricError(f"{where}: {check_id!r}: only the declarative checks take a ':name' "
                              f"({', '.join(_repeatable())}).")
        elif entry.kind == "static":
            if params:
                raise RubricError(f"{where}: course rule {check_id} takes no parameters, got {', '.join(sorted(params))}.")
            merged = {}
        else:
            unknown = sorted(set(params) - set(entry.params))
            if unknown:
                raise RubricError(f"{where}: check hadolint takes only fail_on, got {', '.join(unknown)}.")
            merged = {"fail_on": list(params.get("fail_on", entry.params["fail_on"]))}
        for key in ("fix", "lesson"):
            if key in raw and not isinstance(raw[key], str):
                raise RubricError(f"{where}: check {check_id}'s {key} must be text, got {raw[key]!r}.")
        specs.append(CheckSpec(check_id, float(points), entry.kind, bool(raw.get("required", False)),
                               raw.get("title"), merged, entry, raw.get("fix"), raw.get("lesson")))
    return Rubric(
        title=title, path=path, pass_mark=float(pass_mark), checks=tuple(specs),
        reference=_build_spec(data, "reference", path), baseline=_build_spec(data, "baseline", path),
    )


def _repeatable() -> list[str]:
    from checker import checks  # the registry imports the engine: looked up on use

    return [check.id for check in checks.all_checks() if check.repeatable]


def _validate_dynamic(where: str, check_id: str, kind_id: str, named: bool, instance: str,
                      params: dict[str, Any]) -> None:
    """Raise :class:`RubricError` for a ``:name`` on a check that takes none, or parameters its validator refuses."""
    from checker import checks

    check = checks.REGISTRY[kind_id]
    if named and (not check.repeatable or not instance):
        if not check.repeatable:
            raise RubricError(f"{where}: {check_id!r}: only the declarative checks take a ':name' "
                              f"({', '.join(_repeatable())}).")
        raise RubricError(f"{where}: {check_id!r} needs a name after the colon, e.g. {kind_id}:venv.")
    if check.validate is not None:
        try:
            check.validate(params)
        except ValueError as exc:
            raise RubricError(f"{where}: check {check_id}: {exc}.") from None


def _build_spec(data: dict[str, Any], name: str, path: Path) -> BuildSpec | None:
    raw = data.get(name)
    if raw is None:
        return None
    if not isinstance(raw, dict) or "dockerfile" not in raw:
        raise RubricError(f"{path}: [{name}] needs a dockerfile path.")
    base = path.parent
    dockerfile = (base / str(raw["dockerfile"])).resolve()
    context = (base / str(raw["context"])).resolve() if raw.get("context") else None
    if not dockerfile.is_file():
        raise RubricError(f"{path}: the {name} Dockerfile {dockerfile} does not exist.")
    if context is not None and not context.is_dir():
        raise RubricError(f"{path}: the {name} context {context} is not a folder.")
    return BuildSpec(name, dockerfile, context)


def resolve(*, exercise: str | None = None, rubric: str | os.PathLike[str] | None = None) -> Rubric:
    """The rubric for ``--exercise`` or ``--rubric``, else the sample app's default."""
    if exercise and rubric:
        raise RubricError("Give --exercise or --rubric, not both.")
    if exercise:
        from .exercises import find_exercise  # imports this module: looked up on use

        return load(find_exercise(exercise) / "rubric.toml")
    if rubric is None and _DEFAULT_MISSING is not None:
        raise RubricError(_DEFAULT_MISSING)
    return load(rubric or DEFAULT_RUBRIC)
