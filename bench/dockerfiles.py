"""Pure text transformations: the Dockerfile variants the bench builds from the course's own files.

Deriving variants from sample_app's Dockerfiles (rather than keeping copies) keeps the bench honest:
when the reference changes, every variant changes with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FROM = re.compile(r"^(\s*FROM\s+)(\S+)(.*)$", re.IGNORECASE)


class VariantError(ValueError):
    """The Dockerfile does not have the shape a variant needs (the message says which)."""


def on_slim(text: str) -> str:
    """The same recipe on the -slim image of the same Python (the article's second row)."""
    lines = text.splitlines()
    changed = False
    for i, line in enumerate(lines):
        match = _FROM.match(line)
        if match and match.group(2).startswith("python:") and not match.group(2).endswith("-slim"):
            lines[i] = f"{match.group(1)}{match.group(2)}-slim{match.group(3)}"
            changed = True
    if not changed:
        raise VariantError("no FROM python:<version> line to put on -slim")
    return "\n".join(lines) + "\n"


def _stages(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if _FROM.match(line)]


def _instruction_end(lines: list[str], start: int) -> int:
    """Index of the last line of the instruction starting at ``start`` (backslash continuations)."""
    end = start
    while lines[end].rstrip().endswith("\\") and end + 1 < len(lines):
        end += 1
    return end


def wrong_order(text: str) -> str:
    """The first stage copies the whole source before installing the requirements (the cache-busting order)."""
    lines = text.splitlines()
    stages = _stages(lines)
    first_end = stages[1] if len(stages) > 1 else len(lines)
    for i in range(stages[0] if stages else 0, first_end):
        if re.match(r"^\s*COPY\s+(\S*/)?requirements[^\s]*\.txt\s+\S+\s*$", lines[i], re.IGNORECASE):
            lines[i] = "COPY . ."
            return "\n".join(lines) + "\n"
    raise VariantError("the first stage has no `COPY requirements.txt <dest>` line to move after the source")


def after_install(text: str, instruction: str) -> str:
    """Insert ``instruction`` right after the first stage's `pip install` (the builder's venv is final there)."""
    lines = text.splitlines()
    stages = _stages(lines)
    first_end = stages[1] if len(stages) > 1 else len(lines)
    for i in range(stages[0] if stages else 0, first_end):
        if re.match(r"^\s*RUN\b.*\bpip\b.*\binstall\b", lines[i], re.IGNORECASE):
            end = _instruction_end(lines, i)
            return "\n".join(lines[: end + 1] + [instruction] + lines[end + 1:]) + "\n"
    raise VariantError("the first stage has no `RUN pip install` to follow")


@dataclass(frozen=True)
class Technique:
    id: str
    title: str
    instruction: str
    """Added to the reference's builder stage after `pip install`."""
    pattern: str
    """A solution's Dockerfile that matches this regex uses the technique (a textual check)."""


VENV = "/opt/venv"
TECHNIQUES: tuple[Technique, ...] = (
    Technique("no-pip", "no pip in the runtime environment",
              f"RUN {VENV}/bin/python -m pip uninstall --yes --quiet pip",
              r"pip\s+uninstall|--without-pip|rm\s+-rf?\s+\S*site-packages/pip"),
    Technique("strip", "shared libraries stripped",
              f"RUN find {VENV} -type f -name '*.so*' -exec strip --strip-unneeded {{}} +",
              r"\bstrip\b\s+--strip|\bstrip\s+-s\b|-Wl,-s|\bstrip\b"),
    Technique("no-pyc", "no bytecode (.pyc) shipped",
              f"RUN find {VENV} -depth -type d -name __pycache__ -exec rm -rf {{}} +",
              r"__pycache__|--no-compile|\*\.py\[co\]|\*\.pyc"),
    Technique("bytecode-only", "bytecode without sources (.pyc kept, .py dropped)",
              f"RUN {VENV}/bin/python -m compileall -q -b -j 0 {VENV}/lib && find {VENV}/lib -name '*.py' -delete "
              f"&& find {VENV}/lib -depth -type d -name __pycache__ -exec rm -rf {{}} +",
              r"\bcompileall\b[^\n]*\s-[a-z]*b"),
)


def with_techniques(reference: str, ids: tuple[str, ...]) -> str:
    text = reference
    for technique in TECHNIQUES:
        if technique.id in ids:
            text = after_install(text, technique.instruction)
    return text


def techniques_used(text: str) -> list[str]:
    """Which techniques a Dockerfile uses, judged from its text (comments ignored)."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    used = [t.id for t in TECHNIQUES if re.search(t.pattern, code)]
    if "bytecode-only" in used and "no-pyc" in used:
        # Removing __pycache__ after `compileall -b` keeps the bytecode: it is not "no .pyc".
        used.remove("no-pyc")
    return used
