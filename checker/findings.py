"""One finding: what a rule (ours or hadolint's) says about one line of a Dockerfile."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "info", "style"]
Source = Literal["course", "hadolint", "buildkit"]

#: Most severe first. "error" and "warning" make a rule fail; "info" and "style" are advice.
SEVERITIES: tuple[str, ...] = ("error", "warning", "info", "style")
BLOCKING: frozenset[str] = frozenset({"error", "warning"})
#: What every format says after a file-level finding's message: it sits on line 1 only because tools need a line.
WHOLE_FILE_NOTE = "(about the whole file or build context, shown on line 1)"


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
    same_as: str | None = None
    """The other tool's rule that flagged the same line for the same reason (``DL3020`` beside ``LPI017``), folded
    into this finding (:func:`checker.hadolint_reconcile.fold`); None when no other rule said it."""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}; expected one of {SEVERITIES}")

    @property
    def whole_file(self) -> bool:
        """True when the finding is about the whole file or the build context (``line`` 0), not one line."""
        return self.line < 1

    @property
    def shown_line(self) -> int:
        """The line every format shows: ``line``, or 1 for a file-level finding (with :data:`WHOLE_FILE_NOTE`)."""
        return max(self.line, 1)

    @property
    def shown_message(self) -> str:
        """``message``, followed by :data:`WHOLE_FILE_NOTE` for a file-level finding."""
        return f"{self.message} {WHOLE_FILE_NOTE}" if self.whole_file else self.message

    @property
    def blocking(self) -> bool:
        """True when this finding makes its rule fail."""
        return self.severity in BLOCKING

    def sort_key(self) -> tuple[int, int, str]:
        """``(line, severity rank, rule)``: sorts findings by line, the most severe first on a line."""
        return (self.line, SEVERITIES.index(self.severity), self.rule)

    def to_dict(self) -> dict[str, object]:
        """The fields as a JSON-ready dict (the report's ``findings`` entries): ``line`` is :attr:`shown_line`
        (1-based, 1 for a file-level finding) and ``whole_file`` says which it is."""
        data = asdict(self)
        data["line"] = self.shown_line
        data["whole_file"] = self.whole_file
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Finding:
        """The inverse of :meth:`to_dict` (``whole_file`` true gives line 0 again); unknown keys are ignored.

        Raises :class:`KeyError` when ``rule``, ``severity``, ``line`` or ``message`` is missing, and
        :class:`ValueError` for an unknown severity.
        """
        line = 0 if data.get("whole_file") else int(data["line"])  # type: ignore[call-overload]
        return cls(str(data["rule"]), data["severity"], line, str(data["message"]),  # type: ignore[arg-type]
                   data.get("source") or "course", data.get("hint"), data.get("same_as"))  # type: ignore[arg-type]
