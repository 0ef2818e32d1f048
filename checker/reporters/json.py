"""The JSON report: one object, the schema documented in docs/checker.md."""

from __future__ import annotations

import json


def render(report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
