"""A small table for the lesson notebooks: HTML in Jupyter, aligned text everywhere else.

The notebooks show measured figures in tables next to the article's published ones. pandas would do
this, but it is a large dependency for a few rows; this class keeps the rows as plain dicts so a
notebook cell can also assert on them (``table.column("size")``, ``table.row("multi-stage")``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..units import human_bytes, human_seconds  # noqa: F401  (re-exported for the lessons)


def shorten(text: str, width: int) -> str:
    """``text`` on one line (runs of whitespace become one space), cut to ``width`` characters with "…"."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"

@dataclass
class Table:
    """Rows of named cells. ``formats`` turns a column's raw value into display text."""

    columns: Sequence[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    caption: str = ""
    formats: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    """The column :meth:`row` looks rows up by (the first column when not given)."""

    def add(self, **cells: Any) -> Table:
        """Append one row (column name -> raw value) and return the table; raises ``KeyError`` on an unknown column."""
        unknown = set(cells) - set(self.columns)
        if unknown:
            raise KeyError(f"unknown column(s) {sorted(unknown)}; the table has {list(self.columns)}")
        self.rows.append(dict(cells))
        return self

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> Table:
        """Append every row of ``rows`` (as :meth:`add`) and return the table."""
        for row in rows:
            self.add(**row)
        return self

    def column(self, name: str) -> list[Any]:
        """The raw values of column ``name``, one per row (None where a row left it empty)."""
        return [row.get(name) for row in self.rows]

    def row(self, value: Any) -> dict[str, Any]:
        """The first row whose key column equals ``value``; raises ``KeyError`` when none does."""
        key = self.key or self.columns[0]
        for row in self.rows:
            if row.get(key) == value:
                return row
        raise KeyError(f"no row with {key} = {value!r}")

    def __len__(self) -> int:
        return len(self.rows)

    def _text(self, column: str, value: Any) -> str:
        if value is None:
            return ""
        formatter = self.formats.get(column)
        return str(formatter(value)) if formatter else str(value)

    def _grid(self) -> list[list[str]]:
        return [[self._text(column, row.get(column)) for column in self.columns] for row in self.rows]

    def __repr__(self) -> str:
        grid = [list(self.columns)] + self._grid()
        widths = [max(len(line[i]) for line in grid) for i in range(len(self.columns))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in grid]
        lines.insert(1, "  ".join("-" * width for width in widths))
        if self.caption:
            lines.insert(0, self.caption)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(cell)}</td>" for cell in line) + "</tr>"
            for line in self._grid()
        )
        caption = f"<caption style='text-align:left'>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
