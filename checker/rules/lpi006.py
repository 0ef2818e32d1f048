"""LPI006: no pip download cache in the image."""

from __future__ import annotations

from collections.abc import Iterator

from checker.dockerfile import Instruction, PackageInstall, Stage, substitute
from checker.rules.base import Context, Flag, rule
from checker.rules.facts import commented_commands, normalise_path, path_covers


_PIP_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_PIP_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})


def _home(ctx: Context, instruction: Instruction, env: dict[str, str]) -> str:
    if env.get("HOME"):
        return env["HOME"]
    df = ctx.dockerfile
    user = None
    for stage in df.lineage(df.stages[instruction.stage]):
        for earlier in stage.instructions:
            if earlier.index >= instruction.index:
                break
            if earlier.keyword == "USER" and earlier.args.split():
                user = earlier.args.split()[0].split(":", 1)[0]
    return "/root" if user in {None, "root", "0"} else f"/home/{user}"


def _cache_dir(install: PackageInstall, env: dict[str, str], home: str) -> str:
    cache_home = env.get("XDG_CACHE_HOME") or f"{home}/.cache"
    if install.manager == "pip":
        return install.value("--cache-dir") or env.get("PIP_CACHE_DIR") or f"{cache_home}/pip"
    if install.manager == "uv":
        return install.value("--cache-dir") or env.get("UV_CACHE_DIR") or f"{cache_home}/uv"
    return env.get("POETRY_CACHE_DIR") or f"{cache_home}/pypoetry"


def _expand(word: str, env: dict[str, str], home: str) -> str:
    if word.startswith("~"):
        word = home + word[1:]
    return substitute(word, {**env, "HOME": home})[0]


def _cache_cleared(instruction: Instruction, install: PackageInstall, cache_dir: str, env: dict[str, str], home: str) -> bool:
    for mount in instruction.flag_values("mount"):
        options = dict(part.partition("=")[::2] for part in mount.split(","))
        target = options.get("target") or options.get("dst") or options.get("destination")
        if options.get("type") == "cache" and target and path_covers(_expand(target, env, home), cache_dir):
            return True
    after = False
    for command in instruction.commands:
        if command == install.command:
            after = True
            continue
        words = command.words
        if command.program == "rm" and any(path_covers(_expand(word, env, home), cache_dir) for word in words[1:] if not word.startswith("-")):
            return True
        if after and len(words) >= 3 and words[1] == "cache" and words[2] in {"purge", "clean", "clear"}:
            return True
    return False


def _commented_removal(ctx: Context, instruction: Instruction, cache_dir: str, env: dict[str, str], home: str) -> str:
    """A sentence when an ``rm`` of the cache is written inside a shell comment, else ""."""
    for line, command in commented_commands(ctx.dockerfile, instruction):
        words = command.words
        start = next((index for index, word in enumerate(words) if word.rsplit("/", 1)[-1] == "rm"), None)
        if start is not None and any(path_covers(_expand(word, env, home), cache_dir) for word in words[start + 1:] if not word.startswith("-")):
            return (f"; the '{' '.join(words[start:])}' is inside the shell comment that starts with # on line {line}, "
                    f"which runs to the end of the joined RUN, so it never runs")
    return ""


def _pip_cache_disabled(install: PackageInstall, env: dict[str, str]) -> bool:
    if install.manager == "pip":
        value = env.get("PIP_NO_CACHE_DIR", "").strip().lower()
        return install.has("--no-cache-dir") or value in _PIP_TRUE or value in _PIP_FALSE
    if install.manager == "uv":
        return install.has("--no-cache", "-n", "--no-cache-dir") or env.get("UV_NO_CACHE", "").strip().lower() in _PIP_TRUE
    if install.manager == "poetry":
        return install.has("--no-cache")
    return True


def _cache_keeping_installs(ctx: Context, stage: Stage) -> Iterator[tuple[Instruction, PackageInstall, str]]:
    df = ctx.dockerfile
    for instruction in stage.instructions:
        if instruction.keyword != "RUN":
            continue
        installs = [i for i in instruction.installs if i.manager in {"pip", "uv", "poetry"}]
        if not installs:
            continue
        env = df.env_at(instruction)
        home = _home(ctx, instruction, env)
        for install in installs:
            inline = dict(word.split("=", 1) for word in install.command.assignments)
            if _pip_cache_disabled(install, {**env, **inline}):
                continue
            cache_dir = normalise_path(_expand(_cache_dir(install, env, home), env, home))
            if not _cache_cleared(instruction, install, cache_dir, env, home):
                yield instruction, install, cache_dir


@rule("LPI006", severity="warning", lesson="05_layer_cache.ipynb#no-pip-cache-in-the-image", family="dependencies")
def no_pip_cache_in_image(ctx: Context) -> Iterator[Flag]:
    """Keep pip's download cache out of the final image.

    Why it matters:
        pip (and uv, and poetry) keep a copy of every wheel they download under ~/.cache. In an
        image nobody reinstalls, so that cache is tens to hundreds of megabytes of dead weight.
        A build stage's cache is thrown away with the stage unless you copy it.
    How to fix:
        Use pip install --no-cache-dir (or ENV PIP_NO_CACHE_DIR=1; uv: --no-cache or
        UV_NO_CACHE=1), or delete the cache in the same RUN.
    """
    df, facts = ctx.dockerfile, ctx.facts
    for stage in df.stages:
        copied = () if facts.ships(stage) else facts.copied_paths_from(stage)
        if not facts.ships(stage) and not copied:
            continue
        for instruction, install, cache_dir in _cache_keeping_installs(ctx, stage):
            tool = install.manager if install.manager != "uv" else "uv"
            if facts.ships(stage):
                env = df.env_at(instruction)
                note = _commented_removal(ctx, instruction, cache_dir, env, _home(ctx, instruction, env))
                yield Flag(instruction.line, f"{tool} install keeps its download cache in {cache_dir}, which ships in the final image{note}.")
                continue
            carriers = [path for path in copied if path_covers(path, cache_dir)]
            if carriers:
                yield Flag(instruction.line, f"{tool} install keeps its cache in {cache_dir}, and the final stage copies {carriers[0]} from this stage, cache included.")
    for instruction in df.instructions:
        if instruction.keyword not in {"ENV", "ARG"}:
            continue
        for name, value in instruction.pairs():
            if name != "PIP_NO_CACHE_DIR" or not value or "$" in value:
                continue
            lowered = value.strip().lower()
            if lowered in _PIP_FALSE:
                yield Flag(instruction.line, f"PIP_NO_CACHE_DIR={value} reads as 'keep the cache', yet pip disables its cache for any yes/no value it accepts, false ones included: the line says the opposite of what it does.", severity="info", hint="Write PIP_NO_CACHE_DIR=1 so the Dockerfile says what pip does.")
            elif lowered not in _PIP_TRUE:
                yield Flag(instruction.line, f"pip rejects PIP_NO_CACHE_DIR={value} ('invalid truth value'), so every pip install under it fails.", severity="error", hint="Use PIP_NO_CACHE_DIR=1.")
