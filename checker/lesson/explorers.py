"""Two interactive explorers: the sizes of the images built so far, and the layer cache.

:class:`SizeExplorer` lists the lesson images on the engine; choosing one draws its layers.
:class:`CacheExplorer` lets the learner pick the instruction order and the file that changed,
predict which steps will run again, then runs a *real* build and marks each prediction right or
wrong; changing the order, the file or a prediction clears the last result. Both keep their last
result in attributes (``parts``, ``figure``, ``outcome``) and expose their callbacks as methods, so
the tests can drive them headless and assert on the result (the lessons leave them to the learner).
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w

from .. import engine
from ..engine.bkstatus import NODE_KEYWORDS
from .. import settings as course_settings
from . import cli
from .turns import NAME_PREFIX as YOUR_TURN
from .builds import KEEP_VALUE, LABEL_VARIANT, STAGE_SEPARATOR, LessonImage, build, build_variant, discard
from .charts import layer_bars
from .layers import Part, breakdown, breakdown_table, measured
from .table import Table, human_bytes, human_seconds
from .variants import VARIANTS, variant


def _show(output: w.Output, *objects) -> None:
    from IPython.display import display

    with output:
        for obj in objects:
            display(obj)


# ----------------------------------------------------------------------------------------------
# sizes


def lesson_images(*, show: bool = True) -> dict[str, engine.ImageInfo]:
    """The kept lesson images on this engine, by variant name (throwaway builds, the learner's "your
    turn" images and stage images built only to measure a stage left out), sized as the grader sizes them (:func:`~checker.lesson.layers.measured`).
    With ``show``, the equivalent ``docker image ls --filter label=...`` is shown first."""
    label = f"{course_settings.LABEL_KEEP}={KEEP_VALUE}"
    if show:
        cli.display_command(cli.image_ls(label=label))
    found = {}
    for info in engine.list_images(label):
        name = info.labels.get(LABEL_VARIANT)
        if (name and info.tags and not any("-throwaway" in tag for tag in info.tags) and not name.startswith(YOUR_TURN)
                and STAGE_SEPARATOR not in name):
            found[name] = measured(info, show=False)
    order = list(VARIANTS)
    return dict(sorted(found.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))


def parts_of(name: str, info: engine.ImageInfo, *, show: bool = True) -> list[Part]:
    """:func:`~checker.lesson.layers.breakdown` of lesson image ``info`` (variant ``name``).

    The variant's base image is looked up on the engine so its layers count as one part, and each
    added layer is named by the variant's Dockerfile line; an image that is no lesson variant, or
    whose base is absent, is broken down layer by layer under the engine's names. With ``show``, the
    equivalent ``docker history`` is shown first.
    """
    if show:
        cli.display_command(cli.history(info.tags[0] if info.tags else info.id))
    base_ref = variant(name).base_ref() if name in VARIANTS else None
    base = measured(engine.image_info(base_ref), show=False) if base_ref and engine.image_exists(base_ref) else None
    if len(info.layers) != len(info.diff_ids):
        info = measured(info, show=False)
    return breakdown(info, base, dockerfile=variant(name).dockerfile() if name in VARIANTS else None)


class SizeExplorer:
    """Pick a lesson image, see what each of its layers weighs."""

    def __init__(self, images: Iterable[LessonImage] | None = None) -> None:
        if images is None:
            self.images = lesson_images(show=False)
        else:
            self.images = {image.name: measured(image.info, show=False) for image in images if image.info is not None}
        self.labels = {name: (VARIANTS[name].label if name in VARIANTS else name) for name in self.images}
        self.dropdown = w.Dropdown(
            options=[(f"{self.labels[name]}  ({human_bytes(info.size_bytes)})", name) for name, info in self.images.items()],
            value=None, description="Image:", layout=w.Layout(width="60%"),
        )
        self.output = w.Output()
        self.selected: str | None = None
        self.parts: list[Part] = []
        self.figure: Any = None
        self.dropdown.observe(self._changed, names="value")
        self.box = w.VBox([self.dropdown, self.output])

    def _changed(self, change) -> None:
        if change["new"] is not None:
            self.render(change["new"])

    def show(self, name: str) -> None:
        """Select ``name`` in the dropdown (which draws it, as a click would)."""
        if name not in self.images:
            raise KeyError(f"{name!r} is not among the images built so far: {', '.join(self.images) or 'none'}")
        if self.dropdown.value == name:
            self.render(name)
        else:
            self.dropdown.value = name

    def render(self, name: str) -> None:
        """Draw image ``name``'s layer chart and table in the output area; raises ``KeyError`` if unknown."""
        info = self.images[name]
        self.selected = name
        self.parts = parts_of(name, info, show=False)
        self.figure = layer_bars(self.parts, title=f"{self.labels[name]}: {human_bytes(info.size_bytes)} in layers")
        self.output.clear_output(wait=True)
        _show(self.output, cli.history(info.tags[0] if info.tags else info.id), self.figure, breakdown_table(self.parts))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)


# ----------------------------------------------------------------------------------------------
# the layer cache


ORDERS = {
    "right order: requirements.txt, install, then the source": "multi-stage",
    "wrong order: all the source, then install": "wrong-order",
}
CHANGES = {
    "main.py (the app's code)": "main.py",
    "requirements.txt (one comment line added)": "requirements.txt",
    "README.md (listed in .dockerignore)": "README.md",
    "nothing": None,
}


def instructions(dockerfile: str) -> list[str]:
    """The instructions of a Dockerfile, one per build step, continuation lines joined."""
    steps, current = [], ""
    for raw in dockerfile.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1].rstrip() + " "
            continue
        steps.append(" ".join((current + line).split()))
        current = ""
    return steps


@dataclass
class Prediction:
    """One cached step of a cache-explorer run: what the learner predicted and what the build did."""

    number: int
    instruction: str
    predicted: bool
    rebuilt: bool
    seconds: float

    @property
    def right(self) -> bool:
        """Whether the prediction (runs again or not) matched the build."""
        return self.predicted == self.rebuilt


@dataclass
class CacheOutcome:
    """A cache-explorer run: the Dockerfile order, the file changed (None: nothing), one row per step."""

    order: str
    changed: str | None
    rows: list[Prediction] = field(default_factory=list)
    build: LessonImage | None = None

    @property
    def correct(self) -> bool:
        """Whether every prediction was right."""
        return all(row.right for row in self.rows)

    @property
    def rebuilt(self) -> list[str]:
        """The instructions of the steps that ran again."""
        return [row.instruction for row in self.rows if row.rebuilt]

    @property
    def mismatches(self) -> list[Prediction]:
        """The rows where the prediction was wrong."""
        return [row for row in self.rows if not row.right]

    def table(self) -> Table:
        """The predictions beside what the build did, one row per step, with seconds and ✓/✗."""
        table = Table(["step", "instruction", "you predicted", "the build did", "seconds", "✓"],
                      formats={"seconds": lambda s: f"{s:.1f}"})
        for row in self.rows:
            table.add(step=row.number, instruction=row.instruction[:70],
                      **{"you predicted": "runs again" if row.predicted else "from cache",
                         "the build did": "ran again" if row.rebuilt else "from cache",
                         "✓": "✓" if row.right else "✗"}, seconds=row.seconds)
        return table


class CacheExplorer:
    """Choose an order and a changed file, predict the steps that run again, then build for real."""

    def __init__(self, builder: str | None = None) -> None:
        self.builder = builder or engine.choose_builder(course_settings.load()).name
        """The builder the rebuilds use (``buildkit`` or ``classic``; by default the one ``docker build``
        uses on this engine): it decides which instructions are steps. Raises EngineUnavailable
        without an engine when it is not given."""
        self.order = w.Dropdown(options=list(ORDERS), description="Dockerfile:", layout=w.Layout(width="70%"),
                                style={"description_width": "initial"})
        self.change = w.Dropdown(options=list(CHANGES), description="File changed:", layout=w.Layout(width="70%"),
                                 style={"description_width": "initial"})
        self.checks_box = w.VBox()
        self.checkboxes: dict[int, w.Checkbox] = {}
        self.button = w.Button(description="Build and check my prediction", button_style="primary",
                               layout=w.Layout(width="max-content"))
        self.output = w.Output()
        self.outcome: CacheOutcome | None = None
        self.order.observe(lambda _c: self._make_checkboxes(), names="value")
        self.change.observe(self._inputs_changed, names="value")
        self.button.on_click(lambda _b: self.run())
        self._make_checkboxes()
        self.box = w.VBox([
            self.order, self.change,
            w.HTML("<b>Tick every step you expect to run again</b> (untick: it comes from the cache):"),
            self.checks_box, self.button, self.output,
        ])

    def steps(self) -> list[tuple[int, str]]:
        """``(step number, instruction)`` of the chosen Dockerfile's cacheable steps: no ARG, no FROM, and
        with BuildKit only the instructions it runs as steps (RUN, COPY, ADD, WORKDIR; the others only
        change the image's settings)."""
        text = variant(ORDERS[self.order.value]).dockerfile()
        kept = [(number, instruction) for number, instruction in enumerate(instructions(text), start=1)
                if not instruction.upper().startswith(("ARG ", "FROM "))]
        if self.builder == "buildkit":
            kept = [(number, instruction) for number, instruction in kept
                    if instruction.split(" ", 1)[0].upper() in NODE_KEYWORDS]
        return kept

    def _make_checkboxes(self) -> None:
        self.checkboxes = {
            number: w.Checkbox(value=False, description=f"step {number}: {instruction}", indent=False,
                               layout=w.Layout(width="95%"))
            for number, instruction in self.steps()
        }
        for box in self.checkboxes.values():
            box.observe(self._inputs_changed, names="value")
        self.checks_box.children = list(self.checkboxes.values())
        self._inputs_changed()

    def _inputs_changed(self, _change=None) -> None:
        """A new order, file or prediction: the last result no longer answers it, so it goes."""
        self.outcome = None
        self.output.clear_output()

    def choose(self, *, order: str | None = None, changed: str | None = "unset") -> None:
        """Select the Dockerfile order (a key of ORDERS or 'right'/'wrong') and the changed file."""
        if order is not None:
            self.order.value = next(key for key in ORDERS if key == order or key.startswith(order))
        if changed != "unset":
            self.change.value = next(key for key, value in CHANGES.items() if key == changed or value == changed)

    def predict(self, *, rebuilt: Iterable[int] = ()) -> None:
        """Tick exactly the steps (by number) predicted to run again."""
        chosen = set(rebuilt)
        unknown = chosen - set(self.checkboxes)
        if unknown:
            raise KeyError(f"no cacheable step numbered {sorted(unknown)}; steps are {sorted(self.checkboxes)}")
        for number, box in self.checkboxes.items():
            box.value = number in chosen

    def run(self) -> CacheOutcome:
        """The button's callback: make sure the unchanged image is cached, rebuild with the change, compare."""
        name = ORDERS[self.order.value]
        changed = CHANGES[self.change.value]
        predicted = {number for number, box in self.checkboxes.items() if box.value}
        self.output.clear_output()
        from IPython.display import display

        with self.output:
            display(w.HTML("First the unchanged Dockerfile, so the cache holds every layer:"))
            build_variant(name)
            note = f"Now the same build after editing <code>{html.escape(changed)}</code>:" if changed else \
                "Now the same build again, nothing edited:"
            display(w.HTML(note))
            edits = {changed: f"\n# edited in the cache explorer ({uuid.uuid4().hex[:8]})\n"} if changed else None
            spec = variant(name)
            rebuilt_image = build(name, spec.dockerfile(), label=f"{spec.label}, after the edit",
                                  base_ref=spec.base_ref(), edits=edits, throwaway=True)
        steps = {step.number: step for step in rebuilt_image.steps}
        rows = [Prediction(number, instruction, number in predicted,
                           not steps[number].cached if number in steps else False,
                           steps[number].seconds if number in steps else 0.0)
                for number, instruction in self.steps()]
        outcome = CacheOutcome(self.order.value, changed, rows, rebuilt_image)
        discard(rebuilt_image)
        self.outcome = outcome
        right = sum(row.right for row in rows)
        verdict = ("<b style='color:#2ca02c'>All your predictions were right.</b>" if outcome.correct else
                   f"<b style='color:#d62728'>{len(rows) - right} of {len(rows)} predictions were off</b> "
                   "(marked ✗): the build, not the guess, is right.")
        _show(self.output, w.HTML(f"{verdict} Rebuild took {human_seconds(rebuilt_image.seconds)}."), outcome.table())
        return outcome

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)

