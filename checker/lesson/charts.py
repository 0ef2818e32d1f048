"""The lessons' charts: image sizes side by side, stacked layers, rebuild times step by step.

Each function returns a closed matplotlib Figure: a notebook shows it by making it the cell's
last expression (or with ``display``), a test can inspect its axes, and nothing is drawn twice.
Sizes are in MB of 1000 * 1000 bytes, the unit `docker images` prints.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

if matplotlib.get_backend().lower() not in {"module://matplotlib_inline.backend_inline", "inline"}:
    try:
        from IPython import get_ipython

        if get_ipython() is None:
            matplotlib.use("Agg")
    except ImportError:  # pragma: no cover - IPython ships with the course environment
        matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from .. import engine
from .layers import Part
from .builds import counted_steps
from .table import human_bytes

MB = 1_000_000

#: One colour per kind of layer, the same in every chart of the course.
CATEGORY_COLOURS = {
    "base image": "#b0b0b0",
    "compilers and headers": "#d62728",
    "run-time library": "#2ca02c",
    "Python packages": "#1f77b4",
    "Python packages + interpreter": "#6baed6",
    "virtualenv itself": "#9467bd",
    "app source": "#ff7f0e",
    "other": "#17becf",
}
MEASURED = "#1f77b4"
PUBLISHED = "#c7c7c7"
CACHED = "#2ca02c"
RAN = "#ff7f0e"


def category(part: Part) -> str:
    """Which kind of content a layer holds, judged from the instruction that made it."""
    text = part.label
    if part.from_base:
        return "base image"
    if "apt-get" in text or "apk add" in text:
        if any(tool in text for tool in ("gcc", "-dev", "build-base")):
            return "compilers and headers"
        return "run-time library"
    if text.startswith("COPY") and text.split()[-1] == "/usr/local":
        return "Python packages + interpreter"
    if "pip install" in text or "COPY --from=builder" in text or text.endswith("/opt/venv"):
        return "Python packages"
    if "venv" in text:
        return "virtualenv itself"
    if text.startswith("COPY"):
        return "app source"
    return "other"


def _finish(fig, ax, title: str) -> plt.Figure:
    ax.set_title(title, loc="left", fontsize=12)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    plt.close(fig)
    return fig


def size_bars(measured: Sequence[tuple[str, int]], published: dict[str, int] | None = None, *,
              title: str = "Image size") -> plt.Figure:
    """Bars of measured sizes, each beside the published figure when there is one.

    ``measured`` is ``(label, bytes)`` pairs in display order; ``published`` maps a label to the
    article's figure in bytes. Bars are drawn in MB (10**6 bytes). Returns a closed Figure.
    """
    published = published or {}
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.75 * len(measured) + (0.5 if published else 0)))
    labels = [label for label, _ in measured]
    height = 0.38 if published else 0.6
    published_labelled = False
    for i, (label, size) in enumerate(measured):
        y = len(measured) - 1 - i
        offset = height / 2 if published else 0
        ax.barh(y + offset, size / MB, height=height, color=MEASURED, label="measured here" if i == 0 else None)
        ax.text(size / MB, y + offset, f" {human_bytes(size)}", va="center", fontsize=9)
        if label in published:
            ax.barh(y - offset, published[label] / MB, height=height, color=PUBLISHED,
                    label=None if published_labelled else "published in the article")
            published_labelled = True
            ax.text(published[label] / MB, y - offset, f" {human_bytes(published[label])} (article)", va="center",
                    fontsize=9, color="#555555")
    ax.set_yticks(range(len(measured)), labels[::-1])
    ax.set_xlabel("MB (1 MB = 1,000,000 bytes)")
    ax.margins(x=0.25)
    if published:
        ax.legend(loc="lower right", frameon=False)
    return _finish(fig, ax, title)


def layer_stack(images: Sequence[tuple[str, Sequence[Part]]], *, title: str = "Where the bytes are") -> plt.Figure:
    """One stacked bar per image, its layers coloured by what they hold (:func:`category`).

    ``images`` is ``(label, parts)`` pairs, parts as :func:`~checker.lesson.layers.breakdown` gives
    them; sizes in MB (10**6 bytes). Returns a closed Figure.
    """
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.7 * len(images)))
    used: list[str] = []
    for i, (label, parts) in enumerate(images):
        y = len(images) - 1 - i
        left = 0.0
        for part in parts:
            kind = category(part)
            if kind not in used:
                used.append(kind)
            width = part.size_bytes / MB
            ax.barh(y, width, left=left, height=0.6, color=CATEGORY_COLOURS[kind], edgecolor="white", linewidth=0.5)
            left += width
        ax.text(left, y, f" {human_bytes(round(left * MB))}", va="center", fontsize=9)
    ax.set_yticks(range(len(images)), [label for label, _ in images][::-1])
    ax.set_xlabel("MB")
    ax.margins(x=0.18)
    handles = [Patch(color=CATEGORY_COLOURS[k], label=k) for k in CATEGORY_COLOURS if k in used]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    return _finish(fig, ax, title)


def layer_bars(parts: Sequence[Part], *, title: str = "Layers") -> plt.Figure:
    """One bar per layer (the base image as one), largest first: the size explorer's view.

    Sizes in MB (10**6 bytes). Returns a closed Figure.
    """
    ordered = sorted(parts, key=lambda p: -p.size_bytes)
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.4 * len(ordered)))
    for i, part in enumerate(ordered):
        y = len(ordered) - 1 - i
        ax.barh(y, part.size_bytes / MB, color=CATEGORY_COLOURS[category(part)], height=0.6)
        ax.text(part.size_bytes / MB, y, " " + human_bytes(part.size_bytes), va="center", fontsize=8)
    ax.set_yticks(range(len(ordered)), [p.label for p in ordered][::-1], fontsize=8)
    ax.set_xlabel("MB")
    ax.margins(x=0.2)
    return _finish(fig, ax, title)


def value_bars(values: Sequence[tuple[str, float]], *, unit: str, title: str, colour: str = MEASURED,
               fmt: str = "{:,.0f}") -> plt.Figure:
    """Plain horizontal bars for any measured quantity (directory sizes, seconds, counts).

    ``values`` is ``(label, value)`` pairs drawn as given; ``unit`` names the axis and ``fmt``
    formats the number printed at each bar's end. Returns a closed Figure.
    """
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.45 * len(values)))
    for i, (label, value) in enumerate(values):
        y = len(values) - 1 - i
        ax.barh(y, value, color=colour, height=0.6)
        ax.text(value, y, " " + fmt.format(value) + f" {unit}", va="center", fontsize=9)
    ax.set_yticks(range(len(values)), [label for label, _ in values][::-1])
    ax.set_xlabel(unit)
    ax.margins(x=0.2)
    return _finish(fig, ax, title)


def rebuild_times(builds: Sequence[tuple[str, engine.BuildResult]], *, title: str = "Rebuild time, step by step",
                  label_over: float = 3.0) -> plt.Figure:
    """One bar per build, a segment per step: green came from the cache, orange ran again.

    ``builds`` is ``(label, BuildResult)`` pairs; segment lengths are the steps' seconds, and a
    step taking at least ``label_over`` seconds is labelled. Returns a closed Figure.
    """
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.7 * len(builds)))
    for i, (label, result) in enumerate(builds):
        y = len(builds) - 1 - i
        left = 0.0
        for step in result.steps:
            if step.seconds <= 0:
                continue
            ax.barh(y, step.seconds, left=left, height=0.6, color=CACHED if step.cached else RAN,
                    edgecolor="white", linewidth=0.5)
            if step.seconds >= label_over and not step.cached:
                words = step.instruction.split()
                short = " ".join(words[1:3] if words[0].upper() == "RUN" else words[:3])
                ax.text(left + step.seconds / 2, y, short, ha="center", va="center", fontsize=8, color="black")
            left += step.seconds
        counted = counted_steps(result.steps)
        reused = sum(1 for s in counted if s.cached)
        ax.text(max(left, result.seconds), y, f" {result.seconds:.1f} s  ({reused} of {len(counted)} steps from cache)",
                va="center", fontsize=9)
    ax.set_yticks(range(len(builds)), [label for label, _ in builds][::-1])
    ax.set_xlabel("seconds")
    ax.margins(x=0.45)
    ax.legend(handles=[Patch(color=CACHED, label="step from cache"), Patch(color=RAN, label="step ran")],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    return _finish(fig, ax, title)
