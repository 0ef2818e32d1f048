"""Everything the lesson notebooks use, in one import: ``from checker import lesson``.

Each idea lives in its own module of this package; ``__init__`` only gathers them and adds the
few small helpers that belong to no single idea (the environment summary, pull-time arithmetic,
showing a Dockerfile, the article's comparison table). The grader never imports this package.

===========================  ==================================================================
module                       idea
===========================  ==================================================================
``lesson.variants``          the Dockerfiles the lessons build, assembled from shared pieces
``lesson.context``           a build context as `docker build` sends it (.dockerignore applied)
``lesson.builds``            build with visible progress, tag ``lpi-lesson/<name>``, keep as cache
``lesson.progress``          the progress bar and status line a build updates step by step
``lesson.probe``             run a shell snippet inside an image and read its output
``lesson.health``            start an image and watch the engine's HEALTHCHECK status settle
``lesson.layers``            attribute an image's bytes to its base and to each added layer
``lesson.charts``            matplotlib: sizes side by side, stacked layers, rebuild times
``lesson.quiz``              self-checks with immediate feedback
``lesson.quizzes``           the lessons' self-checks, out of the learner's sight
``lesson.registry``          the one named catalogue self-checks and predictions are registered in
``lesson.predictions``       predict, then measure: a guess locked in before a build, answered after
``lesson.cli``               the Docker CLI command beside each helper call ("Same in a terminal")
``lesson.explorers``         the size explorer and the layer-cache explorer (ipywidgets)
``lesson.pypi``              which packages have wheels for a platform, asked live of the index
``lesson.article``           the figures the multi-stage builds article (course seed) published
``lesson.turns``             "your turn": a lesson's faulty Dockerfile to edit, built and commented on
``lesson.table``             small tables (HTML in Jupyter, text elsewhere) and unit formatting
``lesson.exercise``          the exercise notebooks' panel: check, hints, solution (not imported
                             here: ``from checker.lesson.exercise import exercise_panel``)
===========================  ==================================================================

The table of contents of ``notebooks/`` is built by ``scripts/update_lesson_toc.py``: it only
writes documentation, so it is not part of what a learner's kernel imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import engine, images
from . import article, cli
from . import pypi
from .. import settings as course_settings
from .builds import LessonImage, build, build_variant, discard, lesson_tag
from .charts import layer_bars, layer_stack, rebuild_times, size_bars, value_bars
from .context import SAMPLE_APP_DIR, add_developer_clutter, context_size, stage, temporary_context
from .explorers import CacheExplorer, SizeExplorer, lesson_images, parts_of
from .health import HealthWatch, watch_health
from .layers import Part, breakdown, breakdown_table, measured
from .probe import ProbeResult, parse_numbers, run_in
from .quiz import Quiz, self_test
from .predictions import Prediction, prediction
from .quizzes import self_check
from .table import Table, human_bytes, human_seconds
from .variants import VARIANTS, Variant, variant
from .turns import your_turn
from .terminal import Terminal, terminal
from ..reporters import builders_offered

__all__ = [
    "CacheExplorer", "HealthWatch", "LessonImage", "Terminal", "builders_offered", "terminal", "Part", "Prediction", "ProbeResult", "Quiz", "SAMPLE_APP_DIR", "SizeExplorer", "Table",
    "VARIANTS", "Variant", "add_developer_clutter", "article", "base_images", "breakdown", "breakdown_table",
    "build", "build_variant", "cli", "comparison_table", "context_size", "discard", "dockerfile", "environment",
    "human_bytes", "human_seconds", "layer_bars", "layer_stack", "lesson_images", "lesson_tag", "measured", "parse_numbers",
    "parts_of", "prediction", "pull_seconds", "pypi", "rebuild_times", "run_in", "self_check", "self_test", "settings", "size_bars", "stage",
    "temporary_context", "value_bars", "variant", "watch_health", "without_host_files", "your_turn",
]

settings = course_settings.load()


@dataclass(frozen=True)
class Environment:
    """The engine and the course's base images at one moment (see :func:`environment`)."""

    engine: engine.EngineInfo
    base_images: list[images.BaseImage]

    def image(self, ref: str) -> images.BaseImage:
        """The base image whose reference is ``ref``; raises ``KeyError`` when the course has none."""
        for base in self.base_images:
            if base.ref == ref:
                return base
        raise KeyError(ref)


def environment() -> Environment:
    """The engine and the course's base images as they are right now (changes nothing)."""
    return Environment(engine.info(), [images.describe(ref) for ref in settings.course_images])


def base_images(env: Environment | None = None) -> Table:
    """One row per course base image: present or not, official or stand-in, size (bytes, shown human).

    ``env`` is a snapshot from :func:`environment`; without one, the engine is asked now.
    """
    env = env or environment()
    table = Table(["image", "present", "kind", "size", "what it is"], formats={"size": human_bytes})
    for base in env.base_images:
        kind = "stand-in" if base.standin else ("official" if base.available else "missing")
        table.add(image=base.ref, present="yes" if base.available else "no", kind=kind, size=base.size_bytes,
                  **{"what it is": without_host_files(base.detail)})
    return table


without_host_files = images.without_host_files


def pull_seconds(size_bytes: int, mbit_per_s: float) -> float:
    """Seconds to move ``size_bytes`` over a link of ``mbit_per_s`` megabits per second (no overhead)."""
    return size_bytes * 8 / (mbit_per_s * 1_000_000)


class _Dockerfile:
    def __init__(self, text: str, title: str = "") -> None:
        self.text, self.title = text, title

    def _repr_markdown_(self) -> str:
        heading = f"**{self.title}**\n\n" if self.title else ""
        return f"{heading}```dockerfile\n{self.text.rstrip()}\n```"

    def __repr__(self) -> str:
        return (f"# {self.title}\n" if self.title else "") + self.text


def dockerfile(name_or_text: str, title: str | None = None) -> _Dockerfile:
    """Show a lesson variant's Dockerfile (by name) or any Dockerfile text, highlighted."""
    if name_or_text in VARIANTS:
        spec = variant(name_or_text)
        return _Dockerfile(spec.dockerfile(), title or f"{spec.label} (lesson variant `{spec.name}`)")
    return _Dockerfile(name_or_text, title or "")


def comparison_table(built: dict[str, LessonImage | None]) -> Table:
    """The article's comparison table with our measurement beside each published figure.

    ``built`` maps variant names to lesson images; a missing or None entry is reported as not
    built here, with the reason when it is a missing base image.
    """
    table = Table(["approach (article)", "published", "measured here", "here / published", "notes"],
                  formats={"published": human_bytes, "measured here": human_bytes,
                           "here / published": lambda r: f"{r:.2f}"},
                  caption=f"Published figures: {article.SOURCE}. Measured: this engine, just now.")
    for row in article.COMPARISON:
        image = built.get(row.variant)
        spec = variant(row.variant)
        notes = [row.note] if row.note else []
        measured = image.size_bytes if image is not None and image.ok else None
        if measured is None:
            base_ref = spec.base_ref(settings)
            notes.append(f"not built: {base_ref} is not on this engine" if not engine.image_exists(base_ref)
                         else "not built in this notebook")
        else:
            base = images.describe(spec.base_ref(settings))
            notes.append(f"Python {settings.python_version} on a {'stand-in' if base.standin else 'official'} {base.ref}")
        table.add(**{"approach (article)": row.approach, "published": row.size_bytes, "measured here": measured,
                     "here / published": (measured / row.size_bytes) if measured else None, "notes": "; ".join(notes)})
    return table
