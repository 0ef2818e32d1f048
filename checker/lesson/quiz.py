"""Quick self-checks: a question, a few answers, immediate feedback.

A :class:`Quiz` shows radio buttons and a "Check" button in Jupyter. The button's callback is
:meth:`Quiz.check`; the tests call :meth:`Quiz.choose` and :meth:`Quiz.check` to exercise the
feedback without a browser (the lessons never do: a Run All must not answer for the learner). The
answer may be computed from a measurement, so a question about "which image is largest" stays true
on any engine. The lessons' own self-checks live in :mod:`checker.lesson.quizzes`.

Question, explanation and hints may use Markdown's inline code and emphasis (shown as such);
the options are plain text (radio buttons cannot format), so their backticks and asterisks are
dropped from what is shown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

import ipywidgets as w


def inline_markdown(text: str) -> str:
    """``text`` as HTML, escaped, with Markdown's `code`, **strong** and *emphasis* rendered."""
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    escaped = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", escaped)
    return re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<i>\1</i>", escaped)


def plain_text(text: str) -> str:
    """``text`` without Markdown's inline marks (backticks, asterisks), for widgets that show plain text."""
    return re.sub(r"`([^`]+)`", r"\1", re.sub(r"\*{1,2}([^*]+)\*{1,2}", r"\1", text))


class Quiz:
    """A multiple-choice self-check widget: pick an option, press Check, read why.

    Display it in a notebook (as a cell's last line); :meth:`choose` and :meth:`check` let a test
    answer it, as :func:`self_test` does.
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
        self.choice = w.RadioButtons(options=[(plain_text(option), option) for option in self.options], value=None,
                                     layout=w.Layout(width="max-content"))
        self.button = w.Button(description="Check", button_style="primary", icon="check")
        self.feedback = w.HTML("")
        self.button.on_click(lambda _button: self.check())
        self.choice.observe(self._cleared, names="value")
        self.box = w.VBox([w.HTML(f"<b>Self-check.</b> {inline_markdown(question)}"), self.choice, self.button,
                           self.feedback])

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
            text = f"<span style='color:#2ca02c'><b>✓ Right.</b></span> {inline_markdown(self.why)}"
        else:
            hint = self.hints.get(selected, "Not quite: look again at the measurement above.")
            text = f"<span style='color:#d62728'><b>✗ Not this one.</b></span> {inline_markdown(hint)}"
        self.feedback.value = text
        return self.correct

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)

    def __repr__(self) -> str:
        return f"Quiz({self.question!r}, {len(self.options)} options)"


def self_test(quiz: Quiz) -> None:
    """Exercise a quiz as a learner would: every wrong option gets feedback, the right one passes.

    For the tests: it leaves the quiz unanswered, but a learner's notebook never calls it.
    """
    for option in quiz.options:
        quiz.choose(option)
        result = quiz.check()
        assert result == (option == quiz.answer), f"{option!r} graded {result}"
        assert quiz.feedback.value, f"no feedback for {option!r}"
    quiz.choice.value = None
