"""One finding: what a rule (ours or hadolint's) says about one line of a Dockerfile."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "info", "style"]
Source = Literal["course", "hadolint", "buildkit"]

#: Most severe first. "error" and "warning" make a rule fail; "info" and "style" are advice.
SEVERITIES: tuple[str, ...] = ("error", "warning", "info", "style")
BLOCKING: frozenset[str] = frozenset({"error", "warning"})


@dataclass(frozen=True)
class Finding:
    """One thing a rule says about one line: rule id, severity, line, message, who said it, how to fix.

    Raises :class:`ValueError` when ``severity`` is not one of :data:`SEVERITIES`.
    """

    rule: str
    """The rule's id: ``LPI001`` for the course's rules, ``DL3008``/``SC2086`` for hadolint's."""
    severity: Severity
    """``error`` or ``warning`` fail the rule; ``info`` and ``style`` are advice and never deduct."""
    line: int
    """1-based line in the Dockerfile where the flagged instruction starts; 0 for the whole file
    or the build context (a missing ``.dockerignore`` entry, for example)."""
    message: str
    """What is wrong, in one or two learner-facing sentences."""
    source: Source = "course"
    """Who found it: the course's own rules, hadolint, or Docker's build checks (``buildkit``)."""
    hint: str | None = None
    """How to fix it, or where to read more; ``None`` when the message says it all."""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}; expected one of {SEVERITIES}")

    @property
    def blocking(self) -> bool:
        """True when this finding makes its rule fail."""
        return self.severity in BLOCKING

    def sort_key(self) -> tuple[int, int, str]:
        """``(line, severity rank, rule)``: sorts findings by line, the most severe first on a line."""
        return (self.line, SEVERITIES.index(self.severity), self.rule)

    def to_dict(self) -> dict[str, object]:
        """The fields as a JSON-ready dict (the report's ``findings`` entries)."""
        return asdict(self)
