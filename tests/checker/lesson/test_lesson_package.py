"""The shape of checker/lesson/: the facade's names, and the grader never importing the lessons."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parents[3] / "checker"

#: What notebooks reach as ``lesson.X`` (``from checker import lesson``): kept through the move
#: into the package. ``exercise`` (a link helper no notebook used) gave its name to the
#: ``checker.lesson.exercise`` submodule, the exercise notebooks' panel. ``cli`` (the terminal
#: commands), ``prediction`` and ``Prediction`` (predict, then measure), ``your_turn`` and
#: ``watch_health`` / ``HealthWatch`` (lesson 6's HEALTHCHECK) came later.
FACADE = {
    "CacheExplorer", "HealthWatch", "LessonImage", "Terminal", "builders_offered", "terminal", "Part", "Prediction", "ProbeResult", "Quiz", "SAMPLE_APP_DIR", "SizeExplorer", "Table",
    "VARIANTS", "Variant", "add_developer_clutter", "article", "base_images", "breakdown", "breakdown_table",
    "build", "build_variant", "cli", "comparison_table", "context_size", "discard", "dockerfile", "environment",
    "human_bytes", "human_seconds", "layer_bars", "layer_stack", "lesson_images", "lesson_tag", "measured", "parse_numbers",
    "parts_of", "prediction", "pull_seconds", "pypi", "rebuild_times", "run_in", "self_check", "self_test", "settings", "size_bars", "stage",
    "temporary_context", "value_bars", "variant", "watch_health", "without_host_files", "your_turn",
}


def test_the_facade_exposes_every_name_the_notebooks_use():
    from checker import lesson

    assert set(lesson.__all__) == FACADE
    assert all(hasattr(lesson, name) for name in FACADE)
    assert callable(lesson.build) and lesson.build.__module__ == "checker.lesson.builds"


def test_the_exercise_panel_lives_in_the_lesson_package():
    from checker.lesson.exercise import ExercisePanel, exercise_panel

    assert callable(exercise_panel) and ExercisePanel.__module__ == "checker.lesson.exercise"


def test_no_lesson_module_is_left_at_the_top_of_checker():
    assert not sorted(CHECKER.glob("lesson_*.py")) and not (CHECKER / "lesson.py").exists()
    assert not (CHECKER / "exercise_widget.py").exists()


def _imports(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved against checker/)."""
    package = ".".join(path.relative_to(CHECKER.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("path", [p for p in sorted(CHECKER.rglob("*.py")) if "lesson" not in p.relative_to(CHECKER).parts],
                         ids=lambda p: str(p.relative_to(CHECKER)))
def test_the_grader_never_imports_the_lessons(path):
    assert not {name for name in _imports(path) if name == "checker.lesson" or name.startswith("checker.lesson.")}


@pytest.mark.parametrize("path", sorted((CHECKER / "lesson").glob("*.py")), ids=lambda p: p.name)
def test_no_lesson_module_is_over_600_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600
