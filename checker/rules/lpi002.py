"""OS packages: what the final stage installs, and what each install leaves behind."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.dockerfile import Instruction, PackageInstall, Stage, parse_image_ref
from checker.rules.base import Context, Flag, python_variant, rule

_TOOL_RE = re.compile(
    r"^(?:gcc|g\+\+|cc|c\+\+|cpp|clang|clang\+\+|llvm|gfortran|make|cmake|ninja|ninja-build|"
    r"autoconf|automake|libtool|pkg-config|pkgconf|pkgconfig|build-essential|build-base|"
    r"musl-dev|linux-headers|libc6-dev|libc-dev|binutils|cargo|rust|rustc|golang|go|swig|"
    r"bison|flex|kernel-headers|glibc-devel|alpine-sdk)(?:-[\d.]+)?$"
)
_DEV_RE = re.compile(r"-(?:dev|devel)$")
#: Images that are a toolchain whatever their tag, and images whose non-slim tags ship one.
_TOOLCHAIN_IMAGES = frozenset({"gcc", "golang", "rust", "buildpack-deps"})
_FULL_VARIANT_IMAGES = frozenset({"python", "node", "ruby", "perl"})


def is_build_tool(package: str) -> bool:
    """Compilers, build systems and header packages: gcc, make, build-essential, libpq-dev..."""
    return bool(_TOOL_RE.match(package) or _DEV_RE.search(package))


def _removed_in_same_run(instruction: Instruction, install: PackageInstall, package: str) -> bool:
    """apk del of the --virtual group, or apt-get purge/remove / yum remove of the package."""
    virtual = install.value("--virtual", "-t") if install.manager == "apk" else None
    seen = False
    for command in instruction.commands:
        if command == install.command:
            seen = True
            continue
        if not seen or len(command.words) < 2:
            continue
        rest = [word for word in command.words[1:] if not word.startswith("-")]
        if command.program == "apk" and rest[:1] == ["del"] and (package in rest or (virtual and virtual in rest)):
            return True
        if command.program in {"apt-get", "apt"} and rest[:1] in (["purge"], ["remove"]) and package in rest:
            return True
        if command.program in {"yum", "dnf", "microdnf"} and rest[:1] in (["remove"], ["erase"]) and package in rest:
            return True
    return False


def toolchain_base(ref: str) -> bool:
    """The image ships a compiler whatever is installed on it: python:3.13, gcc, buildpack-deps..."""
    parsed = parse_image_ref(ref)
    tag = (parsed.tag or "latest").lower()
    if parsed.name == "buildpack-deps":
        return not any(light in tag for light in ("curl", "scm"))
    if parsed.name in _TOOLCHAIN_IMAGES:
        return True
    if parsed.name == "python":
        return python_variant(ref) == "full"
    return parsed.name in _FULL_VARIANT_IMAGES and not any(light in tag for light in ("slim", "alpine", "windows"))


def _slim_suggestion(ref: str) -> str:
    parsed = parse_image_ref(ref)
    tag = parsed.tag if parsed.tag and parsed.tag != "latest" else None
    if parsed.name == "python" and tag:
        version, _, distro = tag.partition("-")
        return f"python:{version}-slim" + (f"-{distro}" if distro else "")
    return "a -slim variant (python:3.13-slim, for example)"


@rule("LPI002", severity="error", lesson="01_single_stage_problem.ipynb#what-makes-an-image-heavy")
def no_build_tools_in_final_stage(ctx: Context) -> Iterator[Flag]:
    """No compilers or headers in the final image.

    Why it matters:
        gcc, make, build-essential and -dev header packages are only needed to compile wheels.
        In the image you run they add hundreds of megabytes and hand an attacker a compiler.
    How to fix:
        Install build tools only in a build stage and copy the built dependencies out of it;
        start the final stage from a -slim image that has no compiler.
    """
    facts = ctx.facts
    root = facts.lineage[0]
    if root.parent is None and toolchain_base(root.base_resolved):
        yield Flag(root.line, f"The final image is built on {root.base_resolved}, which ships gcc, make and hundreds of -dev packages; run on {_slim_suggestion(root.base_resolved)} instead.")
    for instruction in facts.shipping_instructions("RUN"):
        for install in instruction.installs:
            if not install.system:
                continue
            tools = [name for name in install.names if is_build_tool(name) and not _removed_in_same_run(instruction, install, name)]
            if tools:
                listed = ", ".join(tools)
                yield Flag(instruction.line, f"The final image installs {listed}: build tools and headers are needed only to compile, not to run the app.")


#: Runtime libraries already in the python -slim and -alpine images: their -dev packages need no
#: runtime counterpart in the final stage.
_SHIPPED_STEMS = frozenset({
    "libffi", "libssl", "openssl", "zlib", "libz", "libbz", "bzip", "liblzma", "xz", "libsqlite",
    "sqlite", "libexpat", "expat", "libncurses", "libncursesw", "ncurses", "libreadline", "readline",
    "libgdbm", "gdbm", "libuuid", "util", "libc", "musl", "python", "libpython", "libdb", "libnsl",
    "libtirpc", "libtinfo", "linux", "glibc", "libcrypt", "libedit", "libstdc", "libgcc",
})
#: The runtime package to suggest, where the name is not simply the -dev name without -dev.
_DEBIAN_RUNTIME = {
    "libpq-dev": "libpq5", "default-libmysqlclient-dev": "libmariadb3", "libmariadb-dev": "libmariadb3",
    "libmariadb-dev-compat": "libmariadb3", "libxslt1-dev": "libxslt1.1", "libjpeg-dev": "libjpeg62-turbo",
    "libjpeg62-turbo-dev": "libjpeg62-turbo", "libffi-dev": "libffi8", "libyaml-dev": "libyaml-0-2",
    "libsqlite3-dev": "libsqlite3-0", "zlib1g-dev": "zlib1g", "libxml2-dev": "libxml2",
}
_ALPINE_RUNTIME = {
    "postgresql-dev": "libpq", "postgresql15-dev": "libpq", "libpq-dev": "libpq", "mariadb-dev": "mariadb-connector-c",
    "mariadb-connector-c-dev": "mariadb-connector-c", "jpeg-dev": "libjpeg-turbo", "libjpeg-turbo-dev": "libjpeg-turbo",
    "openssl-dev": "libssl3",
}
_STEM_SPECIAL = {"default-libmysqlclient-dev": "libmariadb", "postgresql-dev": "libpq", "jpeg-dev": "libjpeg"}
_STEM_RE = re.compile(r"^(lib)?[a-z]+")


def library_stem(dev_package: str) -> str:
    """``libpq-dev`` -> ``libpq``; ``libxslt1-dev`` -> ``libxslt``; ``jpeg-dev`` -> ``libjpeg``."""
    special = _STEM_SPECIAL.get(dev_package) or next(
        (stem for name, stem in _STEM_SPECIAL.items() if dev_package.startswith(name.removesuffix("-dev"))), None
    )
    if special:
        return special
    match = _STEM_RE.match(dev_package)
    return match.group(0) if match else dev_package


def runtime_suggestion(dev_package: str, manager: str) -> str:
    if manager == "apk":
        return _ALPINE_RUNTIME.get(dev_package, dev_package.removesuffix("-dev"))
    if manager in {"yum", "dnf"}:
        return dev_package.removesuffix("-devel")
    if dev_package in _DEBIAN_RUNTIME:
        return _DEBIAN_RUNTIME[dev_package]
    return f"the runtime package (apt-cache search '^{library_stem(dev_package)}' lists it)"


def _is_library_headers(package: str) -> bool:
    return bool(_DEV_RE.search(package)) and not _TOOL_RE.match(package) and not package.startswith(("python", "libpython"))


def _needs_runtime(stem: str) -> bool:
    return stem not in _SHIPPED_STEMS


@rule("LPI003", severity="warning", lesson="02_multi_stage.ipynb#runtime-libraries-only")
def runtime_libraries_only(ctx: Context) -> Iterator[Flag]:
    """Install runtime libraries, not -dev packages, where the app runs.

    Why it matters:
        A package like libpq-dev holds the headers needed to compile against libpq; the
        compiled extension only needs the library itself (libpq5 on Debian, libpq on Alpine).
        Forget the runtime library and the image builds but fails at import time.
    How to fix:
        Install X-dev in the build stage, and its runtime library (for example libpq5) in the
        final stage.
    """
    df, facts = ctx.dockerfile, ctx.facts
    installed: list[str] = []
    for instruction in facts.shipping_instructions("RUN"):
        for install in instruction.installs:
            installed.extend(install.names)
            if not install.system:
                continue
            for name in install.names:
                if _is_library_headers(name) and _needs_runtime(library_stem(name)):
                    yield Flag(instruction.line, f"The final image installs {name}, the headers for compiling against a library; to run, it needs only {runtime_suggestion(name, install.manager)}.")
    copied_sources = [source for copy in facts.final_copies_from for source in copy.sources]
    builders: dict[int, Stage] = {}
    for index in sorted(facts.copied_stage_indexes):
        for member in df.lineage(df.stages[index]):
            if not facts.ships(member):
                builders[member.index] = member
    reported: set[str] = set()
    for stage in builders.values():
        for instruction in stage.instructions:
            for install in instruction.installs if instruction.keyword == "RUN" else ():
                if not install.system:
                    continue
                for name in install.names:
                    stem = library_stem(name)
                    if not _is_library_headers(name) or not _needs_runtime(stem) or stem in reported:
                        continue
                    bare = stem.removeprefix("lib")
                    present = any((pkg.startswith(stem) or pkg.startswith(bare)) and not _DEV_RE.search(pkg) for pkg in installed)
                    copied = any(stem in source for source in copied_sources)
                    if not present and not copied:
                        reported.add(stem)
                        runtime = runtime_suggestion(name, install.manager)
                        yield Flag(facts.final.line, f"The build stage compiles against {name} (line {instruction.line}), but the final stage never installs {runtime}: the compiled extension will fail to import.")


_APT_LISTS = "/var/lib/apt/lists"


def _apt_commands(instruction: Instruction) -> list[str]:
    subcommands = []
    for command in instruction.commands:
        if command.program in {"apt-get", "apt", "aptitude"}:
            rest = [word for word in command.words[1:] if not word.startswith("-")]
            if rest and rest[0] in {"update", "install", "upgrade", "dist-upgrade", "full-upgrade"}:
                subcommands.append(rest[0])
    return subcommands


def _removes(instruction: Instruction, prefix: str) -> bool:
    for command in instruction.commands:
        if command.program == "rm" and any(word.startswith(prefix) for word in command.words[1:]):
            return True
    return False


def _cache_mounted(instruction: Instruction, prefix: str) -> bool:
    for mount in instruction.flag_values("mount"):
        options = dict(part.partition("=")[::2] for part in mount.split(","))
        if options.get("type") == "cache" and (options.get("target") or options.get("dst") or options.get("destination") or "").startswith(prefix):
            return True
    return False


def _later_cleanup(ctx: Context, instruction: Instruction, prefix: str) -> int | None:
    stage = ctx.dockerfile.stages[instruction.stage]
    for later in stage.instructions:
        if later.keyword == "RUN" and later.index > instruction.index and _removes(later, prefix):
            return later.line
    return None


@rule("LPI007", severity="warning", lesson="05_layer_cache.ipynb#clean-up-in-the-same-layer")
def package_lists_removed(ctx: Context) -> Iterator[Flag]:
    """Remove package-manager caches in the same RUN.

    Why it matters:
        apt-get update downloads package lists (tens of MB) into /var/lib/apt/lists, and apk and
        yum keep their indexes too. Each RUN is a layer: deleting the files in a later RUN hides
        them but does not make the image smaller.
    How to fix:
        End the same RUN with && rm -rf /var/lib/apt/lists/* (apt), use apk add --no-cache
        (Alpine), or run yum/dnf clean all in the same RUN.
    """
    df, facts = ctx.dockerfile, ctx.facts
    for stage in df.stages:
        severity = facts.severity_for(stage)
        where = "" if facts.ships(stage) else " (a build stage: only its build time and cache suffer)"
        for instruction in stage.instructions:
            if instruction.keyword != "RUN":
                continue
            if _apt_commands(instruction) and not _removes(instruction, _APT_LISTS) and not _cache_mounted(instruction, "/var/lib/apt"):
                later = _later_cleanup(ctx, instruction, _APT_LISTS)
                extra = f"; removing them in a later RUN (line {later}) cannot shrink this layer" if later else ""
                yield Flag(instruction.line, f"This RUN leaves apt's package lists in {_APT_LISTS} in the layer{extra}{where}.", severity=severity)
            for command in instruction.commands:
                rest = [word for word in command.words[1:] if not word.startswith("-")]
                if command.program == "apk" and rest[:1] in (["add"], ["update"]) and "--no-cache" not in command.words:
                    if not _removes(instruction, "/var/cache/apk") and not _cache_mounted(instruction, "/var/cache/apk") and not _cache_mounted(instruction, "/etc/apk/cache"):
                        yield Flag(instruction.line, f"apk {rest[0]} without --no-cache keeps the package index in /var/cache/apk{where}.", severity=severity, hint="Use apk add --no-cache <packages>.")
                if command.program in {"yum", "dnf", "microdnf"} and rest[:1] == ["install"]:
                    cleaned = any(c.program == command.program and "clean" in c.words for c in instruction.commands) or _removes(instruction, "/var/cache/")
                    if not cleaned:
                        yield Flag(instruction.line, f"{command.program} install without '{command.program} clean all' in the same RUN keeps its cache in the layer{where}.", severity=severity)


def _recommends_disabled(install: PackageInstall) -> bool:
    if install.has("--no-install-recommends"):
        return True
    for option, value in install.options:
        if option in {"-o", "--option"} and value and "install-recommends" in value.lower():
            return value.split("=", 1)[-1].strip().lower() in {"false", "0", "no", "off"}
    return False


def _configured_off(ctx: Context, instruction: Instruction) -> bool:
    """An earlier RUN wrote APT::Install-Recommends "false" into apt's configuration."""
    df = ctx.dockerfile
    for stage in df.lineage(df.stages[instruction.stage]):
        for earlier in stage.instructions:
            if earlier.index >= instruction.index:
                return False
            if earlier.keyword == "RUN" and re.search(r"Install-Recommends\W+(false|0)", earlier.shell_script, re.IGNORECASE):
                return True
    return False


@rule("LPI008", severity="warning", lesson="01_single_stage_problem.ipynb#recommended-packages")
def no_install_recommends(ctx: Context) -> Iterator[Flag]:
    """Install apt packages with --no-install-recommends.

    Why it matters:
        By default apt also installs every "recommended" package: documentation, extra tools
        and libraries your app never loads, often doubling what one install adds.
    How to fix:
        Write apt-get install -y --no-install-recommends <packages>.
    """
    facts = ctx.facts
    for stage in ctx.dockerfile.stages:
        severity = facts.severity_for(stage)
        for instruction in stage.instructions:
            if instruction.keyword != "RUN":
                continue
            for install in instruction.installs:
                if install.manager == "apt" and install.names and not _recommends_disabled(install) and not _configured_off(ctx, instruction):
                    where = "" if facts.ships(stage) else " in a build stage"
                    yield Flag(instruction.line, f"apt install of {', '.join(install.names)} without --no-install-recommends{where} pulls in recommended packages too.", severity=severity)
