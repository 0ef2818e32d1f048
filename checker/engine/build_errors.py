"""Why a build failed, read from its log: the decisive lines, the known cause, and whose fault it is.

Pure text analysis over a classic build's log (``BuildResult.log``), no engine involved:

- :func:`failing_output` is what the failing step printed (all of it the log kept, not a tail);
- :func:`decisive_lines` picks the lines that explain the failure, by error markers of the tools a
  Dockerfile runs (pip, setuptools, gcc, apt, apk, sh: ``error:``, ``fatal error:``,
  ``E: Unable to locate package``, ``not found``, ``No such file``, a traceback's last line),
  ranked, each with a little context, instead of the step's tail (pip's trailer, "This error
  originates from a subprocess" and upgrade notices, explains nothing);
- :func:`diagnose` recognises the well-known causes the course teaches (pg_config, the libc6-dev
  trap, Python.h, a misspelt apt package, no gcc) and the grading machine's own network failures
  (TLS, DNS, refused connections to a package index), which are never the learner's score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: At most this many decisive lines (context included) are kept in the report.
MAX_DECISIVE_LINES = 12
#: A decisive line longer than this is cut (characters).
MAX_LINE_CHARS = 240
#: Lines of context kept before a decisive line.
CONTEXT_BEFORE = 1

_VARYING_RE = re.compile(r"0x[0-9a-f]+|\d+")
_STEP_RE = re.compile(r"^Step \d+/\d+ : ")
_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_ENGINE_ERROR_RE = re.compile(r"^The command '.*' returned a non-zero code: \d+$")
_BOOKKEEPING_RE = re.compile(r"^\s*(---> |Removing intermediate container)")

# (rank, pattern): a higher rank explains the failure better. Patterns match one log line.
_MARKERS: tuple[tuple[int, re.Pattern[str]], ...] = tuple((rank, re.compile(pattern)) for rank, pattern in (
    (9, r"fatal error: .*No such file or directory"),       # gcc: a missing header
    (9, r"E: Unable to locate package|E: Package '.*' has no installation candidate"),
    (9, r"pg_config executable not found"),
    (9, r"command '[^']+' failed: No such file or directory|No such file or directory: '[^']*(gcc|cc|g\+\+)'"),
    (8, r"\bfatal error:"),
    (8, r"\bE: "),                                             # apt
    (8, r"^ERROR: (Could not find a version|No matching distribution|Could not install|Could not open requirements)"),
    (8, r"CERTIFICATE_VERIFY_FAILED|Temporary failure in name resolution|Name or service not known"
        r"|Could not resolve|Connection refused|Failed to fetch|Could not fetch URL"),
    (7, r"^ERROR: (?!Failed to build|Failed building wheel)"),  # pip's own errors, not its trailer
    (7, r"\berror: (?!subprocess-exited-with-error|metadata-generation-failed|externally-managed-environment\s*$)"),
    (6, r"\b(Error|ERROR):"),
    (6, r"^[A-Za-z_][\w.]*(Error|Exception)\b(: |$)"),        # a traceback's last line
    (5, r"^(/bin/sh|sh|bash)(: \d+)?: .*(not found|No such file)"),
    (5, r"\bnot found\b|No such file or directory"),
    (4, r"ERROR: unable to select packages|\bapk\b.*\berror"),  # apk
))

#: Lines that look like errors but only repeat or frame the real one.
_NOISE_RE = re.compile(
    r"This error originates from a subprocess|error: subprocess-exited-with-error|error: metadata-generation-failed"
    r"|^\s*╰─>|^\s*\[end of output\]|note: This error|hint: See above|^\s*\[notice\]|A new release of pip"
    r"|To update, run:|ERROR: Failed to build|Failed building wheel|^\s*×|Encountered error while generating"
    r"|If you would like to use a|you may need to install|Please add the directory containing|^\s*note: "
    r"|^\s*$"
)


@dataclass(frozen=True)
class Cause:
    """A well-known reason for a failed build, recognised in its log."""

    id: str
    """A stable name: ``pg_config``, ``libc6_dev``, ``python_headers``, ``dev_headers``, ``apt_package``,
    ``no_gcc``, ``network``."""
    hint: str
    """One or two sentences: what happened and how to fix it."""
    environment: bool = False
    """True when the grading machine, not the Dockerfile, is at fault (its network reaching a package index)."""


@dataclass(frozen=True)
class BuildDiagnosis:
    """What the log of a failed build says about the failure."""

    lines: tuple[str, ...]
    """The decisive lines with a little context, in log order (at most :data:`MAX_DECISIVE_LINES`)."""
    cause: Cause | None
    """The well-known cause, when one is recognised."""
    evidence: str | None = None
    """The words of the log that gave the cause away (from its marker on, cut to 160 characters)."""


_NETWORK_RE = re.compile(
    r"CERTIFICATE_VERIFY_FAILED|certificate verify failed|SSLError|SSL: |Temporary failure in name resolution"
    r"|Name or service not known|No address associated with hostname|Could not resolve( host)?[: ]"
    r"|Could not fetch URL|Connection refused|ConnectionRefusedError|NewConnectionError|Network is unreachable"
    r"|ConnectTimeoutError|Connection timed out|Failed to establish a new connection|Failed to fetch"
    r"|Could not connect to|ProxyError|Read timed out|Temporary failure resolving"
    r"|invalid peer certificate|All attempts to connect to \S+ failed"
)

#: Headers of the C library (libc6-dev on Debian), top-level or under sys/, bits/, netinet/, arpa/...
_LIBC_HEADERS = (
    r"assert|complex|ctype|dlfcn|errno|fcntl|features|fenv|float|glob|grp|iconv|inttypes|langinfo|libintl|limits"
    r"|locale|malloc|math|netdb|poll|pthread|pwd|regex|sched|search|semaphore|setjmp|signal|spawn|stdarg|stdbool"
    r"|stddef|stdint|stdio|stdlib|string|strings|syslog|termios|time|unistd|utime|wchar|wctype|(sys|bits|netinet"
    r"|arpa|net|linux|asm|gnu)/[\w/]+",
)

#: A line that is a package manager talking about its index: pip's retries and fetches, apt's and apk's.
_INDEX_CONTEXT_RE = re.compile(
    r"Retrying \(Retry\(|Could not fetch URL|HTTPS?ConnectionPool\(host=|/simple/|^\s*(Err|W|E):|Failed to fetch"
    r"|Temporary failure resolving|Could not resolve '|APKINDEX|Could not connect to |pip\._vendor"
    r"|All attempts to connect to "
)

#: The words that say best what went wrong with the network, most telling first (the evidence quoted).
_NETWORK_WORDS = tuple(re.compile(pattern) for pattern in (
    r"\[SSL: CERTIFICATE_VERIFY_FAILED\][^'\"]*|CERTIFICATE_VERIFY_FAILED|certificate verify failed[^'\"]*"
    r"|invalid peer certificate: \w+",
    r"Failed to establish a new connection: [^'\"]*",
    r"Temporary failure resolving '[^']*'|Could not resolve '[^']*'|Could not resolve host: \S+",
    r"Temporary failure in name resolution|Name or service not known|Connection refused|Network is unreachable",
    r"Could not fetch URL \S+|Failed to fetch \S+",
))

_CAUSES: tuple[tuple[re.Pattern[str], Cause], ...] = (
    (re.compile(r"pg_config executable not found|pg_config: (command )?not found"), Cause(
        "pg_config",
        "psycopg2 compiles against libpq and could not find pg_config: install libpq-dev (and gcc, libc6-dev) "
        "in the build stage, and only libpq5 in the runtime stage; or use psycopg2-binary.")),
    (re.compile(r"fatal error: Python\.h: No such file"), Cause(
        "python_headers",
        "The C extension needs the interpreter's headers (Python.h): build on a python image, which ships "
        "them for its own Python, or install the -dev headers of the interpreter you build for (python3-dev "
        "on Debian's python3).")),
    (re.compile(r"fatal error: (" + "|".join(_LIBC_HEADERS) + r")\.h: No such file"), Cause(
        "libc6_dev",
        "gcc installed with --no-install-recommends comes without the C library's headers ({header} is "
        "libc6-dev's): add libc6-dev to the same apt-get install (build stage only).")),
    (re.compile(r"fatal error: ([\w./+-]+\.h): No such file"), Cause(
        "dev_headers",
        "A C header is missing ({header}): install the -dev package that provides it in the build stage "
        "(packages.debian.org searches file contents), and only its runtime library in the final stage.")),
    (re.compile(r"command '[^']*(gcc|cc|x86_64-linux-gnu-gcc)' failed: No such file|unable to execute '[^']*gcc'"
                r"|No such file or directory: '[^']*(gcc|cc)'|(gcc|cc): (command )?not found"), Cause(
        "no_gcc",
        "A package compiles C code and there is no compiler: install gcc and libc6-dev in the build stage "
        "(apt-get install --no-install-recommends gcc libc6-dev), then copy only the result to the runtime stage.")),
    (re.compile(r"lint violation found for rules?: ([\w, ]+)"), Cause(
        "build_checks",
        "The Dockerfile's `# check=error=true` directive makes Docker's own build checks fail the build, and "
        "{rules} found something: fix what the build-check findings say (each names its line), or drop "
        "error=true to keep them as warnings.")),
    (re.compile(r"E: Unable to locate package (\S+)|E: Package '([^']+)' has no installation candidate"
                r"|^\s*(\S+) \(no such package\)", re.MULTILINE), Cause(
        "apt_package",
        "The package manager does not know that package name: check its spelling (apt-cache search NAME, or "
        "apk search NAME, on the same base image), and update the index in the same RUN (apt-get update "
        "before apt-get install; apk add --no-cache).")),
)

_NETWORK_CAUSE = Cause(
    "network",
    "The grading machine could not reach a package index (TLS, DNS or connection error), so this says nothing "
    "about your Dockerfile: grade it again later, or ask whoever runs the grader.",
    environment=True,
)


_FRONTEND_RE = re.compile(r"(?:failed to resolve source metadata for|failed to solve: )\s*(\S*docker/dockerfile[\w.:@-]*)"
                          r"|(\S*docker/dockerfile[\w.:@-]*): failed to (?:resolve|do request|authorize)")


#: How a registry that cannot be reached shows in BuildKit's error (DNS, connection, TLS, authorisation).
_FETCH_FAILED_RE = re.compile(r"failed to (?:resolve source metadata|do request|authorize|fetch)|no such host|"
                              r"dial tcp|connection refused|i/o timeout|TLS handshake|x509:|certificate", re.IGNORECASE)


def unreachable_frontend(text: str, syntax: str | None = None) -> str | None:
    """The Dockerfile frontend image (``docker.io/docker/dockerfile:1``) a BuildKit build could not fetch,
    when ``text`` (its error and log) says so; None otherwise.

    A ``# syntax=`` line makes BuildKit pull that image from a registry before reading the file: on a
    grading machine without one, the build fails before any step, through no fault of the Dockerfile.
    ``syntax`` is the directive's image as written (``ghcr.io/someone/frontend:2``): any frontend, not
    only Docker's, counts when the error names its repository path beside a failure to reach a registry.
    """
    match = _FRONTEND_RE.search(text or "")
    if match:
        return (match.group(1) or match.group(2)).rstrip(":")
    if syntax and text and _FETCH_FAILED_RE.search(text):
        name = syntax.split("@", 1)[0]
        parts = name.split("/")
        if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
            parts = parts[1:]  # the registry's host: BuildKit's error writes it in its own way
        path = "/".join(parts)
        path = path.rsplit(":", 1)[0] if ":" in parts[-1] else path
        if path and path in text:
            return syntax
    return None


_QUOTED_PROCESS_RE = re.compile(r'process "((?:[^"\\]|\\.)*)"')
_GO_ESCAPE_RE = re.compile(r'\\(?:([nt"\\\'])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))')
_GO_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'"}


def _go_unquote(text: str) -> str:
    return _GO_ESCAPE_RE.sub(lambda m: _GO_ESCAPES[m.group(1)] if m.group(1) else chr(int(m.group(2) or m.group(3), 16)),
                             text)


def readable_error(text: str | None) -> str | None:
    """BuildKit's error with the failed command's lines as lines: ``process "/bin/sh -c set -e\\necho hi\\n" did
    not complete`` (Go-quoted, a heredoc's body joined by backslash-n) becomes ``process "/bin/sh -c set -e``,
    ``echo hi" did not complete`` on two lines. A command without a line break and any other text are returned
    unchanged; None stays None.
    """
    if not text:
        return text

    def unquoted(match: re.Match[str]) -> str:
        inner = match.group(1)
        if "\\n" not in inner:
            return match.group(0)
        return 'process "' + _go_unquote(inner).rstrip("\n") + '"'

    return _QUOTED_PROCESS_RE.sub(unquoted, text)


def failing_output(log: str) -> list[str]:
    """The lines the last step of a classic build ``log`` printed (headers and bookkeeping left out).

    ANSI colour codes are removed; the engine's own error line ("The command ... returned a non-zero
    code") is left out (the report shows it as the build's error).
    """
    lines = _ANSI_RE.sub("", log).splitlines()
    start = 0
    for index, line in enumerate(lines):
        if _STEP_RE.match(line.strip()):
            start = index + 1
    return [line.rstrip() for line in lines[start:]
            if line.strip() and not _BOOKKEEPING_RE.match(line) and not _ENGINE_ERROR_RE.match(line.strip())]


def _rank(line: str) -> int:
    if _NOISE_RE.search(line):
        return 0
    return max((rank for rank, pattern in _MARKERS if pattern.search(line)), default=0)


def _marker_at(line: str) -> int:
    """Where the best-ranked marker of ``line`` starts (0 when none)."""
    found = [(rank, match.start()) for rank, pattern in _MARKERS if (match := pattern.search(line)) is not None]
    return max(found, key=lambda pair: (pair[0], -pair[1]))[1] if found else 0


def decisive_lines(lines: list[str], limit: int = MAX_DECISIVE_LINES) -> list[str]:
    """The lines of ``lines`` that explain a failure, with :data:`CONTEXT_BEFORE` line(s) before each, in order.

    Lines are ranked by error markers; the best-ranked ones are taken first (a later line wins a tie:
    the error nearer the end is the one that stopped the step), then shown in log order. Empty when
    no line carries a marker (the caller then falls back to the tail).
    """
    ranked = [(rank, index) for index, line in enumerate(lines) if (rank := _rank(line)) > 0]
    if not ranked:
        return []
    chosen: set[int] = set()
    seen_text: set[str] = set()
    for rank, index in sorted(ranked, key=lambda pair: (-pair[0], -pair[1])):
        text = _VARYING_RE.sub("#", lines[index].strip())  # pip's retries differ only by counters and addresses
        if text in seen_text:
            continue
        # context: the unmarked line(s) just before (a marked one stands or falls by its own rank)
        wanted = {i for i in range(max(0, index - CONTEXT_BEFORE), index)
                  if _rank(lines[i]) == 0 and not _NOISE_RE.search(lines[i])} | {index}
        if len(chosen | wanted) > limit:
            if len(chosen) + 1 > limit:
                break
            wanted = {index}
        chosen |= wanted
        seen_text.add(text)
    return [_shortened(lines[i], at=_marker_at(lines[i])) for i in sorted(chosen)]


def _shortened(line: str, width: int = MAX_LINE_CHARS, at: int = 0) -> str:
    """``line`` cut to ``width`` characters, keeping the text from ``at`` (its marker) in view.

    A compiler's command line, or pip's retry warning, can run to hundreds of characters with the
    telling words at the end.
    """
    if len(line) <= width:
        return line
    start = 0 if at < width // 2 else at - 40
    cut = line[start: start + width - 2]
    return ("…" if start else "") + cut + ("…" if start + width - 2 < len(line) else "")


def diagnose(log: str) -> BuildDiagnosis:
    """The decisive lines of a failed build's ``log`` and its recognised cause (None when unknown).

    A cause the step's own work reveals (pg_config, a missing header, no compiler) wins: a retry
    pip survived earlier does not make a compile error the network's. Otherwise a network failure
    reaching a package index wins over what follows from it (pip finding no matching distribution,
    apt unable to locate a package): neither is the learner's doing.
    """
    output = failing_output(log)
    lines = tuple(decisive_lines(output))
    text = "\n".join(output)
    for pattern, cause in _CAUSES:
        if cause.id != "apt_package" and (match := pattern.search(text)) is not None:
            return BuildDiagnosis(lines, _with_header(cause, match), _evidence(text, match))
    # Only a package manager's own words about its index count: an app that cannot reach its
    # database at build time ("Connection refused") is the learner's to fix.
    index_lines = "\n".join(line for line in output if _NETWORK_RE.search(line) and _INDEX_CONTEXT_RE.search(line))
    if index_lines:
        # A certificate error is the telling cause even on a line of its own (uv's "Caused by: invalid peer
        # certificate: UnknownIssuer" under "Failed to fetch"): quote it rather than the fetch that failed.
        if (match := _NETWORK_WORDS[0].search(text)) is not None:
            return BuildDiagnosis(lines, _NETWORK_CAUSE, _evidence(text, match))
        match = next(m for pattern in (*_NETWORK_WORDS, _NETWORK_RE) if (m := pattern.search(index_lines)) is not None)
        return BuildDiagnosis(lines, _NETWORK_CAUSE, _evidence(index_lines, match))
    for pattern, cause in _CAUSES:
        if cause.id == "apt_package" and (match := pattern.search(text)) is not None:
            return BuildDiagnosis(lines, cause, _evidence(text, match))
    return BuildDiagnosis(lines, None)


def _with_header(cause: Cause, match: re.Match[str]) -> Cause:
    """``cause`` with ``{header}`` in its hint replaced by the header the match names."""
    if "{rules}" in cause.hint:
        return Cause(cause.id, cause.hint.format(rules=" ".join(match.group(1).split()).rstrip(",")), cause.environment)
    if "{header}" not in cause.hint:
        return cause
    header = next((group for group in match.groups() if group and group.endswith(".h")), None)
    header = header or (match.group(1) + ".h" if match.groups() and match.group(1) else "a header")
    return Cause(cause.id, cause.hint.format(header=header), cause.environment)


def _evidence(text: str, match: re.Match[str]) -> str:
    """The rest of the matched line from the match on, cut to 160 characters."""
    start = match.start()
    end = text.find("\n", match.end())
    return _shortened(text[start: end if end >= 0 else len(text)].strip(), 160)
