"""The notebook helpers' pure parts: context filtering, log parsing, layer attribution, quizzes.

No engine here; the notebooks (run by nbval) exercise the parts that build and probe.
"""

from __future__ import annotations

import pytest

from checker import engine
from checker.dockerignore import DockerIgnore
from checker.lesson.builds import LessonImage
from checker.lesson.charts import category
from checker.lesson.context import included_files, stage
from checker.lesson.explorers import CacheExplorer, instructions
from checker.lesson.layers import Part, base_layer_count, breakdown
from checker.lesson.probe import parse_numbers
from checker.lesson.pypi import canonical, manylinux, musllinux, requirement_lines
from checker.lesson.quiz import Quiz, self_test
from checker.lesson.table import Table, human_bytes
from checker.lesson.variants import VARIANTS

SAMPLE_IGNORE = """
# comment
.git
.venv
__pycache__
**/__pycache__
*.pyc
Dockerfile
Dockerfile.*
README.md
!keep.md
"""


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        (".venv/bin/python", True),
        (".git/HEAD", True),
        ("__pycache__/main.cpython-313.pyc", True),
        ("migrations/__pycache__/env.cpython-313.pyc", True),
        ("main.pyc", True),
        ("migrations/env.pyc", False),  # *.pyc matches at the root only, as in Docker
        ("Dockerfile", True),
        ("Dockerfile.single", True),
        ("README.md", True),
        ("keep.md", False),
        ("main.py", False),
        ("migrations/versions/0001_notes.py", False),
    ],
)
def test_dockerignore_patterns_follow_dockers_rules(path, excluded):
    assert DockerIgnore.parse(SAMPLE_IGNORE).excludes(path) is excluded


def test_when_the_last_matching_pattern_negates_then_the_file_is_sent():
    ignore = DockerIgnore.parse("*.md\n!README.md\n")
    assert not ignore.excludes("README.md") and ignore.excludes("NOTES.md")


def test_when_an_excluded_file_is_edited_then_the_staged_context_does_not_change(tmp_path):
    source = tmp_path / "app"
    source.mkdir()
    (source / ".dockerignore").write_text("README.md\n")
    (source / "README.md").write_text("docs\n")
    (source / "main.py").write_text("print('hi')\n")
    staged = stage(tmp_path / "ctx", source=source, edits={"README.md": "more\n", "main.py": "# edited\n"})
    assert not (staged / "README.md").exists()
    assert (staged / "main.py").read_text().endswith("# edited\n")
    assert included_files(source) == [".dockerignore", "main.py"]
    assert included_files(source, dockerignore=False) == [".dockerignore", "README.md", "main.py"]


def test_a_lesson_image_maps_step_numbers_to_the_images_the_log_named():
    steps = [engine.BuildStep(1, "FROM python:3.13-slim", image_id="34d220e1d0a5"),
             engine.BuildStep(2, "RUN true", image_id="650c97399cd0"),
             engine.BuildStep(3, "COPY . .", cached=True, image_id="4ae7fd0bfc1f")]
    result = engine.BuildResult(ok=True, image_id="4ae7fd0bfc1f", tag="t", seconds=1.0, steps=steps)
    image = LessonImage("x", "x", "t", "FROM scratch", None, result)
    assert image.step_images == {1: "34d220e1d0a5", 2: "650c97399cd0", 3: "4ae7fd0bfc1f"}
    assert image.step("COPY").cached and image.step("RUN").number == 2


def test_probe_numbers_are_read_from_du_and_wc_output():
    assert parse_numbers("123\t/usr/include\nnoise\n45 /usr/bin\n") == {"/usr/include": 123, "/usr/bin": 45}


def _info(layers):
    return engine.ImageInfo(id="x", tags=("t",), size_bytes=sum(s for s, _ in layers), labels={},
                            layers=tuple(engine.Layer(s, c) for s, c in layers), env=(), user="", cmd=None,
                            entrypoint=None, exposed_ports=(), created="")


def test_breakdown_groups_the_base_layers_and_keeps_ours():
    base = _info([(100, "ADD rootfs"), (50, "RUN install python")])
    image = _info([(100, "ADD rootfs"), (50, "RUN install python"), (0, "WORKDIR /app"),
                   (30, "|1 PYTHON_VERSION=3.13 RUN pip install -r requirements.txt"), (5, "COPY dir:abc in .")])
    assert base_layer_count(image, base) == 2
    parts = breakdown(image, base, base_label="base")
    assert [(p.label, p.size_bytes, p.from_base) for p in parts] == [
        ("base", 150, True), ("RUN pip install -r requirements.txt", 30, False), ("COPY dir:… in .", 5, False)]
    assert [category(p) for p in parts] == ["base image", "Python packages", "app source"]
    assert base_layer_count(image, _info([(1, "other")])) == 0


def test_layer_categories_tell_build_tools_from_runtime_libraries():
    assert category(Part("RUN apt-get update && apt-get install -y gcc libpq-dev", 1, False)) == "compilers and headers"
    assert category(Part("RUN apt-get update && apt-get install -y libpq5", 1, False)) == "run-time library"
    assert category(Part("COPY dir:… in /opt/venv", 1, False)) == "Python packages"
    assert category(Part("COPY dir:… in /usr/local", 1, False)) == "Python packages + interpreter"


def test_platform_tags_include_every_older_tag_the_system_accepts():
    musl = musllinux(2)
    assert musl.tags == ("musllinux_1_2_x86_64", "musllinux_1_1_x86_64", "musllinux_1_0_x86_64")
    glibc = manylinux(41)
    assert "manylinux_2_17_x86_64" in glibc.tags and "manylinux2014_x86_64" in glibc.tags
    assert "manylinux_2_42_x86_64" not in glibc.tags
    assert canonical("Pydantic_Core") == canonical("pydantic-core") == "pydantic-core"
    assert requirement_lines("# c\nfastapi==1\n\n-e .\nalembic==2 # pinned\n") == ["fastapi==1", "alembic==2"]


def test_instructions_join_continuations_and_skip_comments():
    text = "# top\nARG X=1\nFROM a AS b\nRUN one \\\n    # inside\n    && two\n\nCOPY . .\n"
    assert instructions(text) == ["ARG X=1", "FROM a AS b", "RUN one && two", "COPY . ."]


def test_every_variant_dockerfile_has_a_step_per_instruction_and_a_final_cmd():
    for name, spec in VARIANTS.items():
        steps = instructions(spec.dockerfile())
        assert steps[0].startswith("ARG PYTHON_VERSION"), name
        assert steps[-1].startswith("CMD "), name


def test_cache_explorer_offers_only_cacheable_steps_and_predicts_by_number():
    explorer = CacheExplorer(builder="classic")
    explorer.choose(order="wrong", changed="main.py")
    numbers = [n for n, _ in explorer.steps()]
    assert all(not text.startswith(("ARG", "FROM")) for _, text in explorer.steps())
    assert any(text.startswith("CMD") for _, text in explorer.steps()), "the classic builder runs CMD as a step"
    explorer.predict(rebuilt=numbers[-2:])
    assert [box.value for box in explorer.checkboxes.values()].count(True) == 2
    with pytest.raises(KeyError):
        explorer.predict(rebuilt=[999])


def test_with_buildkit_the_cache_explorer_offers_only_the_steps_buildkit_runs():
    classic = dict(CacheExplorer(builder="classic").steps())
    buildkit = dict(CacheExplorer(builder="buildkit").steps())
    assert set(buildkit) < set(classic)
    assert {text.split()[0] for text in buildkit.values()} <= {"RUN", "COPY", "ADD", "WORKDIR"}
    assert {number: text for number, text in classic.items() if text.split()[0] in {"RUN", "COPY", "WORKDIR"}} == buildkit


def test_quiz_gives_feedback_for_every_option_and_passes_only_the_answer():
    quiz = Quiz("Q?", ["a", "b", "c"], answer="b", why="because", hints={"a": "not a"})
    assert quiz.check() is False and "Pick an answer" in quiz.feedback.value
    quiz.choose("a")
    assert quiz.check() is False and "not a" in quiz.feedback.value
    quiz.choose(1)
    assert quiz.check() is True and "because" in quiz.feedback.value
    self_test(quiz)
    with pytest.raises(ValueError):
        Quiz("Q?", ["a"], answer="z")


def test_table_formats_cells_and_finds_rows():
    table = Table(["name", "size"], formats={"size": human_bytes}).add(name="a", size=1_234_567)
    assert table.row("a")["size"] == 1_234_567
    assert "1.2 MB" in repr(table) and "1.2 MB" in table._repr_html_()
    assert human_bytes(999) == "999 B" and human_bytes(1_045_999_064) == "1.0 GB"


def test_no_variant_name_looks_like_a_stage_image_name():
    """Stage images built to measure a stage are named <build>--<stage> and left out of the lesson-image charts."""
    from checker.lesson.builds import STAGE_SEPARATOR
    from checker.lesson.variants import VARIANTS

    assert not [name for name in VARIANTS if STAGE_SEPARATOR in name]
