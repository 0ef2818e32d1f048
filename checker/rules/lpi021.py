"""LPI021: every ``$VAR`` an instruction expands is defined by an ARG, an ENV or the base image."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from checker.dockerfile import Dockerfile, Instruction, Stage, parse_image_ref, substitute
from checker.rules.base import Context, Flag, rule
from checker.rules.facts import python_variant

#: Build arguments Docker defines without an ARG line (the proxy variables, in both casings).
PREDEFINED_ARGS = frozenset(
    name for base in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY") for name in (base, base.lower())
)
#: Set automatically, but only in the global scope: a stage sees them after ``ARG NAME``.
PLATFORM_ARGS = frozenset({"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
                           "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"})
#: Every image has a PATH (the engine sets a default one, even FROM scratch).
_ALWAYS = frozenset({"PATH"})
#: The ENV of the official python images (and the course's stand-ins for them).
_PYTHON_ENV = frozenset({"PATH", "LANG", "GPG_KEY", "PYTHON_VERSION", "PYTHON_SHA256", "PYTHON_PIP_VERSION",
                         "PYTHON_SETUPTOOLS_VERSION", "PYTHON_GET_PIP_URL", "PYTHON_GET_PIP_SHA256"})
#: Base images whose ENV we know: nothing beyond PATH and LANG.
_PLAIN_OS = ("debian", "ubuntu", "alpine", "busybox", "scratch")
#: Instructions whose arguments the builder expands (shell and exec-form RUN/CMD/ENTRYPOINT are
#: left to the shell or never expanded, as BuildKit's UndefinedVar leaves them).
_EXPANDED = frozenset({"ADD", "COPY", "ENV", "ARG", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
_SINGLE_QUOTED = re.compile(r"'[^']*'")
#: A word of an ENV/ARG line with its quotes kept: ``A="x y"`` or ``B='$literal'``.
_RAW_WORD = re.compile(r"""(?:[^\s"']+|"(?:\\.|[^"\\])*"|'[^']*')+""")


def _base_env(ref: str) -> frozenset[str] | None:
    """The ENV names an external base image defines; None when we cannot know them."""
    if ref == "scratch":
        return frozenset(_ALWAYS)
    if python_variant(ref) is not None:
        return _PYTHON_ENV
    if parse_image_ref(ref).name in _PLAIN_OS:
        return frozenset({"PATH", "LANG"})
    return None


def _stage_scopes(df: Dockerfile, stage: Stage) -> Iterator[tuple[Instruction, set[str] | None]]:
    """Each instruction of ``stage`` with the names defined before it (None: unknown base ENV)."""
    inherited: set[str] | None = set(_ALWAYS)
    for member in df.lineage(stage)[:-1]:
        for instruction in member.instructions:
            # ENV carries into a stage built FROM it; BuildKit lets ARGs carry too (the classic
            # builder does not): either way the name is declared, so it is not this rule's fault.
            if instruction.keyword in {"ENV", "ARG"}:
                inherited.update(name for name, _ in instruction.pairs())  # type: ignore[union-attr]
    root = df.lineage(stage)[0]
    base_env = _base_env(root.base_resolved) if root.parent is None else frozenset()
    if base_env is None:
        inherited = None
    else:
        inherited.update(base_env)  # type: ignore[union-attr]
    defined = None if inherited is None else set(inherited) | set(PREDEFINED_ARGS)
    for instruction in stage.instructions:
        yield instruction, defined
        if defined is not None and instruction.keyword in {"ENV", "ARG"}:
            defined.update(name for name, _ in instruction.pairs())


def _undefined(text: str, defined: set[str]) -> tuple[str, ...]:
    """The names ``text`` expands that ``defined`` lacks (single-quoted text is never expanded)."""
    unquoted = _SINGLE_QUOTED.sub("", text)
    return substitute(unquoted, {name: "x" for name in defined})[1]


def _message(name: str, instruction: Instruction, stage: Stage, defined: set[str]) -> str:
    where = f"stage '{stage.alias}'" if stage.alias else "this stage"
    if name in PLATFORM_ARGS:
        return (f"${name} in {instruction.keyword}: Docker sets {name} only before the first FROM; "
                f"{where} sees it after an ARG {name} line, so here it is empty (BuildKit's UndefinedVar).")
    close = difflib.get_close_matches(name, sorted(defined), n=1, cutoff=0.75)
    maybe = f" Did you mean ${close[0]}?" if close else ""
    return (f"${name} in {instruction.keyword}: no ARG or ENV of {where} (nor its base image) defines {name} "
            f"before this line, so it expands to an empty string (BuildKit's UndefinedVar).{maybe}")


@rule("LPI021", severity="warning", lesson="06_safer_images.ipynb#keep-secrets-out", family="syntax")
def undefined_variable(ctx: Context) -> Iterator[Flag]:
    """Every variable an instruction uses is defined.

    Why it matters:
        The builder replaces an undefined $VAR with an empty string without a word, so
        ENV API_KEY=${API_KEY} or COPY $APP_DIR . silently does something else than you meant.
        ARGs end with their stage: one declared before FROM or in another stage is not seen.
    How to fix:
        Declare the variable in the stage that uses it (ARG NAME or ARG NAME=default, or ENV
        NAME=value) before the line that reads it; for TARGETARCH and the other platform
        arguments, add ARG TARGETARCH inside the stage. Check the name's spelling.
    """
    df = ctx.dockerfile
    declared_global = {arg.name for arg in df.global_args} | PREDEFINED_ARGS | PLATFORM_ARGS
    for stage in df.stages:
        for name in _undefined(stage.base, declared_global):
            yield Flag(stage.line, f"${name} in FROM: no ARG before the first FROM declares {name}, so the "
                                   f"image name has a hole in it (BuildKit's UndefinedArgInFrom).")
        for instruction, defined in _stage_scopes(df, stage):
            if defined is None or instruction.keyword not in _EXPANDED:
                continue
            text = instruction.raw
            if instruction.keyword in {"ENV", "ARG"}:
                # ENV A=$A:/x reads the value before this line; names set earlier on the same line count.
                seen = set(defined)
                words = _RAW_WORD.findall(instruction.args)
                if words and "=" not in words[0]:  # legacy ENV NAME value
                    words = [f"{words[0]}={instruction.args.strip()[len(words[0]):]}"]
                for word in words:
                    name, _, value = word.partition("=")
                    for missing in _undefined(value, seen):
                        yield Flag(instruction.line, _message(missing, instruction, stage, seen))
                    seen.add(name)
                continue
            for missing in _undefined(text, defined):
                yield Flag(instruction.line, _message(missing, instruction, stage, defined))
