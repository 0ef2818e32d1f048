"""How the course writes a number of bytes or seconds for a person: one home for both.

Sizes use decimal units, as ``docker images`` and ``docker history`` print them (1 MB = 10^6
bytes; source: the docker CLI formats sizes with go-units' ``HumanSizeWithPrecision``, which
divides by 1000).
"""

from __future__ import annotations


def human_bytes(value: float | int | None) -> str:
    """``value`` bytes as text in decimal units: 1234567 -> ``'1.2 MB'``; None -> ``'n/a'``.

    Three significant figures at most (``'123 MB'``, ``'12.3 MB'``); plain bytes stay whole
    (``'999 B'``). Never raises for a number.
    """
    if value is None:
        return "n/a"
    size = float(value)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000:
            if unit == "B":
                return f"{size:.0f} B"
            return f"{size:.0f} {unit}" if abs(size) >= 100 else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.0f} TB" if abs(size) >= 100 else f"{size:.1f} TB"


def human_seconds(value: float | None) -> str:
    """``value`` seconds as text: ``'3.2 s'`` under 10 s, ``'42 s'`` under 2 minutes, else ``'2.5 min'``; None -> ``'n/a'``."""
    if value is None:
        return "n/a"
    if value < 10:
        return f"{value:.1f} s"
    if value < 120:
        return f"{value:.0f} s"
    return f"{value / 60:.1f} min"
