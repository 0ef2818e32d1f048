"""SARIF 2.1.0: the static-analysis results format that GitHub code scanning and IDEs import.

One run of the tool ``lean-check`` whose ``rules`` are the ids that were found (course rules,
hadolint's, grading checks) and whose ``results`` carry a level (``error``, ``warning``,
``note``), a message and a physical location (the Dockerfile, 1-based line and column). A
finding about the whole file sits on line 1 with ``properties.wholeFile`` true and a note in its
message. ``tests/fixtures/sarif/`` holds the official schema the output is validated against.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from .located import located, tool_version

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#: Our severity -> SARIF's level.
LEVEL = {"error": "error", "warning": "warning", "info": "note", "style": "note"}


def _uri(path: str) -> str:
    """``path`` as a SARIF artifact URI: forward slashes, relative paths kept relative to the run's folder."""
    return PurePath(path).as_posix()


def to_sarif(result: Any) -> dict[str, Any]:
    """``result`` (a lint result, a grading report, or a list of them) as a SARIF 2.1.0 log (plain data for JSON).

    A list gives one run holding every result's findings (``lean-check lint`` of several files).
    """
    items = [item for one in result for item in located(one)] if isinstance(result, list) else located(result)
    rule_ids = sorted({item.rule for item in items})
    rules = []
    for rule_id in rule_ids:
        first = next(item for item in items if item.rule == rule_id)
        rule: dict[str, Any] = {"id": rule_id, "properties": {"source": first.source}}
        if first.hint and first.hint.startswith("https://"):
            rule["helpUri"] = first.hint
        elif first.hint:
            rule["help"] = {"text": first.hint}
        rules.append(rule)
    results = []
    for item in items:
        entry: dict[str, Any] = {
            "ruleId": item.rule,
            "ruleIndex": rule_ids.index(item.rule),
            "level": LEVEL[item.severity],
            "message": {"text": item.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(item.path)},
                "region": {"startLine": item.line, "startColumn": item.column},
            }}],
            "properties": {"severity": item.severity, "wholeFile": item.whole_file, "source": item.source},
        }
        results.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "lean-check", "version": tool_version(), "rules": rules}},
            "results": results,
        }],
    }


def render(result: Any) -> str:
    """``result`` as a SARIF 2.1.0 JSON document, indented."""
    return json.dumps(to_sarif(result), indent=2, ensure_ascii=False)
