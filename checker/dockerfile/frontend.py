"""The ``# syntax=`` parser directive: which Dockerfile frontend it names, and setting a stable one aside.

BuildKit reads ``# syntax=IMAGE`` and fetches that image from a registry to read the rest of the file
(Dockerfile reference, "Parser directives: syntax"). ``docker/dockerfile:1`` is Docker's stable
channel: every ``1.x`` release keeps the syntax of the releases before it, and the frontend built
into BuildKit is a release of that same channel. So where the image cannot be fetched (a grading
machine without a registry), a file that names the stable channel can be read by the built-in
frontend instead, said in the report; a labs or third-party frontend cannot.

Pure: text and parsed model in, text out.
"""

from __future__ import annotations

import re

from .model import Dockerfile

#: ``docker/dockerfile`` on Docker Hub, stable channel: ``1``, ``1.7``, ``1.7.1``, optionally pinned by digest.
_STABLE = re.compile(r"^(?:docker\.io/)?(?:library/)?docker/dockerfile:1(?:\.\d+){0,2}(?:@sha256:[0-9a-f]{64})?$")
_STABLE_DIGEST_ONLY = re.compile(r"^(?:docker\.io/)?docker/dockerfile@sha256:[0-9a-f]{64}$")


def stable_frontend(model: Dockerfile) -> tuple[int, str] | None:
    """``(line, image)`` of the ``# syntax=`` directive when it names Docker's stable Dockerfile frontend
    (``docker/dockerfile:1``, ``:1.N``, ``:1.N.M``, with or without ``docker.io/`` and a digest); None when
    there is no such directive or it names anything else (``:1-labs``, ``:1.7-labs``, another image)."""
    image = (model.directives.get("syntax") or "").strip()
    if not image or not (_STABLE.match(image) or _STABLE_DIGEST_ONLY.match(image)):
        return None
    return model.directive_lines.get("syntax", 1), image


def without_syntax_directive(model: Dockerfile) -> str:
    """The file's text with its ``# syntax=`` directive set aside, so BuildKit's built-in frontend reads it.

    The directive becomes a plain comment placed after the file's other directives (a comment ends the
    directives, so one left in place would turn a later ``# check=`` into a mere comment); every
    instruction keeps its line number. Raises ValueError when the file has no ``# syntax=`` directive.
    """
    if "syntax" not in model.directive_lines:
        raise ValueError("the Dockerfile has no # syntax= directive")
    rows = model.text.splitlines(keepends=True)
    at = model.directive_lines["syntax"] - 1
    last = max(model.directive_lines.values()) - 1
    ending = rows[at][len(rows[at].rstrip("\r\n")):] or "\n"
    moved = rows[at + 1:last + 1]
    rows[at:last + 1] = [*moved, "# (the grader set the # syntax= directive aside here)" + ending]
    return "".join(rows)
