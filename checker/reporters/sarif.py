"""SARIF 2.1.0: the static-analysis results format that GitHub code scanning and IDEs import.

One run of the tool ``lean-check`` whose ``rules`` are the ids that were found (course rules,
hadolint's, grading checks) and whose ``results`` carry a level (``error``, ``warning``,
``note``), a message and a physical location (the Dockerfile, 1-based line and column). A
finding about the whole file sits on line 1 with ``properties.wholeFile`` true and a note in its
message. ``tests/fixtures/sarif/`` holds the official schema the output is validated against.

Paths are relative to the folder the command ran in (the repository or workdir): each
``artifactLocation`` has a relative ``uri`` and ``uriBaseId`` :data:`SRCROOT`, which the run's
``originalUriBaseIds`` maps to that folder's ``file://`` URI; a file outside it keeps an absolute
``file://`` URI and no base.
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePath
from typing import Any

from .located import located, tool_version

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#: The base id of every relative artifact URI (the name GitHub code scanning and the SARIF SDK use).
SRCROOT = "%SRCROOT%"
#: Our severity -> SARIF's level.
LEVEL = {"error": "error", "warning": "warning", "info": "note", "style": "note"}


def artifact_location(path: str, root: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """``path`` as a SARIF ``artifactLocation``: ``{"uri": relative, "uriBaseId": SRCROOT}`` when it is inside
    ``root`` (default: the current folder), else ``{"uri": "file:///..."}``; forward slashes either way."""
    base = Path(root if root is not None else os.getcwd()).resolve()
    full = Path(os.path.normpath(base / path))  # lexical: a relative path stays as given when it stays inside
    try:
        return {"uri": PurePath(full.relative_to(base)).as_posix(), "uriBaseId": SRCROOT}
    except ValueError:
        return {"uri": full.as_uri()}


def to_sarif(result: Any, root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """``result`` (a lint result, a grading report, or a list of them) as a SARIF 2.1.0 log (plain data for JSON).

    A list gives one run holding every result's findings (``lean-check lint`` of several files). URIs are
    relative to ``root`` (default: the current folder), given in the run's ``originalUriBaseIds``.
    """
    base = Path(root if root is not None else os.getcwd()).resolve()
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
                "artifactLocation": artifact_location(item.path, base),
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
            "originalUriBaseIds": {SRCROOT: {"uri": base.as_uri() + "/"}},
            "results": results,
        }],
    }


def render(result: Any) -> str:
    """``result`` as a SARIF 2.1.0 JSON document, indented."""
    return json.dumps(to_sarif(result), indent=2, ensure_ascii=False)
