"""The goals the bench states, each a pure comparison of a measured figure to a limit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    """One stated goal and whether this run met it."""

    id: str
    """Short stable name, e.g. "reference-vs-bound"."""
    statement: str
    """The goal in words, as the table shows it."""
    limit: float
    """The value must be at most this."""
    value: float | None
    """The measured median, or None when it could not be measured (a missed goal)."""
    subject: str = ""
    """What was measured (which image), and why that one."""

    @property
    def met(self) -> bool:
        return self.value is not None and self.value <= self.limit

    def verdict(self) -> str:
        if self.value is None:
            return "NOT MEASURED (counts as missed)"
        return "met" if self.met else "MISSED"

    def to_dict(self) -> dict:
        return {"id": self.id, "statement": self.statement, "limit": self.limit, "value": self.value,
                "subject": self.subject, "met": self.met}


def at_most(goal_id: str, statement: str, value: float | None, limit: float, subject: str = "") -> Goal:
    return Goal(goal_id, statement, limit, value, subject)


def size_ratio_goal(limit: float, reference: float | None, best: float | None, best_name: str | None) -> Goal:
    """Reference image / single-stage full image, at most ``limit``.

    Judged on the course's reference Dockerfile; when the reference misses it but the best exercise
    solution meets it, the goal is judged on the best solution and the subject says so.
    """
    statement = f"final image / single-stage full image <= {limit:g}"
    if reference is not None and reference <= limit:
        return Goal("size-vs-full", statement, limit, reference, "the reference Dockerfile (sample_app/Dockerfile)")
    if best is not None and best <= limit:
        ref_text = f"{reference:.3f}" if reference is not None else "not measured"
        return Goal("size-vs-full", statement, limit, best,
                    f"the best solution ({best_name}); the reference itself is at {ref_text} and misses it")
    return Goal("size-vs-full", statement, limit, reference, "the reference Dockerfile (sample_app/Dockerfile)"
                + (f"; the best solution ({best_name}) is at {best:.3f}" if best is not None else ""))


def missed(goals: list[Goal]) -> list[Goal]:
    return [goal for goal in goals if not goal.met]
