"""GNU error format, one line per finding: ``file:line:col: severity: RULE message``.

What Emacs' compilation mode, Vim's quickfix list and most editors' problem matchers read
(hadolint's ``--format gnu`` too). Severities are GNU's: ``error``, ``warning`` and ``note``
(our ``info`` and ``style``). Lines are 1-based; a finding about the whole file sits on line 1
with a note saying so (:mod:`checker.reporters.located`).
"""

from __future__ import annotations

from typing import Any

from .located import located

#: Our severity -> the GNU format's word.
GNU_SEVERITY = {"error": "error", "warning": "warning", "info": "note", "style": "note"}


def render(result: Any) -> str:
    """``result`` (a lint result or a grading report) as GNU lines; empty when nothing was found."""
    lines = []
    for item in located(result):
        hint = f" (fix: {item.hint})" if item.hint else ""
        lines.append(f"{item.path}:{item.line}:{item.column}: {GNU_SEVERITY[item.severity]}: {item.rule} {item.message}{hint}")
    return "\n".join(lines)
