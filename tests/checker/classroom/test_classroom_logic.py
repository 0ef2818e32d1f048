"""grade-class without an engine: a fake grader stands in for `checker grade`.

These tests pin the class-level behaviour (gradebook, isolation, resume, shards, interrupts)
in seconds; tests/checker/classroom/test_grade_class_engine.py does the same on the real engine.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker import classroom, exercises

FAKE = Path(__file__).with_name("fake_grader.py")
ROOT = Path(__file__).resolve().parents[3]


def make_submission(root: Path, student: str, directives: str, *, dockerignore: str | None = None) -> Path:
    folder = root / student
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text(f"# {student}\n# fake: {directives}\nFROM scratch\n")
    if dockerignore is not None:
        (folder / ".dockerignore").write_text(dockerignore)
    return folder


def run_class(submissions: Path, out: Path, **kwargs) -> list[classroom.StudentResult]:
    run = classroom.ClassRun(
        submissions=submissions, exercise=exercises.find_exercise("02-multi-stage"), out=out,
        grader=[sys.executable, str(FAKE)], progress=lambda line: None, **kwargs,
    )
    return run.run()


def read_gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def grader_calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def calls(tmp_path, monkeypatch) -> Path:
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_GRADER_LOG", str(log))
    return log


def test_when_a_class_is_graded_then_the_gradebook_has_one_verdict_per_student(tmp_path, calls):
    subs = tmp_path / "subs"
    make_submission(subs, "ada", "score=10 max=10 passed=yes size=180000000 seconds=3.25")
    make_submission(subs, "bob", "score=4 max=10 passed=no fail=health,size")
    make_submission(subs, "cyd", "crash")
    make_submission(subs, "dee", "sleep=60")
    (subs / "eve").mkdir()  # handed in nothing
    out = tmp_path / "out"

    started = time.monotonic()
    results = run_class(subs, out, jobs=2, grade_timeout_s=3)
    assert time.monotonic() - started < 30, "an endless submission must not hold the class up"

    book = read_gradebook(out)
    assert list(book) == ["ada", "bob", "cyd", "dee", "eve"]
    assert book["ada"] | {} == book["ada"] and (book["ada"]["status"], book["ada"]["score"], book["ada"]["max"], book["ada"]["passed"]) == ("graded", "10", "10", "yes")
    assert book["ada"]["image_size_mb"] == "180.0" and book["ada"]["build_seconds"] == "3.2"
    assert (book["bob"]["passed"], book["bob"]["failed_checks"]) == ("no", "health size")
    assert book["cyd"]["status"] == "grader-error"
    assert book["dee"]["status"] == "timed-out"
    assert book["eve"]["status"] == "no-dockerfile"
    by_name = {r.student: r for r in results}
    assert "fell over" in by_name["cyd"].message
    for student in book:
        assert (out / "results" / f"{student}.json").is_file()
        assert (out / "reports" / f"{student}.md").read_text().startswith(f"# 02-multi-stage: {student}")


def test_when_the_class_is_graded_again_then_unchanged_submissions_are_not_regraded(tmp_path, calls):
    subs = tmp_path / "subs"
    for name in ("ada", "bob", "cyd"):
        make_submission(subs, name, "score=6 max=6 passed=yes")
    out = tmp_path / "out"
    run_class(subs, out)
    assert len(grader_calls(calls)) == 3

    (subs / "bob" / "Dockerfile").write_text("# bob\n# fake: score=2 max=6 passed=no fail=health\nFROM scratch\n")
    results = run_class(subs, out)

    assert grader_calls(calls)[3:] == ["# bob"], "only the changed submission is graded again"
    assert {r.student: r.from_cache for r in results} == {"ada": True, "bob": False, "cyd": True}
    assert read_gradebook(out)["bob"]["score"] == "2"


def test_when_the_rubric_or_a_dockerignore_changes_then_the_cache_key_changes(tmp_path):
    folder = make_submission(tmp_path, "ada", "score=1")
    key = classroom.submission_hash(folder, rubric_bytes=b"a", app_digest="x", base_ids={"python:3.13-slim": "sha256:1"})
    assert key != classroom.submission_hash(folder, rubric_bytes=b"b", app_digest="x", base_ids={"python:3.13-slim": "sha256:1"})
    assert key != classroom.submission_hash(folder, rubric_bytes=b"a", app_digest="x", base_ids={"python:3.13-slim": "sha256:2"})
    assert key != classroom.submission_hash(folder, rubric_bytes=b"a", app_digest="y", base_ids={"python:3.13-slim": "sha256:1"})
    (folder / ".dockerignore").write_text(".git\n")
    assert key != classroom.submission_hash(folder, rubric_bytes=b"a", app_digest="x", base_ids={"python:3.13-slim": "sha256:1"})
    (folder / "notes.txt").write_text("not part of the submission")
    with_notes = classroom.submission_hash(folder, rubric_bytes=b"a", app_digest="x", base_ids={"python:3.13-slim": "sha256:1"})
    (folder / "notes.txt").write_text("still not part of it")
    assert with_notes == classroom.submission_hash(folder, rubric_bytes=b"a", app_digest="x", base_ids={"python:3.13-slim": "sha256:1"})


def test_when_a_class_is_split_into_shards_then_every_student_is_in_exactly_one(tmp_path):
    students = [f"s{n:02d}" for n in range(11)]
    shards = [classroom.Shard.parse(f"{i}/3").select(students) for i in (1, 2, 3)]
    assert sorted(sum(shards, [])) == students
    assert all(len(shard) in (3, 4) for shard in shards)
    with pytest.raises(classroom.ClassroomError):
        classroom.Shard.parse("4/3")
    with pytest.raises(classroom.ClassroomError):
        classroom.Shard.parse("one/two")


def test_when_the_context_is_assembled_then_it_holds_the_app_and_only_the_submission_files(tmp_path):
    folder = make_submission(tmp_path, "ada", "score=1", dockerignore=".git\n")
    (folder / "secret.txt").write_text("not for the image")
    context = exercises.assemble_context(folder, tmp_path / "ctx")
    names = {p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file()}
    assert {"Dockerfile", ".dockerignore", "main.py", "requirements.txt", "alembic.ini"} <= names
    assert not names & {"secret.txt", "README.md", "Dockerfile.single"}
    assert not any("__pycache__" in name for name in names)
    assert (context / "Dockerfile").read_text() == (folder / "Dockerfile").read_text()


def test_when_the_dockerfile_is_a_symlink_then_the_student_gets_a_verdict_not_a_leak(tmp_path, calls):
    subs = tmp_path / "subs"
    folder = subs / "mallory"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").symlink_to("/etc/passwd")
    run_class(subs, tmp_path / "out")
    assert read_gradebook(tmp_path / "out")["mallory"]["status"] == "no-dockerfile"
    assert grader_calls(calls) == []


def test_when_grade_class_is_interrupted_then_finished_results_survive_and_a_rerun_completes(tmp_path, calls):
    subs = tmp_path / "subs"
    for number in range(6):
        make_submission(subs, f"s{number}", "score=6 max=6 sleep=1")
    out = tmp_path / "out"
    env = {**os.environ, "LPI_GRADER_COMMAND": f"{sys.executable} {FAKE}", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "checker", "grade-class", str(subs), "--exercise", "02", "--jobs", "2", "--out", str(out)]
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list((out / "results").glob("*.json"))) < 2:
        time.sleep(0.1)
    child.send_signal(signal.SIGINT)
    output, _ = child.communicate(timeout=30)
    assert child.returncode == 130, output
    finished = {p.stem for p in (out / "results").glob("*.json")}
    assert 2 <= len(finished) < 6
    assert set(read_gradebook(out)) == finished, "the gradebook lists what finished before the interrupt"

    before = len(grader_calls(calls))
    rerun = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    regraded = {line.lstrip("# ") for line in grader_calls(calls)[before:]}
    assert not regraded & finished, "finished results are not graded again"
    assert regraded | finished == {f"s{n}" for n in range(6)}
    assert len(read_gradebook(out)) == 6


def test_when_two_students_hand_in_the_same_files_then_they_are_graded_once(tmp_path, calls):
    subs = tmp_path / "subs"
    for name in ("ada", "bob"):
        folder = subs / name
        folder.mkdir(parents=True)
        (folder / "Dockerfile").write_text("# same\n# fake: score=6 max=6 sleep=0.5\nFROM scratch\n")
    make_submission(subs, "cyd", "score=3 max=6 passed=no")
    results = {r.student: r for r in run_class(subs, tmp_path / "out", jobs=2)}
    assert len(grader_calls(calls)) == 2
    assert results["ada"].score == results["bob"].score == 6
    assert [results["ada"].from_cache, results["bob"].from_cache].count(True) == 1


def test_no_students_run_id_is_a_prefix_of_anothers_so_removing_one_students_leftovers_spares_the_rest():
    ids = [classroom._student_run_id("class-1", name) for name in ("s1", "s10", "s1-b", "ada lovelace")]
    assert all(not b.startswith(a) for a in ids for b in ids if a != b)
    assert all(run_id.startswith("class-1-") for run_id in ids)


def _concurrency(events: list[tuple[str, str, float]]) -> int:
    """Most gradings running at once, from (start|end, name, time) events."""
    running = peak = 0
    for event, _, _ in sorted(events, key=lambda e: (e[2], e[0] == "start")):
        running += 1 if event == "start" else -1
        peak = max(peak, running)
    return peak


def test_when_a_class_is_spread_over_engines_then_each_engine_grades_with_its_own_slots_and_one_gradebook_comes_out(
        tmp_path, calls, monkeypatch):
    hosts_log = tmp_path / "hosts.log"
    monkeypatch.setenv("FAKE_GRADER_HOSTS", str(hosts_log))
    # The fake grader needs no engine, so the base-image check is the one thing not exercised here
    # (tests/checker/classroom/test_grade_class_engine.py runs it on real engines).
    monkeypatch.setattr(classroom, "check_base_images", lambda engines: None)
    subs = tmp_path / "subs"
    for number in range(8):
        make_submission(subs, f"s{number}", f"score={number % 7} max=6 passed={'yes' if number % 2 else 'no'} sleep=0.4")
    engines = [classroom.ClassEngine("a", "unix:///nonexistent/a.sock"), classroom.ClassEngine("b", "unix:///nonexistent/b.sock")]
    lines: list[str] = []
    run = classroom.ClassRun(submissions=subs, exercise=exercises.find_exercise("02-multi-stage"), out=tmp_path / "two",
                             grader=[sys.executable, str(FAKE)], progress=lines.append, jobs=1, ahead=1, engines=engines)
    spread = {r.student: (r.status, r.score, r.passed) for r in run.run()}
    one = {r.student: (r.status, r.score, r.passed) for r in run_class(subs, tmp_path / "one", jobs=1)}
    assert spread == one and len(spread) == 8
    assert read_gradebook(tmp_path / "two") == read_gradebook(tmp_path / "one"), "the same gradebook either way"

    events = [line.split() for line in hosts_log.read_text().splitlines()]
    by_host: dict[str, list[tuple[str, str, float]]] = {}
    for event, name, host, when in events:
        by_host.setdefault(host, []).append((event, name, float(when)))
    spread_events = {host: found for host, found in by_host.items() if host.startswith("unix:///nonexistent/")}
    assert set(spread_events) == {"unix:///nonexistent/a.sock", "unix:///nonexistent/b.sock"}, "both engines graded"
    graded_on = {name: host for host, found in spread_events.items() for event, name, _ in found if event == "start"}
    assert sorted(graded_on) == [f"s{n}" for n in range(8)], "each submission graded once, on one engine"
    assert all(_concurrency(found) <= 2 for found in spread_events.values()), "jobs + ahead per engine at most"
    assert any(" on a)" in line for line in lines) and any(" on b)" in line for line in lines)
    assert any("could not clean up" in line and "on a" in line for line in lines), \
        "clean-up is attempted on each engine (these do not exist, so it warns and the class still ends)"


def test_when_an_engine_named_for_the_class_does_not_answer_then_nothing_is_graded_and_the_answering_ones_are_named(tmp_path):
    with pytest.raises(classroom.ClassroomError, match=r"'no-such-engine' is not an engine that answers now; answering: "):
        classroom.resolve_engines(["no-such-engine"])
    with pytest.raises(classroom.ClassroomError, match="not an engine that answers"):
        classroom.resolve_engines(["unix:///nonexistent/engine.sock"])
    assert classroom.resolve_engines(["", " "]) == [classroom.ClassEngine("this engine", "")]


def test_when_a_student_hands_in_files_identical_to_anothers_graded_before_then_the_run_says_whose_grading_it_is(
        tmp_path, calls):
    subs = tmp_path / "subs"
    make_submission(subs, "alice", "score=10 max=10 passed=yes")
    make_submission(subs, "carol", "score=4 max=10 passed=no fail=health")
    out = tmp_path / "out"
    run_class(subs, out)
    (subs / "carol" / "Dockerfile").write_text((subs / "alice" / "Dockerfile").read_text())  # carol copies alice
    lines: list[str] = []
    run = classroom.ClassRun(submissions=subs, exercise=exercises.find_exercise("02-multi-stage"), out=out,
                             grader=[sys.executable, str(FAKE)], progress=lines.append)
    results = {r.student: r for r in run.run()}
    assert any(line.startswith("alice: unchanged since the last run") for line in lines), lines
    assert any(line.startswith("carol: the same files as alice's submission graded before") for line in lines), lines
    assert results["carol"].same_as == "alice" and results["alice"].same_as == ""
    assert "same files as alice's submission" in (out / "reports" / "carol.md").read_text()
    assert len(grader_calls(calls)) == 2, "nothing graded again"
