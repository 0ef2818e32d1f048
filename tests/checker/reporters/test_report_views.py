"""What the human views of a report say about the build (issues 15 and 22): the builder that ran it,
the engine's measured facts, one step count, layers named by the learner's lines, short rows (pure)."""

from __future__ import annotations

import json
import re

import pytest

from checker.report import BuildStepSummary, LayerSummary, Report, counted_steps
from checker.reporters import build_line, engine_line, layer_rows, render, wasted_lines
from fake_reports import build_failed_report, graded_report

HUMAN = ("text", "html", "markdown", "terminal")


def _built_with(builder: str) -> Report:
    report = graded_report()
    report.build.builder = builder
    report.engine["builder"] = builder  # the pipeline puts the build's own builder in the engine's facts
    return report


@pytest.mark.parametrize("fmt", HUMAN)
@pytest.mark.parametrize("builder, said, not_said", [
    ("buildkit", "Built with BuildKit", "Built with the classic builder"),
    ("classic", "Built with the classic builder", "Built with BuildKit"),
])
def test_each_human_view_names_the_builder_that_built_the_image_and_the_engines_facts(fmt, builder, said, not_said):
    shown = render(_built_with(builder), fmt)
    flat = " ".join(shown.split())  # the terminal wraps long lines
    assert said in flat and not_said not in flat
    assert "Docker 28.5.2" in flat and "image store containerd" in flat
    assert flat.count("Built with") == 1, "the builder is said once"


@pytest.mark.parametrize("builder", ["buildkit", "classic"])
def test_the_notebook_view_is_the_html_view_and_names_the_builder(builder):
    report = _built_with(builder)
    html = report._repr_html_()
    expected = "BuildKit" if builder == "buildkit" else "the classic builder"
    assert f"<small class='lpi-build'>Built with {expected} in 42.0 s" in html
    assert "Docker 28.5.2" in html.split("</div>", 1)[0], "the engine's facts are in the verdict box, not at the bottom"


def test_a_report_read_back_from_json_keeps_the_builder_and_the_failing_line():
    report = _built_with("buildkit")
    again = Report.from_dict(json.loads(render(report, "json")))
    assert again.build.builder == "buildkit"
    failed = build_failed_report()
    failed.build.builder, failed.build.failed_line = "buildkit", 7
    again = Report.from_dict(json.loads(render(failed, "json")))
    assert (again.build.builder, again.build.failed_line) == ("buildkit", 7)
    assert "Builder: BuildKit (the build failed)." in render(again, "text")


def test_without_a_measured_builder_the_engine_line_claims_none():
    facts = dict(graded_report().engine)
    del facts["builder"]
    assert "graded with" not in engine_line(facts)
    assert engine_line({**facts, "builder": "buildkit"}).endswith("; graded with BuildKit.")


def test_a_report_counts_steps_as_the_lessons_do_from_and_arg_and_the_course_label_left_out():
    from checker.lesson.builds import counted_steps as lesson_counted_steps

    steps = [BuildStepSummary(1, "ARG PYTHON_VERSION=3.13", False, 0), BuildStepSummary(2, "FROM python:3.13-slim", False, 0),
             BuildStepSummary(3, "WORKDIR /app", True, 0), BuildStepSummary(4, "RUN pip install x", True, 0),
             BuildStepSummary(5, "COPY . .", False, 0), BuildStepSummary(6, "LABEL org.lean-python-images.run=r", False, 0)]
    assert [step.number for step in counted_steps(steps)] == [3, 4, 5]
    assert lesson_counted_steps(steps) == counted_steps(steps), "the lessons and the report share one count"
    report = graded_report()
    report.build.steps = steps
    assert "(2 of 3 steps from cache)" in build_line(report)
    as_json = report.to_dict()["build"]
    assert (as_json["steps_from_cache"], as_json["steps_counted"]) == (2, 3), "the JSON says the same K of N"


def test_the_builds_check_counts_the_learners_own_steps_and_names_the_builder():
    from checker import engine
    from checker.checks import REGISTRY, Evidence

    steps = [engine.BuildStep(1, "ARG PYTHON_VERSION=3.13"), engine.BuildStep(2, "FROM python:3.13-slim"),
             engine.BuildStep(3, "RUN pip install x", cached=True), engine.BuildStep(4, "COPY . ."),
             engine.BuildStep(5, "LABEL org.lean-python-images.run=r")]
    result = engine.BuildResult(ok=True, image_id="sha256:x", tag="t", seconds=3.0, steps=steps, builder="buildkit")
    outcome = REGISTRY["builds"].judge(Evidence(build=result), {})
    assert outcome.message == "Built in 3.0 s with BuildKit (1 of 2 steps from cache)."


def test_the_layers_view_groups_the_base_image_and_names_each_layer_by_its_dockerfile_line():
    image = graded_report().image
    rows = layer_rows(image)
    assert rows[0] == ("base image python:3.13-slim: 2 layers", 78_800_000)
    assert [label for label, _ in rows[1:]] == ["COPY --from=builder /opt/venv /opt/venv",
                                                "RUN head -c 20971520 /dev/urandom > /tmp/big.bin", "COPY . ."]
    for fmt in ("text", "html", "terminal"):
        shown = render(graded_report(), fmt)
        assert "base image python:3.13-slim: 2 layers" in shown, fmt
        assert "ADD file:abc" not in shown and "dir:def" not in shown and "dir:123" not in shown, fmt


def test_a_layer_no_line_explains_keeps_its_history_entry_without_digests():
    image = graded_report().image
    image.layers = [LayerSummary(10, "ADD file:0123456789abcdef0123 in /"),
                    LayerSummary(20, "COPY dir:4f1c2d3e4f5a6b7c8d9e0f in /app")]
    image.base_layers, image.base_image = 0, None
    image.wasted_files = [{"path": "/x", "size_bytes": 5, "added_by": "COPY dir:4f1c2d3e4f5a6b7c8d9e0f in /app",
                           "removed_by": "RUN rm /x", "added_by_layer": 1, "removed_by_layer": 2}]
    assert [label for label, _ in layer_rows(image)] == ["ADD file:… in /", "COPY dir:… in /app"]
    assert "dir:…" in wasted_lines(image)[0] and "4f1c" not in wasted_lines(image)[0]


def test_a_hidden_file_from_a_base_layer_is_said_to_come_from_the_base_image():
    image = graded_report().image
    image.wasted_files[0]["added_by_layer"] = 0
    assert "added by the base image python:3.13-slim, hidden by `RUN rm /tmp/*.bin`" in wasted_lines(image)[0]


def test_a_long_instruction_behind_a_hidden_file_is_cut_between_words_and_says_so():
    image = graded_report().image
    long_run = ("RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev"
                " && rm -rf /var/lib/apt/lists/*")
    image.layers = [LayerSummary(10, long_run), LayerSummary(20, "RUN rm /x")]
    image.base_layers, image.base_image = 0, None
    image.wasted_files = [{"path": "/x", "size_bytes": 5, "added_by": long_run, "removed_by": "RUN rm /x",
                           "added_by_layer": 0, "removed_by_layer": 1}]
    shown = wasted_lines(image)[0]
    added = shown.split("added by `", 1)[1].split("`", 1)[0]
    assert added.endswith(" …") and len(added) <= 70, added
    assert long_run.startswith(added[:-2]) and long_run[len(added) - 2] == " ", "cut where a word ends"


def test_a_long_or_multi_line_cell_is_folded_with_all_of_it_a_click_away():
    from checker.reporters.html import FOLD_WIDTH

    report = graded_report()
    failing = report.check("app_imports")
    evidence = "\n".join(f"/usr/lib/python3/site-packages/module_{n}.so: libpq.so.5 not found" for n in range(40))
    failing.message = evidence
    failing.hint = "Install libpq5 " * 30
    html = render(report, "html")
    row = next(row for row in html.split("<tr>") if "<code>app_imports</code>" in row)
    summaries = re.findall(r"<summary>(.*?)</summary>", row)
    assert len(summaries) == 3 and summaries[2] == "Why it matters", "message and hint folded, the why behind a click"
    assert len(summaries[0]) <= FOLD_WIDTH + len("&hellip;")
    assert summaries[1].startswith("<b>Fix:</b> ") and len(summaries[1]) <= FOLD_WIDTH + len("<b>Fix:</b> &hellip;")
    assert "module_39.so" in row, "the whole text is in the row, behind the summary"
    assert "module_39.so" not in summaries[0]
    short = next(row for row in html.split("<tr>") if "<code>image_size</code>" in row)
    assert "<details" not in short, "a short message is shown as it is"
