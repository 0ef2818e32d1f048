"""Visible build progress: a bar and a status line that move with every build step.

In a Jupyter kernel the progress is an ipywidgets box updated in place (the build runs in the
engine module's worker thread, which calls :meth:`BuildProgress.line` for each log line). Outside a
kernel (a terminal, a script) it prints one line per step instead. Either way the finished build
leaves one text line in the cell's output (the widget goes away then, so the sentence is shown
once), and a saved notebook shows what happened.

Under Run All, JupyterLab jumps to the notebook's last cell while the first build is still
running, far from its progress bar. So when a build starts, a one-off script output scrolls the
bar to the middle of the learner's screen; the finished build replaces that output with nothing,
so reopening the saved notebook scrolls nowhere.
"""

from __future__ import annotations

import html
import re
import threading
import time

from .table import human_bytes, human_seconds, shorten

_STEP_RE = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
#: BuildKit's name of a step, as ``docker build`` prints it after ``#N``: ``[builder 4/6] RUN ...``.
_VERTEX_RE = re.compile(r"^\[(?:(?P<stage>[^\]\s]+) )?(?P<i>\d+)/(?P<n>\d+)\] (?P<text>.*)$")
#: Run by JupyterLab's JavaScript renderer (``element`` is this output's node), for output the
#: running kernel produced: scroll the notebook (only the notebook's own scroller, never the page
#: around it) so that the progress bar just above is in the middle of the view.
SCROLL_INTO_VIEW_JS = (
    "setTimeout(function () { var scroller = element.closest('.jp-WindowedPanel-outer');"
    " if (!scroller || !element.isConnected) { return; }"
    " var box = element.getBoundingClientRect(), frame = scroller.getBoundingClientRect();"
    " scroller.scrollTop += box.top - frame.top - frame.height / 2; }, 100);"
)


def in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (widgets can be shown), not in a plain interpreter."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def step_of(line: str) -> tuple[int, int, str] | None:
    """``(step, total, instruction)`` when ``line`` is the classic builder's ``Step N/M : INSTRUCTION``."""
    match = _STEP_RE.match(line.strip())
    return (int(match.group(1)), int(match.group(2)), match.group(3)) if match else None


def buildkit_step_of(line: str) -> tuple[int, int, str] | None:
    """``(i, n, "[stage i/n] INSTRUCTION")`` when ``line`` is BuildKit's name of a step starting
    (``[builder 4/6] RUN pip install ...``: step ``i`` of the ``n`` of its stage)."""
    match = _VERTEX_RE.match(line.strip())
    return (int(match["i"]), int(match["n"]), match.group(0)) if match else None


class BuildProgress:
    """Shows one build's progress; give :meth:`line` to ``engine.build(on_line=...)``."""

    def __init__(self, title: str, *, widgets: bool | None = None) -> None:
        self.title = title
        self.use_widgets = in_kernel() if widgets is None else widgets
        self.step = 0
        self.total = 0
        self.instruction = ""
        self.cached_steps = 0
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._lock = threading.Lock()
        self.box = None
        self._scroll = None
        if self.use_widgets:
            import ipywidgets as w
            from IPython.display import display

            self.bar = w.IntProgress(value=0, min=0, max=1, bar_style="info", layout=w.Layout(width="60%"))
            self.status = w.HTML(f"<b>{html.escape(title)}</b>: starting")
            self.detail = w.HTML("", layout=w.Layout(width="100%"))
            self.box = w.VBox([self.status, self.bar, self.detail])
            display(self.box)
            from IPython.display import Javascript

            self._scroll = display(Javascript(SCROLL_INTO_VIEW_JS), display_id=True)
        else:
            print(f"{title}: building", flush=True)

    def line(self, text: str) -> None:
        """Called for every build log line (from the build's worker thread)."""
        stripped = text.strip()
        with self._lock:
            classic, buildkit = step_of(stripped), buildkit_step_of(stripped)
            step = classic or buildkit
            if step:
                self.step, self.total, self.instruction = step
                self._draw(force=True, detail="")
                if not self.use_widgets:
                    # BuildKit's name already says which step of which stage: "[builder 4/6] RUN ...".
                    shown = f"[{self.step}/{self.total}] {self.instruction}" if classic else self.instruction
                    print(f"  {shorten(shown, 100)}", flush=True)
            elif stripped == "---> Using cache":
                self.cached_steps += 1
                self._draw(force=True, detail="from cache")
            else:
                self._draw(force=False, detail=stripped)

    def _draw(self, *, force: bool, detail: str) -> None:
        if not self.use_widgets:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.25:
            return
        self._last_draw = now
        elapsed = human_seconds(now - self.started)
        self.bar.max = max(self.total, 1)
        self.bar.value = max(self.step - 1, 0)
        self.status.value = (
            f"<b>{html.escape(self.title)}</b>: step {self.step}/{self.total} "
            f"<code>{html.escape(shorten(self.instruction, 70))}</code> ({elapsed} so far)"
        )
        self.detail.value = f"<pre style='margin:0'>{html.escape(shorten(detail, 110))}</pre>" if detail else ""

    def finish(self, *, ok: bool, seconds: float, steps: int, cached: int, message: str = "",
               size_bytes: int | None = None) -> str:
        """Put the one-line summary in place of the progress display; print and return it.

        ``steps`` and ``cached`` count the learner's own steps (see ``builds.counted_steps``);
        ``size_bytes`` is the image's size when the build produced one.
        """
        verdict = "built" if ok else "FAILED"
        summary = f"{self.title}: {verdict} in {human_seconds(seconds)}"
        if size_bytes is not None:
            summary += f", {human_bytes(size_bytes)}"
        summary += f", {cached} of {steps} steps from cache"
        if message:
            summary += f". {message}"
        if self.use_widgets and self.box is not None:
            self.box.layout.display = "none"
        if self._scroll is not None:
            self._scroll.update({"text/plain": ""}, raw=True)
            self._scroll = None
        print(summary, flush=True)
        return summary
