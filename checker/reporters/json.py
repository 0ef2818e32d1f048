"""The JSON report: one object, the schema documented in docs/checker.md."""

from __future__ import annotations

import json


def render(report) -> str:
    """``report.to_dict()`` as indented JSON text (non-ASCII kept as is)."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
