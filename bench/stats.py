"""Repeated measurements: every figure the bench reports is a median with its min and max."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stat:
    """A figure measured several times."""

    runs: tuple[float, ...]
    """Every measurement, in the order taken."""
    unit: str
    """"s" for seconds, "B" for bytes, "x" for a ratio."""

    def __post_init__(self) -> None:
        if not self.runs:
            raise ValueError("a Stat needs at least one measurement")

    @property
    def median(self) -> float:
        return float(statistics.median(self.runs))

    @property
    def min(self) -> float:
        return float(min(self.runs))

    @property
    def max(self) -> float:
        return float(max(self.runs))

    @property
    def n(self) -> int:
        return len(self.runs)

    def to_dict(self) -> dict:
        return {"median": self.median, "min": self.min, "max": self.max, "n": self.n, "unit": self.unit, "runs": list(self.runs)}

    @classmethod
    def from_dict(cls, data: dict) -> "Stat":
        return cls(tuple(data["runs"]), data["unit"])


def of(values: Sequence[float], unit: str) -> Stat:
    return Stat(tuple(float(v) for v in values), unit)


def ratio(numerator: Stat, denominator: Stat) -> Stat:
    """Median over median, with the extreme ratios as min and max (the widest honest range)."""
    if denominator.median == 0:
        raise ZeroDivisionError("ratio to a zero median")
    lo = numerator.min / denominator.max if denominator.max else numerator.median / denominator.median
    hi = numerator.max / denominator.min if denominator.min else numerator.median / denominator.median
    # Stored as three runs so median/min/max read back as the median ratio and the extremes.
    return Stat((lo, numerator.median / denominator.median, hi), "x")


def timed(fn: Callable[[], object], repeats: int, *, warmup: int = 0) -> tuple[Stat, list[object]]:
    """Run ``fn`` ``warmup`` times unmeasured, then ``repeats`` times measured (seconds)."""
    for _ in range(warmup):
        fn()
    seconds: list[float] = []
    results: list[object] = []
    for _ in range(repeats):
        started = time.perf_counter()
        results.append(fn())
        seconds.append(time.perf_counter() - started)
    return of(seconds, "s"), results


def format_bytes(value: float) -> str:
    """Decimal units, as `docker images` prints them (1 MB = 10^6 bytes)."""
    if abs(value) >= 1e9:
        return f"{value / 1e9:.2f} GB"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f} MB"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.1f} kB"
    return f"{value:.0f} B"


def format_seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 100:
        return f"{value:.1f} s"
    return f"{value:.0f} s"


def format_value(value: float, unit: str) -> str:
    if unit == "B":
        return format_bytes(value)
    if unit == "s":
        return format_seconds(value)
    if unit == "x":
        return f"{value:.3f}"
    if unit == "/min":
        return f"{value:.1f}/min"
    return f"{value:g} {unit}".strip()


def format_stat(stat: Stat) -> str:
    """"1.2 s (1.1–1.4, n=5)"; a figure measured once or always the same shows no range."""
    text = format_value(stat.median, stat.unit)
    if stat.n == 1:
        return f"{text} (n=1)"
    if stat.min == stat.max:
        return f"{text} (all {stat.n} equal)"
    return f"{text} ({format_value(stat.min, stat.unit)} – {format_value(stat.max, stat.unit)}, n={stat.n})"
