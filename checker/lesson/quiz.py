"""Quick self-checks: a question, a few answers, immediate feedback.

A :class:`Quiz` shows radio buttons and a "Check" button in Jupyter. The button's callback is
:meth:`Quiz.check`; a notebook can also call :meth:`Quiz.choose` and :meth:`Quiz.check` itself,
which is how nbval exercises the feedback logic without a browser. The answer may be computed from
a measurement, so a question about "which image is largest" stays true on any engine.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import ipywidgets as w


class Quiz:
    """A multiple-choice self-check widget: pick an option, press Check, read why.

    Display it in a notebook (``Quiz(...)`` as a cell's last line); :meth:`choose` and
    :meth:`check` let a hidden cell answer it, as :func:`self_test` does.
    """

    def __init__(
        self,
        question: str,
        options: Sequence[str],
        answer: int | str,
        *,
        why: str = "",
        hints: Mapping[str, str] | None = None,
    ) -> None:
        """``answer`` is the right option (or its index); ``hints`` says why a wrong option is wrong."""
        if not options:
            raise ValueError("a quiz needs options")
        self.question = question
        self.options = list(options)
        self.answer = self.options[answer] if isinstance(answer, int) else answer
        if self.answer not in self.options:
            raise ValueError(f"the answer {self.answer!r} is not one of the options")
        self.why = why
        self.hints = dict(hints or {})
        self.correct: bool | None = None
        self.attempts = 0
        self.choice = w.RadioButtons(options=self.options, value=None, layout=w.Layout(width="max-content"))
        self.button = w.Button(description="Check", button_style="primary", icon="check")
        self.feedback = w.HTML("")
        self.button.on_click(lambda _button: self.check())
        self.choice.observe(self._cleared, names="value")
        self.box = w.VBox([w.HTML(f"<b>Self-check.</b> {html.escape(question)}"), self.choice, self.button, self.feedback])

    def _cleared(self, _change) -> None:
        self.feedback.value = ""
        self.correct = None

    def choose(self, option: int | str) -> None:
        """Select ``option`` (its text or index) as a click would, without checking it."""
        self.choice.value = self.options[option] if isinstance(option, int) else option

    def check(self) -> bool:
        """Grade the selected option, show the feedback, and return whether it was right."""
        selected = self.choice.value
        if selected is None:
            self.correct = False
            self.feedback.value = "<span style='color:#555'>Pick an answer first.</span>"
            return False
        self.attempts += 1
        self.correct = selected == self.answer
        if self.correct:
            text = f"<span style='color:#2ca02c'><b>✓ Right.</b></span> {html.escape(self.why)}"
        else:
            hint = self.hints.get(selected, "Not quite: look again at the measurement above.")
            text = f"<span style='color:#d62728'><b>✗ Not this one.</b></span> {html.escape(hint)}"
        self.feedback.value = text
        return self.correct

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)

    def __repr__(self) -> str:
        return f"Quiz({self.question!r}, {len(self.options)} options)"


def self_test(quiz: Quiz) -> None:
    """Exercise a quiz as a learner would: every wrong option gets feedback, the right one passes.

    Notebooks call this at the very end, so a "run all" does not answer a quiz before the learner has.
    """
    for option in quiz.options:
        quiz.choose(option)
        result = quiz.check()
        assert result == (option == quiz.answer), f"{option!r} graded {result}"
        assert quiz.feedback.value, f"no feedback for {option!r}"
    quiz.choice.value = None
