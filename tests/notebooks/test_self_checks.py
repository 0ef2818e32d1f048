"""The lessons read as lessons: self-checks defined out of sight, answered only here, scaffolding hidden.

Issue 22: a Run All must not answer a quiz or drive an explorer for the learner, and the cells
that only assert (for nbval) are collapsed. No engine: the quizzes are built from fake measurements,
the lessons are read as files.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from checker import lesson
from checker.lesson.explorers import CacheExplorer
from checker.lesson.layers import Part
from checker.lesson.quiz import Quiz, inline_markdown, plain_text, self_test
from checker.lesson.predictions import CLOSE_FACTOR, prediction_names
from checker.lesson.quizzes import self_check_names

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
_USED = re.compile(r"""lesson\.self_check\(\s*["']([^"']+)["']""")
#: Fake measurements for the self-checks whose answer is measured.
MEASURED = {
    "largest-own-layer": ([Part("RUN pip install -r requirements.txt", 90, False), Part("COPY . .", 5, False),
                           Part("RUN apt-get install gcc", 20, False), Part("WORKDIR /app", 0, False)],),
    "usr-local-copy": ("overlay2",),
}
#: Fake measurements that settle each prediction, and the option they make right (None: a number).
SETTLED = {
    "full-single-size": ((1_200_000_000,), None),
    "share-removed": ((0.8,), "more than three quarters"),
    "musl-compiles": ((30, ["psycopg2"], ["psycopg2"]), "only those that compile on slim (glibc) too"),
    "unhealthy-action": (("running",), "nothing: the container keeps running, marked unhealthy"),
    "pip-cache-weight": ((3_000_000,), None),
    "bone-size": ((61_000_000,), None),
}
_PREDICTED = re.compile(r"""(\w+) = lesson\.prediction\(\s*["']([^"']+)["']""")


def _code(notebook: Path) -> list[nbformat.NotebookNode]:
    return [cell for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]


@pytest.mark.parametrize("name", self_check_names())
def test_every_self_check_gives_feedback_for_each_option_and_passes_only_its_answer(name):
    quiz = lesson.self_check(name, *MEASURED.get(name, ()))
    self_test(quiz)
    assert quiz.choice.value is None, "self_test leaves it unanswered"
    quiz.choose(quiz.answer)
    assert quiz.check() and "Right" in quiz.feedback.value


def test_a_measured_self_check_follows_the_measurement():
    assert lesson.self_check("largest-own-layer", *MEASURED["largest-own-layer"]).answer.startswith("RUN pip")
    on_containerd = lesson.self_check("usr-local-copy", "containerd")
    assert "leaves out the files identical" in on_containerd.why and "biggest" not in str(on_containerd.hints)
    assert "second set" in lesson.self_check("usr-local-copy", "overlay2").why
    with pytest.raises(KeyError, match="no self-check named"):
        lesson.self_check("no-such-check")


def test_every_self_check_is_used_by_a_lesson_and_every_lesson_uses_known_ones():
    used = [name for notebook in LESSONS for cell in _code(notebook) for name in _USED.findall(cell.source)]
    assert sorted(used) == sorted(self_check_names()), "each self-check appears once in the lessons"


def test_quiz_text_renders_markdown_and_options_show_no_marks():
    quiz = Quiz("Does `COPY` add a **layer**?", ["`COPY` *does*", "no"], answer=0, why="It *does*: `COPY . .`.")
    assert [label for label, _ in quiz.choice.options] == ["COPY does", "no"]
    assert "<code>COPY</code>" in quiz.box.children[0].value and "<b>layer</b>" in quiz.box.children[0].value
    quiz.choose(0)
    assert quiz.check() and "<code>COPY . .</code>" in quiz.feedback.value and "`" not in quiz.feedback.value
    assert inline_markdown("a <b> 2*3") == "a &lt;b&gt; 2*3" and plain_text("**x** `y`") == "x y"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_no_lesson_answers_drives_or_shows_test_scaffolding(notebook):
    sources = "\n".join(cell.source for cell in _code(notebook))
    for scaffolding in ("self_test(", ".choose(", ".predict(", ".lock_in(", ".run()", ".show(", "lesson.Quiz(", "answer=",
                        "NBVAL_IGNORE_OUTPUT", "from code"):
        assert scaffolding not in sources, f"{notebook.name} has {scaffolding!r} in a code cell"
    markdown = " ".join(cell.source for cell in nbformat.read(notebook, as_version=4).cells)
    assert "Keeping this notebook honest" not in markdown


def test_every_prediction_is_settled_by_its_measurements():
    assert sorted(SETTLED) == sorted(prediction_names()), "a fake measurement for each prediction"


@pytest.mark.parametrize("name", prediction_names())
def test_a_prediction_locked_in_before_the_reveal_is_compared_with_the_measurement(name):
    measured, right = SETTLED[name]
    guess = lesson.prediction(name)
    assert not guess.lock_in(), "nothing to lock in before the learner chooses"
    if right is None:
        guess.choose(measured[0] / 1e6 * CLOSE_FACTOR * 2)
    else:
        guess.choose(next(option for option in guess.options if option != right))
    assert guess.lock_in() and guess.input.disabled and guess.button.disabled, "a locked prediction is frozen"
    answer = guess.reveal(*measured)
    assert guess.verdict is not None and not guess.verdict.right and "✗" in answer.text
    fresh = lesson.prediction(name)
    answer = fresh.reveal(*measured)
    assert fresh.verdict is None and "Lock in a prediction" in answer.text, "revealed first: the fact, no verdict"
    fresh.choose(measured[0] / 1e6 if right is None else right)
    assert fresh.lock_in() and fresh.verdict is not None and fresh.verdict.right and "✓" in answer.text, \
        "a prediction locked in after the reveal still gets its verdict"


def test_a_number_prediction_is_close_within_the_factor_and_says_how_far_off_otherwise():
    guess = lesson.prediction("bone-size")
    guess.choose(100)
    guess.lock_in()
    assert "1.7 times the measurement" in repr(guess.reveal(60_000_000))
    assert guess.reveal(80_000_000).prediction.verdict.right
    assert "5.0 times that" in repr(guess.reveal(500_000_000))


def test_a_prediction_the_lesson_could_not_measure_says_so():
    guess = lesson.prediction("musl-compiles")
    assert "Not measured here" in guess.reveal(None).text and guess.verdict is None


def test_the_unhealthy_prediction_follows_the_container_state_measured():
    guess = lesson.prediction("unhealthy-action")
    assert guess.options[guess.settle("running")[0]].startswith("nothing")
    assert guess.options[guess.settle("restarting")[0]] == "it restarts the container"
    assert guess.options[guess.settle("exited")[0]] == "it stops the container"


def test_the_musl_prediction_follows_what_the_index_answered():
    options = lesson.prediction("musl-compiles").options
    settle = lesson.prediction("musl-compiles").settle
    assert options[settle(30, [], [])[0]] == "none of them"
    assert options[settle(30, ["a", "b"], ["b"])[0]] == "some that have glibc wheels but no musl wheels"
    assert options[settle(3, ["a", "b"], [])[0]] == "most of them, as the article says"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_a_lesson_asks_each_prediction_before_its_build_and_reveals_it_after(notebook):
    sources = [cell.source for cell in _code(notebook)]
    for index, source in enumerate(sources):
        for variable, name in _PREDICTED.findall(source):
            assert name in prediction_names(), f"{notebook.name}: unknown prediction {name!r}"
            later = sources[index + 1:]
            build = next(i for i, cell in enumerate(later) if re.search(r"lesson\.(build_variant|build|run_in)\(", cell))
            reveal = next(i for i, cell in enumerate(later) if f"{variable}.reveal(" in cell)
            assert build < reveal, f"{notebook.name}: {name} is revealed after the build that measures it"


def test_lessons_1_2_4_6_7_and_8_predict_before_their_main_build_and_each_prediction_is_asked_once():
    asked = {notebook.name[:2]: [name for cell in _code(notebook) for _, name in _PREDICTED.findall(cell.source)]
             for notebook in LESSONS}
    assert all(asked[number] for number in ("01", "02", "04", "06", "07", "08")), asked
    assert sorted(name for names in asked.values() for name in names) == sorted(prediction_names())


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_cells_that_only_assert_are_collapsed(notebook):
    def only_asserts(source: str) -> bool:
        statements = [line for line in source.splitlines() if line.strip() and not line.startswith((" ", "#"))]
        return bool(statements) and all(line.startswith("assert ") for line in statements)

    shown = [cell.source[:80] for cell in _code(notebook)
             if only_asserts(cell.source) and not cell.metadata.get("jupyter", {}).get("source_hidden")]
    assert not shown, f"{notebook.name}: assertion cells left open: {shown}"


def test_cache_explorer_forgets_its_result_when_an_input_changes():
    explorer = CacheExplorer()
    explorer.outcome = object()  # type: ignore[assignment]  (as after a run)
    explorer.choose(changed="README.md")
    assert explorer.outcome is None
    explorer.outcome = object()  # type: ignore[assignment]
    explorer.predict(rebuilt=[next(iter(explorer.checkboxes))])
    assert explorer.outcome is None
    explorer.outcome = object()  # type: ignore[assignment]
    explorer.choose(order="wrong")
    assert explorer.outcome is None
