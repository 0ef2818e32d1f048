"""Views of one :class:`checker.report.Report`, one module per format (the hadolint habit).

Every module has ``render(report) -> str``. :func:`render` picks one by name; :data:`FORMATS`
lists the names the CLI accepts.
"""

from __future__ import annotations

import importlib
import re
import textwrap

from ..dockerfile.history import without_digests
from ..findings import Finding
from ..report import builder_name, cache_summary
from ..units import human_bytes  # noqa: F401  (re-exported for the reporters)

#: Every format :func:`render` knows, one module each.
FORMATS = ("text", "terminal", "json", "junit", "classroom", "html", "markdown", "gnu", "github", "sarif")
#: The formats that also render a lint result (:class:`checker.lint.LintResult`): one located view each.
LOCATED_FORMATS = ("gnu", "github", "sarif")


def render(report, fmt: str) -> str:
    """``report`` (a :class:`checker.report.Report`; for :data:`LOCATED_FORMATS` a lint result too) in format ``fmt``.

    Raises :class:`ValueError` for an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"{__name__}.{fmt}")
    return module.render(report)


_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text) -> str:
    """Text a learner's build printed, made safe to show: ANSI escapes and control characters removed."""
    return _CONTROL_RE.sub("", _ANSI_RE.sub("", str(text if text is not None else "")))


def points(value: float) -> str:
    """Points as a learner reads them: ``3`` for 3.0, ``2.5`` for 2.5."""
    return f"{value:g}"


def where(finding: Finding) -> str:
    """``line N`` for a finding; ``line 1`` for a file-level one (its :attr:`~checker.findings.Finding.shown_message`
    carries the note), the convention every format shares."""
    return f"line {finding.shown_line}"


def mark(check) -> str:
    """The state a check's row shows: ``not judged``, ``advice`` (0 points, not required), ``pass`` or ``fail``.

    ``check`` is a :class:`checker.report.CheckResult`. A check that was not judged is never shown as a pass
    beside 0 points nor as a failure; an advice row is never shown as a tick.
    """
    if check.not_judged is not None:
        return "not judged"
    if check.advice:
        return "advice"
    return "pass" if check.passed else "fail"


def result_text(check) -> str:
    """What a check's row says: ``not judged: <why>`` (then whether it holds on its own or what was found, when that
    adds anything), else the message."""
    if check.not_judged is None:
        return check.message
    said = f"not judged: {check.not_judged}"
    if getattr(check, "machine_fault", False):
        said += " (the grading machine's fault: left out of the score and the maximum)"
    if check.passed:
        return f"{said} (on its own it finds no problem)"
    return said if check.message.startswith("Not checked") else f"{said} ({check.message})"


def failed_at(build, width: int = 100) -> str:
    """Where a failed build stopped, in one line: ``line 7: RUN apt-get update && ...`` (the
    instruction's runs of spaces collapsed, cut at ``width`` characters), ``line 7`` or ``""`` when
    the builder did not say. A step written on several lines (a heredoc) gives its first line and
    how many lines it has (``line 3: RUN <<EOF … (5 lines)``); :func:`step_lines` gives them all."""
    first, *more = (build.failed_step or "").splitlines() or [""]
    step = " ".join(first.split())
    if len(step) > width:
        step = step[: width - 1] + "…"
    if more and step:
        step += f" … ({len(more) + 1} lines)"
    line = getattr(build, "failed_line", None)
    return f"line {line}: {step}" if line and step else (f"line {line}" if line else step)


def step_lines(build) -> list[str]:
    """The failing step's lines as the Dockerfile writes them, when it spans several (a heredoc, see
    :func:`checker.grading.summary.written_step`); ``[]`` for a one-line step, or none."""
    lines = (build.failed_step or "").splitlines()
    return [line.rstrip() for line in lines] if len(lines) > 1 else []


def build_tail(build) -> list[str]:
    """The failing step's last lines worth reading after the lines that explain it.

    ``build`` is a :class:`checker.report.BuildSummary`. Lines already shown (the engine's error, the lines
    that explain it) and lines repeated in the tail are left out; runs of blank lines become one, and none
    starts or ends the list. Empty when the tail adds nothing.
    """
    seen = {line.strip() for line in [*build.error_lines, build.error or ""] if line.strip()}
    kept: list[str] = []
    for line in build.log_tail.splitlines():
        key = line.strip()
        if not key:
            if kept and kept[-1]:
                kept.append("")
            continue
        if key in seen:
            continue
        seen.add(key)
        kept.append(line.rstrip())
    while kept and not kept[-1]:
        kept.pop()
    return kept


def sanitized(report):
    """A copy of ``report`` whose learner-influenced text (messages, build output) is :func:`clean`."""
    import copy

    safe = copy.deepcopy(report)
    safe.verdict = clean(safe.verdict)
    safe.error = clean(safe.error) if safe.error is not None else None
    for check in safe.checks:
        check.message = clean(check.message)
        check.not_judged = clean(check.not_judged) if check.not_judged is not None else None
    if safe.build is not None:
        safe.build.error = clean(safe.build.error) if safe.build.error is not None else None
        safe.build.failed_step = clean(safe.build.failed_step) if safe.build.failed_step is not None else None
        safe.build.log_tail = clean(safe.build.log_tail)
        safe.build.error_lines = [clean(line) for line in safe.build.error_lines]
    if safe.image is not None:
        safe.image.base_image = clean(safe.image.base_image) if safe.image.base_image is not None else None
        for layer in safe.image.layers:
            layer.created_by = clean(layer.created_by)
            layer.instruction = clean(layer.instruction) if layer.instruction is not None else None
        for wasted in safe.image.wasted_files:
            for key in ("path", "added_by", "removed_by"):
                wasted[key] = clean(wasted.get(key, ""))
    for finding in safe.findings:
        object.__setattr__(finding, "message", clean(finding.message))
    return safe


def shown_findings(report) -> list[tuple[Finding, str]]:
    """Every error and warning finding of ``report``, each with how this rubric scores it, by line.

    Returns ``(finding, scoring)`` pairs, where ``scoring`` is ``"scored by LPI014"`` (a rubric check of
    that id), ``"scored by hadolint"`` (a hadolint check whose ``fail_on`` holds that severity) or
    ``"not scored by this rubric"``. Every human-facing format shows these, scored or not: an error
    the rubric does not count is still an error.
    """
    ids = {check.id for check in report.checks}
    hadolint = [check for check in report.checks if check.kind == "hadolint"]
    shown = []
    for finding in sorted((f for f in report.findings if f.blocking), key=lambda f: f.sort_key()):
        if finding.rule in ids:
            scoring = f"scored by {finding.rule}"
        elif finding.source == "hadolint" and any(
                finding.severity in (check.details.get("fail_on") or ["error"]) for check in hadolint):
            scoring = "scored by hadolint"
        else:
            scoring = "not scored by this rubric"
        shown.append((finding, scoring))
    return shown


def unscored_findings(report) -> list[Finding]:
    """The error and warning findings of ``report`` no rubric check scores (see :func:`shown_findings`)."""
    return [finding for finding, scoring in shown_findings(report) if scoring.startswith("not scored")]
def builders_offered(names) -> str:
    """The builders an engine offers, as a reader says them: ``classic, BuildKit (through the buildx plugin)``.

    ``names`` are :attr:`checker.engine.EngineInfo.builders` (``classic``, ``buildkit``, and ``buildx``
    when the buildx CLI plugin that drives BuildKit was found here: a client, said as such); ``?`` for none.
    """
    offered = list(names)
    text = ", ".join({"classic": "classic", "buildkit": "BuildKit"}.get(name, name) for name in offered
                     if name != "buildx") or "?"
    if "buildx" in offered:
        text += " (through the buildx plugin)"
    return text


def engine_line(facts: dict | None, *, builder: bool = True) -> str:
    """The engine's measured facts in one sentence (``""`` when the report has none).

    ``Engine: Docker 28.5.2 (API 1.51), image store containerd (snapshotter overlayfs); builders offered:
    classic, BuildKit (through the buildx plugin); graded with BuildKit.`` The builder is the one the facts name (the grading pipeline
    puts the build's own there); without one, or with ``builder`` False (a view that says it in
    :func:`build_line`), the sentence names none.
    """
    if not facts:
        return ""
    store = facts.get("image_store") or facts.get("storage_driver") or "?"
    if facts.get("snapshotter"):
        store += f" (snapshotter {facts['snapshotter']})"
    builders = builders_offered(facts.get("builders") or ())
    graded = f"; graded with {builder_name(facts['builder'])}" if builder and facts.get("builder") else ""
    return (f"Engine: Docker {facts.get('version') or facts.get('server_version') or '?'} "
            f"(API {facts.get('api_version') or '?'}), image store {store}; builders offered: {builders}{graded}.")


def build_line(report) -> str:
    """The build in one sentence, with the builder that ran it (``""`` when no build started):
    ``Built with BuildKit in 42.0 s (6 of 15 steps from cache).``, or ``Builder: BuildKit (the build failed).``

    The builder is the build's own (:attr:`checker.report.BuildSummary.builder`), and the steps are counted as
    everywhere in the course (:func:`checker.report.counted_steps`). A view showing it shows the engine's facts
    with ``engine_line(..., builder=False)`` beside it, so each fact is said once.
    """
    build = report.build
    if build is None:
        return ""
    note = f" {build.frontend_note}" if getattr(build, "frontend_note", None) else ""
    if build.ok:
        return f"Built with {builder_name(build.builder)} in {build.seconds:.1f} s ({cache_summary(build.steps)}).{note}"
    return f"Builder: {builder_name(build.builder)} (the build failed).{note}"


def layer_rows(image) -> list[tuple[str, int]]:
    """The image's layers as a learner reads them, oldest first: ``(label, size in bytes)``.

    ``image`` is a :class:`checker.report.ImageSummary`. The base image's layers are one row (``base image
    python:3.13-slim: 3 layers``); each later layer is named by the Dockerfile line that made it
    (:attr:`checker.report.LayerSummary.instruction`), else by its history entry without content digests
    (``COPY dir:… in .``). Empty layers (``ENV``, ``WORKDIR`` of an existing folder) are left out.
    """
    rows: list[tuple[str, int]] = []
    base = max(0, min(getattr(image, "base_layers", 0) or 0, len(image.layers)))
    if base:
        name = f"base image {image.base_image}" if getattr(image, "base_image", None) else "base image"
        rows.append((f"{name}: {base} layer{'s' if base != 1 else ''}",
                     sum(layer.size_bytes for layer in image.layers[:base])))
    for layer in image.layers[base:]:
        if layer.size_bytes:
            rows.append((getattr(layer, "instruction", None) or without_digests(layer.created_by), layer.size_bytes))
    return rows


def engine_size_note(image, facts: dict | None = None) -> str:
    """The engine's own figure for the image (``docker image inspect``'s ``Size``), named, when it differs
    from ours by over 1 %.

    ``facts`` is the report's ``engine`` (its ``image_store`` says why the figures differ). ``""`` otherwise.
    On the containerd image store ``Size`` counts the stored layer blobs (mostly compressed), and the size
    column of ``docker images`` there adds the unpacked snapshots (seen with Docker 28: 357 MB listed for
    an image of 186 MB of files and 149 MB of blobs), so neither is ours.
    """
    own = getattr(image, "engine_size_bytes", None)
    if own is None or not image.size_bytes or abs(own - image.size_bytes) <= image.size_bytes / 100:
        return ""
    if (facts or {}).get("image_store") == "containerd":
        why = ("on the containerd image store that counts the stored layer blobs (mostly compressed), and "
               "`docker images` there shows more (the blobs plus the unpacked snapshots)")
    else:
        why = "it is measured differently"
    return (f"docker image inspect on this engine gives {human_bytes(own)}: {why}; "
            "ours is the files' uncompressed size, the same on every engine")


def _shortened(text: str, width: int = 70) -> str:
    """``text`` on one line, at most ``width`` characters, cut between words with `` …`` when cut."""
    short = textwrap.shorten(text, width, placeholder=" …")
    if short.strip("… ") == "":  # one word longer than width
        short = " ".join(text.split())[:width - 1] + "…"
    return short


def wasted_lines(image, limit: int = 5) -> list[str]:
    """The largest hidden files, one line each: ``12.3 MB /path (added by `...`, hidden by `...`)``.

    Each layer is named as :func:`layer_rows` names it: the Dockerfile line that made it, or ``the base image
    python:3.13-slim`` for one of the base image's layers, else its history entry without digests.
    """
    def made_by(index, recorded: str) -> str:
        layers = getattr(image, "layers", None) or []
        base = getattr(image, "base_layers", 0) or 0
        if isinstance(index, int) and 0 <= index < len(layers):
            if index < base:
                return "the base image" + (f" {image.base_image}" if getattr(image, "base_image", None) else "")
            if getattr(layers[index], "instruction", None):
                return f"`{_shortened(layers[index].instruction)}`"
        return f"`{_shortened(without_digests(recorded))}`"

    lines = []
    for wasted in (getattr(image, "wasted_files", None) or [])[:limit]:
        lines.append(f"{human_bytes(wasted['size_bytes'])} {wasted['path']} "
                     f"(added by {made_by(wasted.get('added_by_layer'), wasted['added_by'])}, "
                     f"hidden by {made_by(wasted.get('removed_by_layer'), wasted['removed_by'])})")
    return lines
