"""The exercise panel counts steps as the course does everywhere and shows the report with the builder
that ran the build (issues 15 and 22; fake graders, no engine)."""

from __future__ import annotations

import pytest

from checker.lesson.exercise import ExercisePanel, StepCounter
from checker.report import BuildStepSummary, counted_steps

DOCKERFILE = ("ARG PYTHON_VERSION=3.13\n"
              "FROM python:${PYTHON_VERSION}-slim AS builder\n"
              "RUN python -m venv /opt/venv\n"
              "COPY requirements.txt .\n"
              "RUN pip install -r requirements.txt\n"
              "FROM python:${PYTHON_VERSION}-slim\n"
              "COPY --from=builder /opt/venv /opt/venv\n"
              "ENV PATH=/opt/venv/bin:$PATH\n"
              "WORKDIR /app\n"
              "COPY . .\n"
              "CMD [\"python\", \"main.py\"]\n")
#: What the classic builder prints for it, the course's LABEL appended (13 steps where the course counts 8).
CLASSIC = ["Step 1/12 : ARG PYTHON_VERSION=3.13", "Step 2/12 : FROM python:3.13-slim AS builder",
           "Step 3/12 : RUN python -m venv /opt/venv", "Step 4/12 : COPY requirements.txt .",
           "Step 5/12 : RUN pip install -r requirements.txt", "Step 6/12 : FROM python:3.13-slim",
           "Step 7/12 : COPY --from=builder /opt/venv /opt/venv", "Step 8/12 : ENV PATH=/opt/venv/bin:$PATH",
           "Step 9/12 : WORKDIR /app", "Step 10/12 : COPY . .", "Step 11/12 : CMD [\"python\", \"main.py\"]",
           "Step 12/12 : LABEL org.lean-python-images.run=r"]


def test_the_panel_counts_the_same_steps_as_the_report_and_the_lessons():
    counter = StepCounter(DOCKERFILE)
    steps = [BuildStepSummary(int(line.split()[1].split("/")[0]), line.split(" : ", 1)[1], False, 0.0)
             for line in CLASSIC]
    assert counter.total == len(counted_steps(steps)) == 8
    positions = [counter.position(line) for line in CLASSIC]
    assert [position[0] for position in positions if position] == [0, 0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 8]
    assert counter.position(" ---> Using cache") is None


def test_buildkits_progress_lines_are_counted_over_the_steps_buildkit_reports():
    counter = StepCounter(DOCKERFILE)
    # BuildKit numbers a stage's graph nodes (its FROM, then RUN, COPY, ADD and WORKDIR) and reports no
    # step for ENV or CMD: the report then says "... of 6 steps", and so does the panel.
    assert counter.position("[builder 3/4] COPY requirements.txt .") == (2, "COPY requirements.txt .")
    assert counter.total == 6
    assert counter.position("[builder 4/4] RUN pip install -r requirements.txt") == (
        3, "RUN pip install -r requirements.txt")
    assert counter.position("[stage-1 4/4] COPY . .") == (6, "COPY . .")
    assert counter.position("[internal] load build definition from Dockerfile") is None


def test_a_stage_buildkit_skips_is_not_counted_for_it():
    unused = DOCKERFILE.replace("FROM python:${PYTHON_VERSION}-slim\n",
                                "FROM python:${PYTHON_VERSION}-slim AS tests\nRUN pytest\n"
                                "FROM python:${PYTHON_VERSION}-slim\n", 1)
    counter = StepCounter(unused)
    assert (len(counter.classic), len(counter.buildkit)) == (9, 6)


@pytest.mark.parametrize("builder, said", [("buildkit", "Built with BuildKit"),
                                           ("classic", "Built with the classic builder")])
def test_the_panels_report_names_the_builder_that_built_the_image_and_the_engine(tmp_path, builder, said):
    from tests.checker.reporters.fake_reports import graded_report

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(DOCKERFILE)

    def grader(exercise_dir, path, *, on_line, on_phase):
        for line in CLASSIC:
            on_line(line)
        report = graded_report()
        report.build.builder = builder
        report.engine["builder"] = builder
        return report

    panel = ExercisePanel("02", dockerfile, grader=grader)
    panel.check(wait=True)
    assert said in panel.report.value
    assert "Docker 28.5.2" in panel.report.value and "image store containerd" in panel.report.value
    assert (panel.progress.value, panel.progress.max) == (8, 8)
    assert "base image python:3.13-slim: 2 layers" in panel.report.value


@pytest.mark.docker
def test_on_the_real_engine_the_panel_the_report_and_the_layers_agree(engine_ready, run_ids):
    import re
    from pathlib import Path

    from checker import engine
    from checker.lesson.exercise import grade_submission

    solution = Path(__file__).resolve().parents[3] / "solutions" / "02-multi-stage" / "Dockerfile"
    reports = []

    def grader(exercise_dir, dockerfile, *, on_line, on_phase):
        reports.append(grade_submission(exercise_dir, dockerfile, on_line=on_line, on_phase=on_phase))
        return reports[-1]

    panel = ExercisePanel("02", solution, grader=grader)
    panel.check(wait=True)
    assert reports, panel.status.value
    report = reports[0]
    run_ids.append(report.run_id)
    assert report.status != "error", report.error
    counted = re.search(r"\((\d+) of (\d+) steps from cache\)", report.check("builds").message)
    assert counted, report.check("builds").message
    assert panel.progress.max == int(counted.group(2)), "the panel's progress counts the steps the report counts"
    measured = engine.choose_builder(engine_ready).name
    assert report.build.builder == measured
    shown = panel.report.value
    assert f"Built with {'BuildKit' if measured == 'buildkit' else 'the classic builder'} in" in shown
    layers = shown.split("<summary>Layers</summary>", 1)[1]
    assert re.search(r"base image python:3\.13-slim: \d+ layers", layers), layers[:400]
    assert "COPY --from=builder /opt/venv /opt/venv" in layers and "COPY . ." in layers
    assert not re.search(r"(dir|file):[0-9a-f]{6}", layers), "a layer shows a content digest"
