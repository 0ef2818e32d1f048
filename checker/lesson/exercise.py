"""The exercise notebook's panel: "Check my Dockerfile", progressive hints, "Show solution".

In an exercise notebook::

    from checker.lesson.exercise import exercise_panel
    exercise_panel("02-multi-stage")

**Check my Dockerfile** grades the learner's ``Dockerfile`` beside the notebook (:func:`answer_path`) with the
exercise's rubric, on the real engine, in a background thread: the build's lines stream into
an output area while it runs, then the Report renders inline (its ``_repr_html_``). Pressing
the button again while a check runs does nothing (it is disabled). Grading never raises into
the notebook: anything that goes wrong is shown as a sentence.

The build context is assembled exactly as ``grade-class`` does it
(:func:`checker.exercises.assemble_context`): the sample app's source plus the learner's
Dockerfile and .dockerignore.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .. import exercises
from ..report import BuildStepSummary, counted_steps
from .progress import step_of

LineCallback = Callable[[str], None]
MAX_STREAMED_LINES = 400


def hint_levels(exercise_dir: Path) -> list[tuple[str, str]]:
    """``hints.md`` split into ``(title, markdown)`` pairs, one per ``## Level N`` section."""
    path = exercise_dir / "hints.md"
    if not path.is_file():
        return []
    sections = re.split(r"^## +", path.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]
    levels = []
    for section in sections:
        title, _, body = section.partition("\n")
        levels.append((title.strip(), body.strip()))
    return levels


def grade_submission(exercise_dir: Path, dockerfile: Path, *, on_line: LineCallback | None = None,
                     on_phase: LineCallback | None = None):
    """Grade one Dockerfile for an exercise, in-process; returns the grader's Report.

    See :func:`checker.exercises.grade_answer`.
    """
    return exercises.grade_answer(exercise_dir, dockerfile, on_line=on_line, on_phase=on_phase)


def _markdown_html(text: str) -> str:
    """Just enough Markdown for hints: paragraphs, code blocks, inline code."""
    parts = re.split(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"<pre>{html.escape(part)}</pre>")
            continue
        for paragraph in filter(None, (p.strip() for p in part.split("\n\n"))):
            escaped = html.escape(paragraph)
            escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
            escaped = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", escaped)
            out.append(f"<p>{escaped}</p>")
    return "\n".join(out)


def _report_html(report) -> str:
    renderer = getattr(report, "_repr_html_", None)
    if callable(renderer):
        return renderer()
    return f"<pre>{html.escape(str(report))}</pre>"


def answer_path(exercise_dir: Path, working_dir: Path | None = None) -> Path:
    """The Dockerfile a panel grades: the one beside the exercise notebook the learner has open.

    The kernel runs in the notebook's folder (``working_dir``, default the current directory).
    When that folder is a copy of the exercise (same name, as in ``make lab``'s ``my-course/``),
    its ``Dockerfile`` is the learner's answer; otherwise the course's own ``exercise_dir``'s.
    """
    here = Path.cwd() if working_dir is None else working_dir
    if here.name == exercise_dir.name and (here / "Dockerfile").is_file():
        return here / "Dockerfile"
    return exercise_dir / "Dockerfile"


def _stages_built(model) -> set[int]:
    """Indexes of the stages BuildKit builds for the final one: its FROM chain and every stage a
    ``--from`` names, transitively (BuildKit skips the others; the classic builder builds all)."""
    wanted, todo = set(), [model.final_stage]
    while todo:
        stage = todo.pop()
        if stage.index in wanted:
            continue
        wanted.add(stage.index)
        if stage.parent is not None:
            todo.append(model.stages[stage.parent])
        for instruction in stage.instructions:
            for ref in instruction.flag_values("from"):
                found = model.stage_for(ref, before=stage.index)
                if found is not None:
                    todo.append(found)
    return wanted


class StepCounter:
    """Where a build of one Dockerfile is, counted as the course counts steps everywhere (the learner's own
    cacheable instructions: :func:`checker.report.counted_steps`), from either builder's progress lines.

    The classic builder's ``Step 7/19 : RUN ...`` numbers every instruction of the file (FROM and ARG
    included, and the course's LABEL appended); BuildKit's ``[builder 3/6] RUN ...`` counts a stage's graph
    nodes, and builds only the stages the final one needs. Both are mapped back to the file's instructions
    and counted over the steps that builder reports, so the panel says "step 5 of 15" where the report then
    says "... of 15 steps" (the lessons count the same way, on either builder).
    """

    def __init__(self, dockerfile_text: str) -> None:
        from ..dockerfile.model import Dockerfile, ParseError
        from ..dockerfile.parser import parse
        from ..engine.bkstatus import NODE_KEYWORDS

        self.model: Dockerfile | None
        try:
            self.model = parse(dockerfile_text)
        except ParseError:
            self.model = None
        instructions = self.model.instructions if self.model is not None else ()
        steps = [BuildStepSummary(instruction.index + 1, f"{instruction.keyword} {instruction.raw}", False, 0.0)
                 for instruction in instructions]
        kept = {step.number for step in counted_steps(steps)}
        counted = [instruction for instruction in instructions if instruction.index + 1 in kept]
        self.classic = [instruction.index + 1 for instruction in counted]
        """The classic builder's step numbers of the counted instructions, in order."""
        built = _stages_built(self.model) if self.model is not None else set()
        self.buildkit = [instruction.index + 1 for instruction in counted
                         if instruction.keyword in NODE_KEYWORDS and instruction.stage in built]
        """The same for BuildKit: the counted instructions that make a graph node in a stage it builds."""
        self.counted = self.classic
        """The step numbers counted for the builder seen so far (the classic builder's until a BuildKit line)."""

    @property
    def total(self) -> int:
        """How many steps the course counts in this Dockerfile for the builder seen (0 when it does not parse)."""
        return len(self.counted)

    def position(self, line: str) -> tuple[int, str] | None:
        """``(step, instruction)`` when ``line`` starts a step: how many counted steps have begun by then
        (FROM, ARG and the course's LABEL begin none), and the instruction as the builder printed it."""
        classic = step_of(line)
        if classic is not None:
            number, _, instruction = classic
            self.counted = self.classic
            return sum(1 for counted in self.counted if counted <= number), instruction
        from ..engine.bkstatus import _VERTEX_RE, stage_nodes, step_index  # BuildKit's step names, one reader

        match = _VERTEX_RE.match(line.strip())
        if match is None or self.model is None:
            return None

        found = step_index(stage_nodes(self.model), match["stage"] or "", int(match["i"]), int(match["n"]),
                           match["text"].strip())
        if found is None:
            return None
        self.counted = self.buildkit
        return sum(1 for counted in self.counted if counted <= found.index + 1), match["text"].strip()


class ExercisePanel:
    """The widgets and their behaviour; :attr:`widget` is what the notebook displays."""

    def __init__(self, exercise: str, dockerfile: str | Path | None = None, *, grader=grade_submission) -> None:
        import ipywidgets as widgets

        self.exercise_dir = exercises.find_exercise(exercise)
        self.dockerfile = Path(dockerfile) if dockerfile else answer_path(self.exercise_dir)
        self.solution = exercises.solution_dir(self.exercise_dir) / "Dockerfile"
        self.grader = grader
        self.hints = hint_levels(self.exercise_dir)
        self.hints_shown = 0
        self.running = threading.Lock()
        self.lines = 0
        self.steps: StepCounter | None = None

        self.check_button = widgets.Button(description="Check my Dockerfile", button_style="primary",
                                           icon="check", layout=widgets.Layout(width="auto"))
        self.status = widgets.HTML(value=f"<i>Grades <code>{html.escape(self._shown_path(self.dockerfile))}</code> "
                                         f"with <code>{self.exercise_dir.name}/rubric.toml</code>.</i>")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="50%", visibility="hidden"))
        self.build_output = widgets.Output(layout=widgets.Layout(max_height="240px", overflow="auto",
                                                                 border="1px solid #ddd", display="none"))
        self.report = widgets.HTML()
        self.hint_button = widgets.Button(description="Show a hint", icon="lightbulb-o", layout=widgets.Layout(width="auto"),
                                          disabled=not self.hints)
        self.hint_area = widgets.HTML()
        self.solution_toggle = widgets.ToggleButton(value=False, description="Show solution", icon="eye",
                                                    layout=widgets.Layout(width="auto"))
        self.solution_area = widgets.HTML()

        self.check_button.on_click(lambda _: self.check())
        self.hint_button.on_click(lambda _: self.next_hint())
        self.solution_toggle.observe(self._toggle_solution, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.check_button, self.progress]),
            self.status,
            self.build_output,
            self.report,
            widgets.HBox([self.hint_button, self.solution_toggle]),
            self.hint_area,
            self.solution_area,
        ])

    @staticmethod
    def _shown_path(path: Path) -> str:
        """``path`` as the learner finds it: from the notebook's folder, else from the repository."""
        for base in (Path.cwd(), exercises.REPO_ROOT):
            try:
                return str(path.resolve().relative_to(base.resolve()))
            except ValueError:
                continue
        return str(path)

    # hints and solution
    def next_hint(self) -> None:
        """Reveal one more hint level (all shown so far stay); disables the button after the last."""
        if self.hints_shown < len(self.hints):
            self.hints_shown += 1
        shown = self.hints[: self.hints_shown]
        self.hint_area.value = "".join(f"<h4>{html.escape(title)}</h4>{_markdown_html(body)}" for title, body in shown)
        if self.hints_shown >= len(self.hints):
            self.hint_button.disabled = True
            self.hint_button.description = "No more hints"
        else:
            self.hint_button.description = f"Show hint {self.hints_shown + 1} of {len(self.hints)}"

    def _toggle_solution(self, change) -> None:
        if change["new"]:
            text = self.solution.read_text(encoding="utf-8") if self.solution.is_file() else "(no solution file found)"
            self.solution_area.value = (f"<p><b>{html.escape(self._shown_path(self.solution))}</b></p>"
                                        f"<pre>{html.escape(text)}</pre>")
            self.solution_toggle.description = "Hide solution"
        else:
            self.solution_area.value = ""
            self.solution_toggle.description = "Show solution"

    # checking
    def _on_line(self, line: str) -> None:
        self.lines += 1
        step = self.steps.position(line) if self.steps is not None and self.steps.total else None
        if step:
            self.progress.max = self.steps.total  # type: ignore[union-attr]
            self.progress.value = step[0]
            self.status.value = (f"<i>Building: step {step[0]} of {self.progress.max}</i> "
                                 f"<code>{html.escape(step[1][:80])}</code>")
        if self.lines <= MAX_STREAMED_LINES:
            self.build_output.append_stdout(line.rstrip("\n") + "\n")
        elif self.lines == MAX_STREAMED_LINES + 1:
            self.build_output.append_stdout("[... more build output; the report keeps the log's tail ...]\n")

    def _on_phase(self, message: str) -> None:
        self.status.value = f"<i>{html.escape(message)}</i>"

    def check(self, *, wait: bool = False) -> threading.Thread | None:
        """Start a check in a background thread (``wait=True`` joins it: for tests)."""
        if not self.running.acquire(blocking=False):
            return None
        self.check_button.disabled = True
        self.check_button.description = "Checking..."
        self.report.value = ""
        self.lines = 0
        self.build_output.clear_output()
        self.build_output.layout.display = None
        self.progress.layout.visibility = "visible"
        self.progress.value, self.progress.max = 0, 1
        try:
            self.steps = StepCounter(self.dockerfile.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            self.steps = None  # the check itself says there is no Dockerfile
        self.status.value = "<i>Starting the build...</i>"
        thread = threading.Thread(target=self._run_check, name="lpi-exercise-check", daemon=True)
        thread.start()
        if wait:
            thread.join()
        return thread

    def _run_check(self) -> None:
        started = time.monotonic()
        try:
            if not self.dockerfile.is_file():
                raise FileNotFoundError(f"There is no Dockerfile at {self._shown_path(self.dockerfile)}.")
            report = self.grader(self.exercise_dir, self.dockerfile, on_line=self._on_line, on_phase=self._on_phase)
            self.report.value = _report_html(report)
            self.status.value = f"<i>Checked in {time.monotonic() - started:.0f} s.</i>"
            self.build_output.layout.display = "none"
        except Exception as exc:  # the notebook shows a sentence, never a traceback
            self.status.value = (f"<b style='color:#b00'>The check could not run:</b> {html.escape(str(exc))}. "
                                 "Is the engine running (<code>make setup</code>)?")
        finally:
            self.progress.layout.visibility = "hidden"
            self.check_button.disabled = False
            self.check_button.description = "Check my Dockerfile"
            self.running.release()


def exercise_panel(exercise: str, dockerfile: str | Path | None = None):
    """Display-ready panel for one exercise (returns the ipywidgets VBox).

    ``exercise`` is a folder name such as ``"02-multi-stage"``; ``dockerfile`` defaults to the
    exercise folder's ``Dockerfile``. Raises when no such exercise exists.
    """
    return ExercisePanel(exercise, dockerfile).widget
