"""The bench's pure parts: statistics, goals, Dockerfile variants, the lower bound, the Markdown table."""

from __future__ import annotations

import json

import pytest

from bench import dockerfiles, goals, report, stats
from bench.bound import BoundError, LayerLike, lower_bound

REFERENCE = """\
ARG PYTHON_VERSION=3.13
FROM python:${PYTHON_VERSION}-slim AS builder
RUN python -m venv /opt/venv
WORKDIR /build
COPY requirements.txt .
RUN pip install --no-cache-dir \\
    -r requirements.txt
FROM python:${PYTHON_VERSION}-slim
COPY --from=builder /opt/venv /opt/venv
COPY . .
"""


def test_a_stat_reports_median_min_and_max_of_its_runs():
    stat = stats.of([3, 1, 2, 10, 4], "s")
    assert (stat.median, stat.min, stat.max, stat.n) == (3, 1, 10, 5)
    assert stats.Stat.from_dict(json.loads(json.dumps(stat.to_dict()))) == stat


def test_an_even_number_of_runs_has_the_mean_of_the_middle_two_as_median():
    assert stats.of([1, 2, 3, 4], "s").median == 2.5


def test_a_stat_without_runs_is_refused():
    with pytest.raises(ValueError):
        stats.Stat((), "s")


def test_a_ratio_of_stats_spans_the_extreme_ratios():
    ratio = stats.ratio(stats.of([10, 20, 30], "s"), stats.of([1, 2, 4], "s"))
    assert ratio.median == 10
    assert ratio.min == pytest.approx(10 / 4)
    assert ratio.max == pytest.approx(30 / 1)


def test_timed_runs_the_warmup_unmeasured():
    calls = []
    stat, results = stats.timed(lambda: calls.append(1) or len(calls), 3, warmup=2)
    assert stat.n == 3 and len(calls) == 5 and results == [3, 4, 5]


def test_formatting_uses_decimal_units_and_shows_the_range():
    assert stats.format_bytes(186_695_720) == "186.7 MB"
    assert stats.format_bytes(1_060_000_000) == "1.06 GB"
    assert stats.format_stat(stats.of([0.5, 0.25, 0.75], "s")) == "500 ms (250 ms – 750 ms, n=3)"
    assert stats.format_stat(stats.of([5, 5, 5], "B")) == "5 B (all 3 equal)"


def test_a_goal_at_its_limit_is_met_and_above_it_is_missed():
    assert goals.at_most("g", "x <= 1", 1.0, 1.0).met
    assert not goals.at_most("g", "x <= 1", 1.01, 1.0).met


def test_a_goal_that_was_not_measured_counts_as_missed():
    goal = goals.at_most("g", "x <= 1", None, 1.0)
    assert not goal.met and "NOT MEASURED" in goal.verdict()


def test_when_the_reference_meets_the_size_goal_it_is_judged_on_the_reference():
    goal = goals.size_ratio_goal(0.15, 0.14, 0.12, "solutions/04-x/Dockerfile")
    assert goal.met and goal.value == 0.14 and "reference" in goal.subject


def test_when_only_the_best_solution_meets_the_size_goal_it_is_judged_on_it_and_says_so():
    goal = goals.size_ratio_goal(0.15, 0.18, 0.14, "solutions/04-x/Dockerfile")
    assert goal.met and goal.value == 0.14
    assert "04-x" in goal.subject and "0.180" in goal.subject and "misses" in goal.subject


def test_when_neither_meets_the_size_goal_it_is_missed_on_the_reference():
    goal = goals.size_ratio_goal(0.15, 0.18, 0.16, "solutions/04-x/Dockerfile")
    assert not goal.met and goal.value == 0.18 and "0.160" in goal.subject


def test_the_slim_variant_changes_only_the_full_from_line():
    text = "ARG PYTHON_VERSION=3.13\nFROM python:${PYTHON_VERSION}\nRUN true\n"
    assert dockerfiles.on_slim(text) == "ARG PYTHON_VERSION=3.13\nFROM python:${PYTHON_VERSION}-slim\nRUN true\n"


def test_the_wrong_order_variant_copies_the_source_before_installing():
    wrong = dockerfiles.wrong_order(REFERENCE)
    lines = wrong.splitlines()
    assert lines.index("COPY . .") < lines.index("RUN pip install --no-cache-dir \\")
    assert "COPY requirements.txt ." not in wrong


def test_a_technique_is_added_after_the_whole_pip_install_instruction():
    text = dockerfiles.with_techniques(REFERENCE, ("no-pip",))
    lines = text.splitlines()
    assert lines[lines.index("    -r requirements.txt") + 1].startswith("RUN /opt/venv/bin/python -m pip uninstall")


def test_a_dockerfile_without_pip_install_cannot_take_a_technique():
    with pytest.raises(dockerfiles.VariantError):
        dockerfiles.after_install("FROM python:3.13-slim\nCOPY . .\n", "RUN true")


def test_techniques_are_recognised_in_code_but_not_in_comments():
    text = "# we could strip the .so files\nRUN pip uninstall -y pip && find / -name __pycache__ -exec rm -rf {} +\n"
    assert dockerfiles.techniques_used(text) == ["no-pip", "no-pyc"]


def test_removing_pycache_after_compileall_b_counts_as_bytecode_only_not_as_no_pyc():
    text = ("RUN python -m compileall -q -b /opt/venv/lib && find /opt/venv/lib -name '*.py' -delete \\\n"
            "    && find /opt/venv/lib -name __pycache__ -exec rm -rf {} +\n")
    assert dockerfiles.techniques_used(text) == ["bytecode-only"]


def test_the_bytecode_only_variant_follows_the_install_in_the_builder_stage():
    text = dockerfiles.with_techniques(REFERENCE, ("bytecode-only",))
    builder = text.split("FROM ")[1]
    assert "compileall -q -b" in builder and builder.index("compileall") > builder.index("pip install")


def _layers():
    return [
        LayerLike(100, "ADD file:abc in /"),
        LayerLike(0, "CMD [\"python3\"]"),
        LayerLike(7, "RUN apt-get update && apt-get install -y libpq5"),
        LayerLike(3, "RUN useradd app"),
        LayerLike(50, "COPY dir:123 in /opt/venv"),
        LayerLike(2, "COPY dir:456 in ."),
        LayerLike(0, "USER app"),
    ]


def test_the_lower_bound_is_base_plus_library_plus_venv_plus_app():
    bound = lower_bound(100, 2, _layers())
    assert (bound.base_bytes, bound.runtime_lib_bytes, bound.venv_bytes, bound.app_bytes) == (100, 7, 50, 2)
    assert bound.bytes == 159
    assert bound.other_bytes == 3 and len(bound.other_layers) == 1


def test_an_image_without_the_runtime_library_has_no_bound():
    with pytest.raises(BoundError):
        lower_bound(100, 2, [layer for layer in _layers() if "libpq5" not in layer.created_by])


def _results(**overrides):
    s = stats.of
    results = {
        "generated": "2026-01-01 00:00 UTC", "duration_s": 600, "bench_s": 600,
        "engine": {"server_version": "20.10.24", "api_version": "1.41", "storage_driver": "overlay2",
                   "operating_system": "Debian", "buildkit": False},
        "machine": {"cores": 2, "memory_bytes": 8e9, "kernel": "6.1", "arch": "x86_64"},
        "base_images": [{"ref": "python:3.13-slim", "available": True, "standin": True, "detail": "Stand-in", "size_bytes": 123e6},
                        {"ref": "python:3.13-alpine", "available": False, "standin": False, "detail": "not here", "size_bytes": None}],
        "sizes": {"rows": [{"id": "reference", "label": "multi-stage", "dockerfile": "sample_app/Dockerfile",
                            "article": "180 MB", "size": s([187e6] * 3, "B").to_dict(), "note": ""},
                           {"id": "alpine", "label": "alpine", "dockerfile": "-", "article": "120 MB", "size": None,
                            "note": "not measured: unavailable"}]},
        "cold_build": {"seconds": s([80, 82, 90], "s").to_dict()},
        "rebuild": {"right_order": {"seconds": s([2, 3, 4], "s").to_dict(), "cache": ["19/20 steps cached"]},
                    "wrong_order": {"seconds": s([40, 50, 60], "s").to_dict(), "cache": []},
                    "ratio": stats.ratio(s([40, 50, 60], "s"), s([2, 3, 4], "s")).to_dict()},
        "checker": {"lint": None, "lint_error": "no module", "hadolint": s([0.1] * 5, "s").to_dict(),
                    "classroom": {"error": "missing"}},
        "ci": {"measured": False, "reason": "opt-in"},
        "goals": [goals.at_most("reference-vs-bound", "reference / bound <= 1.05", 1.01, 1.05).to_dict(),
                  goals.at_most("size-vs-full", "final / full <= 0.15", 0.18, 0.15).to_dict()],
    }
    results.update(overrides)
    return results


def test_the_table_names_engine_machine_and_base_images():
    text = report.render(_results())
    assert "Docker 20.10.24" in text and "overlay2" in text and "classic builder" in text
    assert "2 cores" in text and "kernel 6.1" in text
    assert "**python:3.13-slim:** stand-in" in text and "**python:3.13-alpine:** unavailable" in text


def test_the_table_shows_medians_with_ranges_and_verdicts():
    text = report.render(_results())
    assert "| cold build of the reference (nocache) | 82.0 s (80.0 s – 90.0 s, n=3) |" in text
    assert "187.0 MB (all 3 equal)" in text
    assert "| final / full <= 0.15 | 0.180 | 0.15 | **MISSED** |" in text
    assert "| reference / bound <= 1.05 | 1.010 | 1.05 | met |" in text


def test_the_table_says_what_was_not_measured_and_why():
    text = report.render(_results())
    assert "not measured: unavailable" in text
    assert "not measured: no module" in text
    assert "Not measured in this run: opt-in" in text


def test_the_table_is_marked_as_generated():
    assert report.render(_results()).startswith("<!-- Generated by `make bench`")


def test_the_bone_image_is_shown_beside_the_reference_with_its_ratios_import_time_and_cold_start():
    s = stats.of
    bone = {"dockerfile": "solutions/08-to-the-bone/Dockerfile", "note": "3 runs", "size_bytes": 58.7e6,
            "reference_bytes": 187e6, "full_bytes": 1046e6, "over_full": 58.7e6 / 1046e6, "bound_bytes": 187e6,
            "over_bound": 58.7e6 / 187e6, "import_time": s([0.5] * 5, "s").to_dict(),
            "reference_import_time": s([0.6] * 5, "s").to_dict(),
            "cold_start": {"bone": s([4, 5, 6], "s").to_dict(), "reference": s([5, 6, 7], "s").to_dict(),
                           "ratio": stats.ratio(s([4, 5, 6], "s"), s([5, 6, 7], "s")).to_dict()}}
    text = report.render(_results(bone=bone))
    assert "| size | 58.7 MB | 187.0 MB |" in text
    assert "| / single-stage full image (1.05 GB) | 0.056 | 0.179 |" in text
    assert "| / lower bound (187.0 MB) | 0.314 | 1.000 |" in text
    assert "| cold start to first /health 200 | 5.0 s (4.0 s – 6.0 s, n=3) | 6.0 s (5.0 s – 7.0 s, n=3) |" in text


def test_a_bone_image_that_could_not_be_measured_says_why():
    text = report.render(_results(bone={"dockerfile": "solutions/08-to-the-bone/Dockerfile",
                                        "error": "not measured: solutions/08-to-the-bone/Dockerfile does not exist"}))
    assert "not measured: solutions/08-to-the-bone/Dockerfile does not exist" in text


def _checker_measured(ratio: float, rate: float | None, agree: bool, lint: float) -> dict:
    return {"grade_over_bare": stats.ratio(stats.of([ratio], "s"), stats.of([1.0], "s")).to_dict(),
            "lint_over_hadolint": stats.ratio(stats.of([lint], "s"), stats.of([1.0], "s")).to_dict(),
            "classroom": {"jobs": 2, "students": 30, "mix": {}, "passed": 5, "not_graded": 0,
                          "serial": {"wall_seconds": 90, "submissions_per_minute": 20.0},
                          "parallel": {"wall_seconds": 50, "submissions_per_minute": rate},
                          "serial_and_parallel_grades_agree": agree}}


def test_the_checker_goals_are_met_only_within_every_limit():
    from bench import checker_goals

    met = checker_goals.goals(_checker_measured(1.1, 36.0, True, 0.05))
    assert [goal.id for goal in met] == ["grade-vs-bare", "class-throughput", "lint-vs-hadolint"]
    assert all(goal.met for goal in met)
    missed = {goal.id for goal in goals.missed(checker_goals.goals(_checker_measured(1.3, 29.0, True, 1.2)))}
    assert missed == {"grade-vs-bare", "class-throughput", "lint-vs-hadolint"}


def test_a_class_whose_serial_and_parallel_grades_disagree_misses_its_goal_however_fast():
    from bench import checker_goals

    judged = {goal.id: goal for goal in checker_goals.goals(_checker_measured(1.0, 100.0, False, 0.05))}
    assert not judged["class-throughput"].met and judged["class-throughput"].value is None


def test_nothing_measured_misses_every_checker_goal_and_still_renders():
    from bench import checker_goals

    measured = {"grade_error": "RuntimeError: no engine", "classroom": {"error": "RuntimeError: no engine"}}
    measured["goals"] = [goal.to_dict() for goal in checker_goals.goals(measured)]
    assert not any(goal["met"] for goal in measured["goals"])
    text = "\n".join(report.checker_goals_section(measured))
    assert text.count("MISSED") == 3 and "not measured: RuntimeError: no engine" in text


@pytest.mark.parametrize("only", ["nope", "grade,nope", ","])
def test_bench_checker_only_refuses_a_part_it_does_not_measure(only, capsys):
    from bench import checker_goals

    with pytest.raises(SystemExit) as stopped:
        checker_goals.main(["--only", only])
    assert stopped.value.code == 2 and "--only takes some of grade, class, lint" in capsys.readouterr().err
