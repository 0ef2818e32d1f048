"""LPI003: the final stage installs runtime libraries, not their -dev headers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.dockerfile import Stage
from checker.rules.base import Context, Flag, rule
from checker.rules.facts import DEV_RE, TOOL_RE
from checker.rules.installed import kept_installs, later_removal_note


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
    """What to install instead of a -dev package where the app runs: ``libpq5`` for ``libpq-dev`` (apt)."""
    if manager == "apk":
        return _ALPINE_RUNTIME.get(dev_package, dev_package.removesuffix("-dev"))
    if manager in {"yum", "dnf"}:
        return dev_package.removesuffix("-devel")
    if dev_package in _DEBIAN_RUNTIME:
        return _DEBIAN_RUNTIME[dev_package]
    return f"the runtime package (apt-cache search '^{library_stem(dev_package)}' lists it)"


def _is_library_headers(package: str) -> bool:
    return bool(DEV_RE.search(package)) and not TOOL_RE.match(package) and not package.startswith(("python", "libpython"))


def _needs_runtime(stem: str) -> bool:
    return stem not in _SHIPPED_STEMS


@rule("LPI003", severity="warning", lesson="02_multi_stage.ipynb#runtime-libraries-only", family="packages")
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
    # What the layers keep: headers purged in the RUN that installed them are in no layer.
    kept = list(kept_installs(facts.shipping_instructions("RUN"), system_only=False))
    installed = [package.name for package in kept]
    for package in kept:
        name = package.name
        if package.install.system and _is_library_headers(name) and _needs_runtime(library_stem(name)):
            yield Flag(package.instruction.line, f"The final image installs {name}, the headers for compiling against a library; to run, it needs only {runtime_suggestion(name, package.install.manager)}{later_removal_note([package])}.")
    copied_sources = [source for copy in facts.final_copies_from for source in copy.sources]
    builders: dict[int, Stage] = {}
    for index in sorted(facts.copied_stage_indexes):
        for member in df.lineage(df.stages[index]):
            if not facts.ships(member):
                builders[member.index] = member
    # A whole root filesystem copied to / (the FROM scratch pattern: COPY --from=rootfs /rootfs /) may hold the
    # library: this rule cannot see inside it, the dynamic native_libs check does.
    rootfs_stages = {member.index for copy in facts.final_copies_from
                     if copy.source_stage is not None and copy.dest is not None and copy.dest.rstrip("/") in ("", "/.")
                     for member in df.lineage(copy.source_stage)}
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
                    present = any((pkg.startswith(stem) or pkg.startswith(bare)) and not DEV_RE.search(pkg) for pkg in installed)
                    copied = any(stem in source for source in copied_sources) or stage.index in rootfs_stages
                    if not present and not copied:
                        reported.add(stem)
                        runtime = runtime_suggestion(name, install.manager)
                        yield Flag(facts.final.line, f"The build stage compiles against {name} (line {instruction.line}), but the final stage never installs {runtime}: the compiled extension will fail to import.")
