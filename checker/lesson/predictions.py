"""Predict, then measure: the learner commits to a guess before a lesson's main build, and the
measurement answers it afterwards.

A lesson shows ``prediction = lesson.prediction("bone-size")`` before the build and
``prediction.reveal(bone.size_bytes)`` after it. The question, the options and how a measurement
settles them are defined here, out of the learner's sight (as the self-checks are in
:mod:`checker.lesson.quizzes`). A prediction is either a choice among a few answers or a number
(megabytes, for a size); the learner locks it in with a button, which freezes it. The reveal shows
the measured fact and, once a prediction is locked in, how it compares; locking in later still
updates it. Nothing here answers for the learner: Run All leaves every prediction open. The tests
drive them with :meth:`Prediction.choose` and :meth:`Prediction.lock_in` (see
``tests/notebooks/test_self_checks.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from .quiz import inline_markdown, plain_text
from .registry import Registry
from .table import human_bytes

#: A guess within this factor of the measurement (either way) counts as close.
CLOSE_FACTOR = 1.5


@dataclass(frozen=True)
class Verdict:
    """How a locked-in prediction compares with the measurement."""

    right: bool
    """Whether the prediction holds (the right option, or a number within :data:`CLOSE_FACTOR`)."""
    text: str
    """One sentence for the learner (Markdown inline marks allowed)."""


class Prediction:
    """A question asked before a build and answered by its measurement.

    ``options`` makes it a choice, ``settle(*measured) -> (index of the right option, sentence)``;
    without options it asks for a number in ``unit`` (``"MB"``: compared with a size in bytes),
    and ``settle(size_bytes) -> sentence`` explains the measurement.
    """

    def __init__(self, question: str, *, options: Sequence[str] = (), unit: str = "MB",
                 settle: Callable[..., Any]) -> None:
        self.question = question
        self.options = list(options)
        self.unit = unit
        self.settle = settle
        self.locked: Any = None
        """The locked-in answer: an option's text, or a number; None until the learner locks one in."""
        self.measured: tuple[Any, ...] | None = None
        """What :meth:`reveal` was given (None: not measured here, or not revealed yet)."""
        self.revealed = False
        self.verdict: Verdict | None = None
        if self.options:
            self.input: w.Widget = w.RadioButtons(options=[(plain_text(o), o) for o in self.options], value=None,
                                                  layout=w.Layout(width="max-content"))
        else:
            self.input = w.FloatText(value=0.0, description=unit, layout=w.Layout(width="14em"),
                                     style={"description_width": "initial"})
        self.button = w.Button(description="Lock in my prediction", button_style="primary", icon="lock",
                               layout=w.Layout(width="max-content"))
        self.status = w.HTML("")
        self.button.on_click(lambda _button: self.lock_in())
        self.box = w.VBox([w.HTML(f"<b>Predict first.</b> {inline_markdown(question)}"), self.input, self.button,
                           self.status])
        self.answer = w.HTML("")

    def choose(self, value: int | str | float) -> None:
        """Put ``value`` in the input as a learner would (an option's text or index, or a number)."""
        if self.options:
            self.input.value = self.options[value] if isinstance(value, int) else value
        else:
            self.input.value = float(value)

    def lock_in(self) -> bool:
        """The button's callback: freeze the current input as the prediction; False if there is none yet."""
        value = self.input.value
        if value is None or (not self.options and value <= 0):
            self.status.value = "<span style='color:#555'>Make a prediction first.</span>"
            return False
        self.locked = value
        self.input.disabled = self.button.disabled = True
        self.status.value = "Locked in. The measurement after the build will answer it."
        self._update()
        return True

    def reveal(self, *measured: Any) -> Answer:
        """Give the measurements that answer the question; returns the answer to show (it follows a later lock-in).

        A number question takes one size in bytes (when ``unit`` is ``"MB"``); a choice takes what
        its ``settle`` needs. ``reveal(None)`` says the lesson could not measure it here.
        """
        self.measured = None if measured in ((), (None,)) else measured
        self.revealed = True
        self._update()
        return Answer(self)

    def _update(self) -> None:
        if not self.revealed:
            return
        if self.measured is None:
            self.verdict = None
            self.answer.value = "Not measured here (see above why), so there is nothing to compare with."
            return
        if self.options:
            index, explanation = self.settle(*self.measured)
            right_option = self.options[index]
            fact = f"Measured: *{plain_text(right_option)}*. {explanation}"
            self.verdict = None if self.locked is None else Verdict(
                self.locked == right_option,
                "Your prediction holds." if self.locked == right_option else
                f"You predicted *{plain_text(self.locked)}*.")
        else:
            size = self.measured[0]
            explanation = self.settle(size)
            fact = f"Measured: **{human_bytes(size)}**. {explanation}"
            self.verdict = None if self.locked is None else _number_verdict(float(self.locked), size)
        if self.verdict is None:
            self.answer.value = f"{inline_markdown(fact)} <i>(Lock in a prediction above to compare.)</i>"
        else:
            mark = ("<b style='color:#2ca02c'>✓</b>" if self.verdict.right else "<b style='color:#d62728'>✗</b>")
            self.answer.value = f"{mark} {inline_markdown(self.verdict.text)} {inline_markdown(fact)}"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)

    def __repr__(self) -> str:
        return f"Prediction({self.question!r})"


@dataclass(frozen=True)
class Answer:
    """What :meth:`Prediction.reveal` returns: the measured answer, shown as the cell's output."""

    prediction: Prediction

    @property
    def text(self) -> str:
        """The answer as the learner reads it (HTML)."""
        return self.prediction.answer.value

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.prediction.answer)

    def __repr__(self) -> str:
        import html
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.text))


def _number_verdict(guess_mb: float, measured_bytes: int) -> Verdict:
    """Compare a guess in MB (10^6 bytes, as ``human_bytes`` counts) with a size in bytes."""
    measured_mb = measured_bytes / 1e6
    ratio = guess_mb / measured_mb
    if 1 / CLOSE_FACTOR <= ratio <= CLOSE_FACTOR:
        return Verdict(True, f"You predicted {guess_mb:g} MB: close.")
    if ratio > 1:
        return Verdict(False, f"You predicted {guess_mb:g} MB, {ratio:.1f} times the measurement.")
    return Verdict(False, f"You predicted {guess_mb:g} MB; the image is {1 / ratio:.1f} times that.")


_PREDICTIONS: Registry[Prediction] = Registry("prediction")
_prediction = _PREDICTIONS.register


def prediction_names() -> list[str]:
    """Every prediction's name, in the lessons' order."""
    return _PREDICTIONS.names()


def prediction(name: str) -> Prediction:
    """A fresh, unanswered prediction ``name``; raises ``KeyError`` naming the known ones."""
    return _PREDICTIONS.build(name)


# --- lesson 1 -----------------------------------------------------------------------------------

@_prediction("full-single-size")
def _full_single_size() -> Prediction:
    return Prediction(
        "How big will this image be, uncompressed? The app's own code is a few kilobytes. Type your guess "
        "in MB, then lock it in.",
        settle=lambda size: "Most of it arrives with the full `python` base image, as the next cells measure.",
    )


# --- lesson 2 -----------------------------------------------------------------------------------

SHARE_BUCKETS = ["less than half", "between half and three quarters", "more than three quarters"]


@_prediction("share-removed")
def _share_removed() -> Prediction:
    """Settled by the measured fraction (0 to 1) of lesson 1's full single-stage image the build removes."""
    return Prediction(
        "Compared with lesson 1's single-stage image on the full base, what share of the bytes will the "
        "multi-stage build remove?",
        options=SHARE_BUCKETS,
        settle=lambda reduction: (0 if reduction < 0.5 else 1 if reduction < 0.75 else 2,
                                  f"The multi-stage image removed {reduction:.0%}: the slim base, and no compiler "
                                  "or headers in what ships."),
    )


# --- lesson 4 -----------------------------------------------------------------------------------

MUSL_OPTIONS = [
    "none of them",
    "only those that compile on slim (glibc) too",
    "some that have glibc wheels but no musl wheels",
    "most of them, as the article says",
]


def _settle_musl(packages: int, compile_on_musl: Sequence[str], compile_on_glibc: Sequence[str]) -> tuple[int, str]:
    """``packages`` checked; the names that compile from source on musl and on glibc, as the index answered."""
    musl, glibc = set(compile_on_musl), set(compile_on_glibc)
    listed = ", ".join(sorted(musl)) or "none"
    if not musl:
        index = 0
    elif musl <= glibc:
        index = 1
    elif len(musl) > packages / 2:
        index = 3
    else:
        index = 2
    return index, f"Of {packages} packages, these compile on Alpine: {listed}."


@_prediction("musl-compiles")
def _musl_compiles() -> Prediction:
    """Settled by ``reveal(packages, compile_on_musl, compile_on_glibc)`` (see :func:`_settle_musl`)."""
    return Prediction(
        "The article says that on Alpine pip compiles nearly everything, for lack of wheels. Of the packages "
        "this app installs, which will have to compile from source on Alpine (musl)?",
        options=MUSL_OPTIONS,
        settle=_settle_musl,
    )


# --- lesson 6 -----------------------------------------------------------------------------------

UNHEALTHY_OPTIONS = [
    "it restarts the container",
    "it stops the container",
    "nothing: the container keeps running, marked unhealthy",
]


def _settle_unhealthy(state: str) -> tuple[int, str]:
    """``state``: the container's own state (``docker inspect``'s ``State.Status``) once it was unhealthy."""
    if state == "running":
        return 2, ("Docker only *reports* health: the container still runs. Acting on it is the job of "
                   "whatever runs the container (Compose, Swarm, a platform).")
    if state == "restarting":
        return 0, f"The container was {state}."
    return 1, f"The container was {state}."


@_prediction("unhealthy-action")
def _unhealthy_action() -> Prediction:
    """Settled by the container's state once its health status is ``unhealthy`` (see :func:`_settle_unhealthy`)."""
    return Prediction(
        "The next image's check asks for a path the app does not serve, so every check fails. Once the engine "
        "marks the container *unhealthy*, what will Docker do with it?",
        options=UNHEALTHY_OPTIONS,
        settle=_settle_unhealthy,
    )


# --- lesson 7 -----------------------------------------------------------------------------------

@_prediction("pip-cache-weight")
def _pip_cache_weight() -> Prediction:
    return Prediction(
        "How many MB will pip's cache add to the `pip install` layer, compared with `--no-cache-dir`? "
        "Type your guess in MB, then lock it in.",
        settle=lambda size: "That is the weight `--no-cache-dir` keeps out of the layer, as the next cells break down.",
    )


# --- lesson 8 -----------------------------------------------------------------------------------

@_prediction("bone-size")
def _bone_size() -> Prediction:
    return Prediction(
        "How big will an image `FROM scratch` that still serves this app be? Type your guess in MB "
        "(lesson 6's production image is measured above), then lock it in.",
        settle=lambda size: "Most of what is left is the app's dependencies, as section 3 measures.",
    )
