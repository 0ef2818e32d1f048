"""What a learner does in JupyterLab, as a small page object over Playwright.

Every action goes through the UI a learner uses (URLs, the file browser, the menus, the widgets);
the page's DOM is only *read* to decide whether what the learner sees is right. The detectors
(tracebacks, widgets, images) return plain results, so a test can assert both that a healthy page
passes and that a broken one is caught (see test_browser_harness_selftest.py).
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from labserver import JupyterLabServer

#: A running cell shows ``[*]:``; a finished one ``[n]:``; a never-run or skipped one ``[ ]:``.
_RUN_FINISHED_JS = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent.trim());
  if (prompts.some(p => p.includes('*'))) return false;
  const errored = panel.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
  const allRan = prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p));
  const idle = panel.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
  return Boolean(idle) && (allRan || Boolean(errored));
}
"""

_KERNEL_READY_JS = """
() => {
  const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = widget && widget.sessionContext && widget.sessionContext.session && widget.sessionContext.session.kernel;
  return Boolean(kernel) && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}
"""

#: The text/plain repr a widget falls back to when no widget manager renders it, e.g.
#: ``VBox(children=(Dropdown(...``, and the messages the manager shows while or instead of rendering.
_FALLBACK = re.compile(
    r"^\s*[A-Z]\w*\((children|value|options|description|layout|index|min|max)="
    r"|Loading widget\.\.\.|Error displaying widget|Error rendering widget|model not found",
    re.MULTILINE,
)

_WIDGET_REPORT_JS = """
(cell) => {
  const views = [];
  const texts = [];
  // Top-level outputs only: a rendered widget may nest output areas of its own.
  for (const out of cell.querySelectorAll('.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output')) {
    const view = out.querySelector('.jupyter-widgets');
    if (view) views.push(view.className);
    else texts.push(out.innerText);
  }
  return {views, texts};
}
"""


@dataclass
class WidgetReport:
    """What the widget detector saw in one cell's outputs."""

    #: Class names of each rendered widget view (an element with ``.jupyter-widgets``).
    views: list[str] = field(default_factory=list)
    #: Output texts that look like a widget that did not render (repr fallback, "Loading widget...").
    fallbacks: list[str] = field(default_factory=list)

    @property
    def rendered(self) -> bool:
        return bool(self.views) and not self.fallbacks

    def explain(self) -> str:
        if self.rendered:
            return f"{len(self.views)} widget view(s) rendered"
        if self.fallbacks:
            shown = "; ".join(text.strip()[:120] for text in self.fallbacks)
            return f"widgets did NOT render, the learner sees text instead: {shown}"
        return "no widget view in this cell's output"


@dataclass
class ImageReport:
    """Every ``<img>`` of rendered image outputs, with the size the browser decoded."""

    sizes: list[tuple[int, int]]

    @property
    def all_decoded(self) -> bool:
        return bool(self.sizes) and all(width > 0 and height > 0 for width, height in self.sizes)


class LabPage:
    def __init__(self, page: Page, server: JupyterLabServer, artifacts: Path):
        self.page = page
        self.server = server
        self.artifacts = artifacts
        self._shots = 0

    # --- navigation -------------------------------------------------------------------------
    def open(self, path: str = "") -> None:
        """Open a folder (in the file browser) or a file, in a fresh workspace (no restored tabs)."""
        workspace = f"t{uuid.uuid4().hex[:10]}"
        route = f"lab/workspaces/{workspace}/tree/{path}" if path else f"lab/workspaces/{workspace}"
        self.page.goto(self.server.url(route))
        self.page.locator("#jp-main-dock-panel").wait_for(state="visible", timeout=60_000)
        self.page.locator(".jp-DirListing-content").wait_for(state="visible", timeout=30_000)
        if path.endswith(".ipynb"):
            self._wait_for_notebook()

    def open_start_page(self) -> Locator:
        """Open the address `make lab` prints (the server's root, no path); return the rendered page shown."""
        self.page.goto(self.server.url(""))
        self.page.locator("#jp-main-dock-panel").wait_for(state="visible", timeout=60_000)
        rendered = self.page.locator(".jp-MainAreaWidget:not(.lm-mod-hidden) .jp-RenderedMarkdown")
        rendered.first.wait_for(state="visible", timeout=60_000)
        return rendered.first

    def follow_link(self, scope: Locator, text: str) -> None:
        """Click the link reading ``text`` inside ``scope`` (rendered Markdown), as a learner would."""
        link = scope.locator("a", has_text=text).first
        link.scroll_into_view_if_needed()
        link.click()

    def opened_path(self, label: str, timeout_ms: int = 90_000) -> str:
        """Wait until a tab titled ``label`` opened; return its document's path (relative to the root)."""
        self.page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=label).first.wait_for(timeout=timeout_ms)
        paths = self.page.evaluate(
            "() => [...window.jupyterapp.shell.widgets('main')].map(w => w.context ? w.context.path : '')"
        )
        return next((path for path in paths if path.rsplit("/", 1)[-1] == label), f"no document {label} in {paths}")

    def wait_for_tab(self, label: str, heading: str, timeout_ms: int = 90_000) -> None:
        """Wait until a tab titled ``label`` opened, bring it to the front, and wait for ``heading`` in it."""
        self.opened_path(label, timeout_ms)
        self.bring_to_front(label)
        self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) h1", has_text=heading).wait_for(timeout=timeout_ms)

    def bring_to_front(self, label: str, settle_s: float = 1.5, timeout_s: float = 30) -> None:
        """Make the tab titled ``label`` the current one and keep it so for ``settle_s`` seconds.

        The lab may still be restoring its workspace (the start page opens late on a slow first
        load) and take the front back: the tab is clicked again until it stays in front.
        """
        tab = self.page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=label).first
        current = self.page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current", has_text=label)
        deadline = time.monotonic() + timeout_s
        while True:
            tab.click()
            stable_until = time.monotonic() + settle_s
            while time.monotonic() < stable_until and current.count():
                self.page.wait_for_timeout(250)
            if current.count() or time.monotonic() > deadline:
                return

    def tab_labels(self) -> list[str]:
        """The titles of the main area's open tabs."""
        return [t.strip() for t in self.page.locator("#jp-main-dock-panel .lm-TabBar-tabLabel").all_inner_texts()]

    def save(self) -> None:
        """File > Save Notebook (what autosave does a little later), then wait until it is saved."""
        self.menu("File", "Save Notebook")
        self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").wait_for()
        self.page.wait_for_function(
            "() => !document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current.jp-mod-dirty')",
            timeout=30_000,
        )

    def _wait_for_notebook(self) -> None:
        panel = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        panel.wait_for(state="visible", timeout=60_000)
        self.wait_for_kernel()

    def wait_for_kernel(self) -> None:
        """Wait until the open notebook's kernel is connected and idle."""
        # The toolbar's indicator says "idle" before any kernel exists: ask the session itself.
        # (window.jupyterapp exists because the test server sets LabApp.expose_app_in_browser.)
        ready = self.page.locator(".jp-Dialog .jp-mod-accept")
        for _ in range(2):
            try:
                self.page.wait_for_function(_KERNEL_READY_JS, timeout=60_000, polling=250)
                return
            except PlaywrightTimeoutError:
                # A notebook whose kernel is unknown asks which one to use: accept the default.
                if ready.count():
                    ready.first.click()
                    continue
                raise AssertionError("the notebook's kernel did not become ready within 60s") from None

    def file_browser_names(self) -> list[str]:
        items = self.page.locator(".jp-DirListing-content .jp-DirListing-itemText")
        items.first.wait_for(state="visible", timeout=30_000)
        return [name.strip() for name in items.all_inner_texts()]

    def widen_file_browser(self, by_px: int = 140) -> None:
        """Drag the sidebar's edge so the lesson names are not cut off (for readable screenshots)."""
        handle = self.page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
        box = handle.bounding_box()
        if not box:
            return
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + by_px, y, steps=5)
        self.page.mouse.up()

    def menu(self, *labels: str, attempts: int = 3) -> None:
        """Click through the menu bar, e.g. ``menu("Run", "Run All Cells")``.

        A click on the bar can land while a menu is still closing (the first lab of a session is
        slow): the menu is then opened again, up to ``attempts`` times, before the click fails.
        """
        first, *rest = labels
        bar_item = self.page.locator(".lm-MenuBar-item").filter(
            has=self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(first)}$"))
        )
        items = [self.page.locator(".lm-Menu:visible .lm-Menu-item").filter(
            has=self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(label)}$"))
        ).first for label in rest]
        for attempt in range(attempts):
            bar_item.click()
            if not items:
                return
            try:
                items[0].wait_for(state="visible", timeout=10_000)
                break
            except PlaywrightTimeoutError:
                if attempt == attempts - 1:
                    raise
                self.page.keyboard.press("Escape")
        for item in items:
            item.click()

    # --- running ----------------------------------------------------------------------------
    def run_all(self, timeout_s: float = 600) -> None:
        """Clear every output, then Run > Run All Cells, and wait until the run ends (or fails)."""
        self.menu("Edit", "Clear Outputs of All Cells")
        self.page.keyboard.press("Escape")
        self.menu("Run", "Run All Cells")
        try:
            self.page.wait_for_function(_RUN_FINISHED_JS, timeout=timeout_s * 1000, polling=500)
        except PlaywrightTimeoutError:
            self.shot("run-all-timed-out")
            raise AssertionError(
                f"Run All did not finish within {timeout_s:.0f}s; cell prompts: {self.prompts()}, "
                f"kernel status: {self.kernel_status()}"
            ) from None

    def prompts(self) -> list[str]:
        return [text.strip() for text in self.code_cells().locator(".jp-InputArea-prompt").all_inner_texts()]

    def kernel_status(self) -> str | None:
        indicator = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator")
        return indicator.first.get_attribute("data-status") if indicator.count() else None

    def run_cell(self, cell: Locator, timeout_s: float = 600) -> None:
        """Click into one cell and run it with Shift+Enter, as a learner jumping to it would."""
        cell.locator(".jp-InputArea-editor").click()
        self.page.keyboard.press("Shift+Enter")
        prompt = cell.locator(".jp-InputArea-prompt")
        self.page.wait_for_function(
            "prompt => /\\[\\d+\\]/.test(prompt.textContent)", arg=prompt.element_handle(), timeout=timeout_s * 1000
        )

    def tracebacks(self) -> list[str]:
        errors = self.page.locator(
            '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        )
        return [text for text in errors.all_inner_texts() if "Traceback" in text]

    # --- cells and outputs ------------------------------------------------------------------
    def code_cells(self) -> Locator:
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")

    def cell_containing(self, source_text: str) -> Locator:
        """The first code cell whose source contains ``source_text``."""
        cells = self.code_cells().filter(
            has=self.page.locator(".jp-InputArea-editor", has_text=source_text)
        )
        count = cells.count()
        assert count >= 1, f"no code cell contains {source_text!r}"
        return cells.first

    def widget_report(self, cell: Locator, settle_s: float = 20) -> WidgetReport:
        """Wait until the cell's widget outputs settle (rendered, or visibly not), then report."""
        cell.scroll_into_view_if_needed()
        deadline_ms = settle_s * 1000
        waited = 0
        while True:
            raw = cell.evaluate(_WIDGET_REPORT_JS)
            fallbacks = [text for text in raw["texts"] if _FALLBACK.search(text)]
            loading = any("Loading widget" in text for text in fallbacks)
            report = WidgetReport(views=raw["views"], fallbacks=fallbacks)
            if (report.views or fallbacks) and not loading or waited >= deadline_ms:
                return report
            self.page.wait_for_timeout(250)
            waited += 250

    @staticmethod
    def outputs(cell: Locator) -> Locator:
        """The cell's own output area (widgets may nest further output areas inside it)."""
        return cell.locator(".jp-Cell-outputArea")

    def output_text(self, cell: Locator) -> str:
        return " ".join(self.outputs(cell).all_inner_texts())

    def image_report(self, scope: Locator | None = None) -> ImageReport:
        scope = scope or self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        images = scope.locator(".jp-RenderedImage img")
        sizes = []
        for index in range(images.count()):
            image = images.nth(index)
            image.scroll_into_view_if_needed()
            image.evaluate("img => img.decode ? img.decode().catch(() => null) : null")
            sizes.append(tuple(image.evaluate("img => [img.naturalWidth, img.naturalHeight]")))
        return ImageReport(sizes=sizes)

    # --- artifacts --------------------------------------------------------------------------
    def shot(self, name: str, target: Locator | None = None, full_page: bool = False, align: str = "start") -> Path:
        """Save a numbered screenshot under the test's artifact folder.

        With a ``target``, the element is scrolled to the top (``align="start"``) or the bottom
        (``"end"``) of the notebook and the shot is clipped to its visible part.
        """
        self._shots += 1
        path = self.artifacts / f"{self._shots:02d}-{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if target is not None:
            # The notebook scrolls inside its panel: clip the element to the part that is on screen.
            target.evaluate("(element, block) => element.scrollIntoView({block})", align)
            self.page.wait_for_timeout(200)
            box = target.bounding_box()
            panel = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer")
            frame = panel.bounding_box() if panel.count() else None
            if box and frame:
                top = max(box["y"], frame["y"])
                bottom = min(box["y"] + box["height"], frame["y"] + frame["height"])
                clip = {"x": box["x"], "y": top, "width": box["width"], "height": max(1, bottom - top)}
                self.page.screenshot(path=str(path), clip=clip)
            else:
                target.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path), full_page=full_page)
        return path
