"""What a lesson prints after a build: each fact once, steps counted one way, sizes in one format.

Issue 22: the build line said "15 of 18 steps" where the chart said "15 of 15" and the step table
had 12 rows; the summary was shown twice (widget and text); a raw ``<LessonImage ...>`` followed.
Pure logic on hand-made build results: no engine.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from checker.engine import BuildResult, BuildStep
from checker.lesson.builds import LessonImage, counted_steps
from checker.lesson.charts import rebuild_times
from checker.lesson.progress import BuildProgress

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))

STEPS = [
    BuildStep(1, "ARG PYTHON_VERSION=3.13"),
    BuildStep(2, "FROM python:3.13-slim AS builder"),
    BuildStep(3, "RUN apt-get update && apt-get install -y gcc", cached=True, seconds=0.1),
    BuildStep(4, "COPY requirements.txt .", cached=True, seconds=0.1),
    BuildStep(5, "FROM python:3.13-slim"),
    BuildStep(6, "COPY . .", cached=False, seconds=0.4),
    BuildStep(7, "CMD [\"uvicorn\", \"main:app\"]", cached=False, seconds=0.1),
    BuildStep(8, "LABEL org.lean-python-images.keep=lesson org.lean-python-images.lesson.variant=x", seconds=0.1),
]


def _image() -> LessonImage:
    result = BuildResult(ok=True, image_id=None, tag="lpi-lesson/x:latest", seconds=1.5, steps=STEPS)
    return LessonImage("x", "Example", "lpi-lesson/x:latest", "", None, result)


def test_counted_steps_are_the_dockerfiles_own_cacheable_lines():
    assert [step.number for step in counted_steps(STEPS)] == [3, 4, 6, 7]


def test_the_step_table_the_summary_and_the_chart_count_the_same_steps():
    image = _image()
    assert image.cache_summary() == "2 of 4 steps from cache"
    table = image.steps_table()
    assert len(table.rows) == 4 and "2 of 4 steps from cache" in table._repr_html_()
    figure = rebuild_times([("x", image.result)])
    texts = [text.get_text() for text in figure.axes[0].texts]
    assert any("(2 of 4 steps from cache)" in text for text in texts), texts


def test_the_build_line_is_printed_once_with_the_size_and_the_same_count(capsys):
    progress = BuildProgress("Example (lpi-lesson/x:latest)", widgets=False)
    summary = progress.finish(ok=True, seconds=1.5, steps=4, cached=2, size_bytes=180_400_000)
    assert summary == "Example (lpi-lesson/x:latest): built in 1.5 s, 180 MB, 2 of 4 steps from cache"
    assert capsys.readouterr().out.count("steps from cache") == 1


def test_in_a_kernel_the_progress_widget_gives_way_to_the_summary_line(capsys):
    pytest.importorskip("ipywidgets")
    progress = BuildProgress("Example", widgets=True)
    progress.finish(ok=True, seconds=1.5, steps=4, cached=2)
    assert progress.box is not None and progress.box.layout.display == "none", "the sentence is shown once"
    assert capsys.readouterr().out.count("steps from cache") == 1


def test_a_lesson_image_shows_as_a_sentence_not_as_a_python_repr():
    failed = BuildResult(ok=False, image_id=None, tag=None, seconds=1.0, steps=STEPS[:3], failed_step="RUN apt-get")
    image = LessonImage("x", "Example", None, "", None, failed)
    assert image._repr_markdown_() == "**Example: the build failed** at `RUN apt-get`"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_no_lesson_cell_ends_by_showing_the_image_it_just_built(notebook):
    """The build's own line already says what was built, how big and how fast."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        lines = cell.source.strip().splitlines() if cell.cell_type == "code" else []
        if lines and re.fullmatch(r"\w+", lines[-1].strip()):
            assert not re.search(rf"^{lines[-1].strip()} = lesson\.build", cell.source, re.MULTILINE), cell.source


def test_a_stand_ins_description_keeps_its_meaning_without_the_hosts_certificate_file_names():
    from checker import lesson

    text = ("Stand-in for python:3.13-slim: CPython 3.13.5 under /usr/local; trusts the host's extra CA "
            "certificates (custom-ca.crt, corp-root.pem)")
    shown = lesson.without_host_files(text)
    assert shown == "Stand-in for python:3.13-slim: CPython 3.13.5 under /usr/local; trusts the host's extra CA certificates"
    assert lesson.without_host_files("Debian trixie (debootstrap minbase)") == "Debian trixie (debootstrap minbase)"


def test_lesson_zero_prints_labels_through_the_filter():
    source = (REPO / "notebooks" / "src" / "00_environment.py").read_text()
    assert "lesson.without_host_files(labels[key])" in source


def _image_info(layers: list[tuple[int, str]]):
    from checker import engine

    return engine.ImageInfo(id="x", tags=("t",), size_bytes=sum(size for size, _ in layers), labels={},
                            layers=tuple(engine.Layer(size, made) for size, made in layers), env=(), user="",
                            cmd=None, entrypoint=None, exposed_ports=(), created="")


def test_layers_are_named_by_the_dockerfile_line_that_made_them_and_the_base_is_one_part():
    from checker.lesson.charts import category
    from checker.lesson.layers import breakdown

    base_layers = [(80_000_000, "ADD file:abc in /"), (0, 'CMD ["bash"]')]
    dockerfile = ("ARG PYTHON_VERSION=3.13\nFROM python:3.13-slim AS builder\nRUN python -m venv /opt/venv\n"
                  "FROM python:3.13-slim\nRUN apt-get update \\\n    && apt-get install -y libpq5\n"
                  "COPY --from=builder /opt/venv /opt/venv\nWORKDIR /app\nCOPY . .\nCMD [\"uvicorn\"]\n")
    image = _image_info(base_layers + [
        (4_000_000, "RUN apt-get update && apt-get install -y libpq5"),
        (60_000_000, "COPY dir:28e644f18dfd in /opt/venv"),
        (0, "WORKDIR /app"),
        (12_000, "COPY dir:087445b446e6 in ."),
        (0, 'CMD ["uvicorn"]'),
        (0, "LABEL org.lean-python-images.keep=lesson"),
    ])
    parts = breakdown(image, _image_info(base_layers), dockerfile=dockerfile)
    assert [part.label for part in parts] == [
        "base image (t)", "RUN apt-get update && apt-get install -y libpq5",
        "COPY --from=builder /opt/venv /opt/venv", "COPY . .",
    ]
    assert not any("dir:" in part.label or "sha256" in part.label for part in parts)
    assert [category(part) for part in parts] == ["base image", "run-time library", "Python packages", "app source"]
    # Without the Dockerfile, the engine's names remain (digests shortened).
    assert breakdown(image, _image_info(base_layers))[2].label == "COPY dir:… in /opt/venv"


def test_a_step_is_named_as_the_builder_that_ran_it_prints_it():
    """BuildKit: "[stage i/n] ..." counting the stage's graph nodes; classic: "Step N/M : ..." over every instruction."""
    dockerfile = ("ARG PYTHON_VERSION=3.13\nFROM python:3.13-slim AS builder\nRUN apt-get update\nENV A=b\n"
                  "COPY requirements.txt .\nFROM python:3.13-slim\nCOPY . .\nCMD [\"python\"]\n")
    steps = [BuildStep(3, "RUN apt-get update"), BuildStep(5, "COPY requirements.txt ."), BuildStep(7, "COPY . .")]
    for builder, expected in (("buildkit", ["[builder 2/3] RUN apt-get update", "[builder 3/3] COPY requirements.txt .",
                                            "[stage-1 2/2] COPY . ."]),
                              ("classic", ["Step 3/8 : RUN apt-get update", "Step 5/8 : COPY requirements.txt .",
                                           "Step 7/8 : COPY . ."])):
        result = BuildResult(ok=True, image_id=None, tag="t", seconds=1.0, steps=steps, builder=builder)
        image = LessonImage("x", "Example", "t", dockerfile, None, result)
        assert [image.printed_name(step) for step in steps] == expected
        said = "CACHED" if builder == "buildkit" else "Using cache"
        assert f"({builder} builder)" in image.steps_table()._repr_html_()
        assert said not in image.steps_table()._repr_html_(), "no step came from the cache"
    one_stage = LessonImage("x", "Example", "t", "FROM python:3.13-slim\nCOPY . .\n", None,
                            BuildResult(ok=True, image_id=None, tag="t", seconds=1.0, builder="buildkit"))
    assert one_stage.printed_name(BuildStep(2, "COPY . .", cached=True)) == "[2/2] COPY . ."


def test_buildkits_own_name_for_a_step_wins_over_the_computed_one():
    result = BuildResult(ok=True, image_id=None, tag="t", seconds=1.0, builder="buildkit")
    image = LessonImage("x", "Example", "t", "FROM python:3.13-slim\nRUN --mount=type=secret,id=t true\n", None, result)
    step = BuildStep(2, "RUN --mount=type=secret,id=t true", printed="[stage-0 2/2] RUN --mount=type=secret,id=t true")
    assert image.printed_name(step) == "[stage-0 2/2] RUN --mount=type=secret,id=t true"
    assert image.printed_name(BuildStep(2, "RUN --mount=type=secret,id=t true")) == "[2/2] RUN --mount=type=secret,id=t true"
