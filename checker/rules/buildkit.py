"""Syntax that only BuildKit understands: what :func:`needs_buildkit` finds, for LPI015 and the linter.

The course engine uses the classic builder. A learner who follows a BuildKit tutorial deserves a
clear reason when the build fails, not a lost point for something the engine cannot do.
"""

from __future__ import annotations

import re

from checker.dockerfile import Dockerfile, ParseError, parse

CLASSIC = "this engine uses the classic builder (no BuildKit): this line cannot build here"
#: What LPI015 says when no engine was asked (static ``lint``).
UNKNOWN = ("the classic builder (Docker 20.10 through its API, DOCKER_BUILDKIT=0) cannot build this line; "
           "BuildKit (docker build since Docker 23) can: `lint --buildkit` if your engine has it")

_RUN_FLAGS = {"mount": "RUN --mount", "network": "RUN --network", "security": "RUN --security"}
_COPY_FLAGS = {"link": "--link", "chmod": "--chmod", "parents": "--parents", "exclude": "--exclude", "checksum": "ADD --checksum", "keep-git-dir": "ADD --keep-git-dir"}
_AUTOMATIC_ARGS = ("BUILDPLATFORM", "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDOS", "BUILDARCH")


def needs_buildkit(dockerfile: Dockerfile | str | bytes) -> list[tuple[int, str]]:
    """Lines the classic builder cannot build, as ``(line, feature)``, to explain a build failure.

    Takes a parsed :class:`Dockerfile` or its text; text that does not parse gives ``[]``.
    """
    if not isinstance(dockerfile, Dockerfile):
        try:
            dockerfile = parse(dockerfile)
        except ParseError:
            return []
    found: list[tuple[int, str]] = []
    declared = {arg.name for arg in dockerfile.global_args}
    for instruction in dockerfile.instructions:
        if instruction.heredocs:
            found.append((instruction.line, f"heredoc ({instruction.keyword} <<{instruction.heredocs[0].delimiter})"))
        for name, _ in instruction.flags:
            if instruction.keyword == "RUN" and name in _RUN_FLAGS:
                found.append((instruction.line, _RUN_FLAGS[name]))
            elif instruction.keyword in {"COPY", "ADD"} and name in _COPY_FLAGS:
                label = _COPY_FLAGS[name]
                found.append((instruction.line, label if label.startswith("ADD") else f"{instruction.keyword} {label}"))
        if instruction.keyword == "FROM":
            text = instruction.raw
            for arg in _AUTOMATIC_ARGS:
                if f"${arg}" in text or f"${{{arg}}}" in text:
                    if arg not in declared or not any(a.default for a in dockerfile.global_args if a.name == arg):
                        found.append((instruction.line, f"automatic platform argument ${arg}"))
                        break
    return sorted(dict.fromkeys(found))


#: The classic builder's own words (Docker 20.10, measured) for a flag only BuildKit knows:
#: ``the --mount option requires BuildKit. Refer to ...`` (RUN --mount, COPY --chmod; also RUN --network on
#: Docker 28) and ``dockerfile parse error line 2: Unknown flag: link`` (the others on Docker 20.10.24), or
#: ``dockerfile parse error on line 2: unknown flag: --parents`` (Docker 28.5.2, whose classic builder
#: accepts and ignores COPY --link and --exclude and ADD --checksum, and runs ``RUN <<EOF`` without its
#: body: measured, which is why such syntax is refused before building, not left to the builder).
_REQUIRES_RE = re.compile(r"the --([a-z][a-z-]*) option requires BuildKit")
_UNKNOWN_FLAG_RE = re.compile(r"(?:dockerfile parse error (?:on )?line (\d+): )?[Uu]nknown flag: (?:--)?([a-z][a-z-]*)")


def classic_refusal(text: str) -> tuple[int | None, str] | None:
    """``(line, "--flag")`` when the classic builder's error ``text`` says it refused a flag only BuildKit
    knows (``line`` when it names one, else None); None for any other text.

    An unknown flag BuildKit does not know either (``COPY --chwon``) is the Dockerfile's own mistake: None.
    """
    text = text or ""
    match = _REQUIRES_RE.search(text)
    if match:
        return None, f"--{match.group(1)}"
    for match in _UNKNOWN_FLAG_RE.finditer(text):
        if match.group(2) in _RUN_FLAGS or match.group(2) in _COPY_FLAGS:
            return (int(match.group(1)) if match.group(1) else None), f"--{match.group(2)}"
    return None
