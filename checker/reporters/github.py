"""GitHub Actions workflow commands: each finding annotates the pull request at its line.

``::error file=PATH,line=N,col=C,title=RULE::message`` (``warning`` and ``notice`` alike), the
form documented for workflow commands: property values escape ``%``, CR, LF, ``:`` and ``,``;
the message escapes ``%``, CR and LF. Our ``info`` and ``style`` are ``notice``. A finding
about the whole file sits on line 1 with a note saying so (:mod:`checker.reporters.located`).
"""

from __future__ import annotations

from typing import Any

from .located import located

#: Our severity -> the workflow command.
COMMAND = {"error": "error", "warning": "warning", "info": "notice", "style": "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message, escaped: ``%`` -> ``%25``, CR -> ``%0D``, LF -> ``%0A``."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: :func:`escape_data` plus ``:`` -> ``%3A`` and ``,`` -> ``%2C``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: Any) -> str:
    """``result`` (a lint result or a grading report) as one workflow command per finding."""
    lines = []
    for item in located(result):
        message = item.message + (f"\nHow to fix: {item.hint}" if item.hint else "")
        properties = (f"file={escape_property(item.path)},line={item.line},col={item.column},"
                      f"title={escape_property(item.rule)}")
        lines.append(f"::{COMMAND[item.severity]} {properties}::{escape_data(message)}")
    return "\n".join(lines)
