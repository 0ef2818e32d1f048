"""What the multi-stage builds article (course seed) published, so lessons can set it beside our measurements.

These are the article's figures, not ours: they describe Python 3.12 official images on the
author's machine. Every number the notebooks *measure* comes from the engine at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "the multi-stage builds article (course seed)"


@dataclass(frozen=True)
class Published:
    """One row of the article's comparison table: the approach and the image size it published (bytes)."""

    variant: str
    """The lesson variant that reproduces this row (see checker.lesson.variants)."""
    approach: str
    size_bytes: int
    note: str = ""


#: The article's comparison table, for a FastAPI app with fastapi, uvicorn, sqlalchemy, psycopg2, alembic.
COMPARISON = (
    Published("full-single", "python:3.12, single stage, full image", 1_200_000_000,
              "the article's prose gives ~1.1 GB for the same build"),
    Published("slim-single", "python:3.12-slim, single stage", 350_000_000),
    Published("multi-stage", "python:3.12-slim, multi-stage with venv", 180_000_000),
    Published("alpine-multi", "python:3.12-alpine, multi-stage (if it compiles)", 120_000_000),
)

#: The article's headline reduction for multi-stage slim against the full single stage.
REDUCTION_PERCENT = 85


def published(variant: str) -> Published:
    """The article's row for lesson variant ``variant``; raises ``KeyError`` when it published none."""
    for row in COMPARISON:
        if row.variant == variant:
            return row
    raise KeyError(f"the article publishes no figure for {variant!r}")
