"""grade-class on the real engine: a generated class of 12 mixed submissions for exercise 04.

The class mixes right answers in two styles, wrong answers, a starter, an empty folder, a file
that is not a Dockerfile, a build that never ends and a build that tries to eat the machine's
memory. The run is interrupted with SIGINT mid-class, then run again: finished results are
reused (not rebuilt), the rest are graded, the gradebook says what we expect, and nothing
labelled as ours is left on the engine.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker import classroom
from checker import settings as course_settings

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[3]
EXERCISE = "04-runtime-deps"
WRONG = ROOT / "tests" / "exercises" / "wrong" / EXERCISE
#: Seconds one submission may take in the class run (only the endless one should reach it).
CLASS_TIMEOUT = os.environ.get("LPI_TEST_CLASS_TIMEOUT", "240")

ENDLESS = """ARG PYTHON_VERSION=3.13
FROM python:${PYTHON_VERSION}-slim
RUN sleep 100000
"""
MEMORY_HOG = """ARG PYTHON_VERSION=3.13
FROM python:${PYTHON_VERSION}-slim
# allocates (and touches) 3 GiB: the build's memory limit stops it
RUN python -c "b = bytearray(3 * 1024 ** 3); print(len(b))"
"""
NOT_A_DOCKERFILE = "I could not get Docker to work, sorry!\nplease see my notes\n"

#: student -> (status, passed, check ids that must be among the failed ones)
EXPECTED: dict[str, tuple[str, bool | None, set[str]]] = {
    "s01-endless": ("timed-out", False, set()),
    "s02-solution": ("graded", True, set()),
    "s03-solution-with-comments": ("graded", True, set()),
    "s04-no-libpq": ("graded", False, {"health"}),
    "s05-kept-libpq-dev": ("graded", False, {"no_headers"}),
    "s06-guessed-package": ("graded", False, {"builds"}),
    "s07-starter": ("graded", False, {"no_compilers"}),
    "s08-empty-folder": ("no-dockerfile", False, set()),
    "s09-not-a-dockerfile": ("graded", False, set()),
    "s10-build-essential": ("graded", False, {"no_compilers"}),
    "s11-memory-hog": ("graded", False, {"builds"}),
    "s12-capstone-style": ("graded", True, set()),
}


def make_class(root: Path) -> Path:
    subs = root / "submissions"
    texts = {
        "s01-endless": ENDLESS,
        "s02-solution": (ROOT / "solutions" / EXERCISE / "Dockerfile").read_text(),
        "s03-solution-with-comments": "# my answer, week 3\n" + (ROOT / "solutions" / EXERCISE / "Dockerfile").read_text().replace("\nFROM", "\n# the runtime stage\nFROM", 1),
        "s04-no-libpq": (WRONG / "no-libpq-at-all" / "Dockerfile").read_text(),
        "s05-kept-libpq-dev": (WRONG / "kept-libpq-dev" / "Dockerfile").read_text(),
        "s06-guessed-package": (WRONG / "guessed-package-name" / "Dockerfile").read_text(),
        "s07-starter": (ROOT / "exercises" / EXERCISE / "Dockerfile").read_text(),
        "s09-not-a-dockerfile": NOT_A_DOCKERFILE,
        "s10-build-essential": (WRONG / "build-essential-in-runtime" / "Dockerfile").read_text(),
        "s11-memory-hog": MEMORY_HOG,
        "s12-capstone-style": (ROOT / "solutions" / "06-production-ready" / "Dockerfile").read_text(),
    }
    for student in EXPECTED:
        (subs / student).mkdir(parents=True)
        if student in texts:
            (subs / student / "Dockerfile").write_text(texts[student])
    shutil.copyfile(ROOT / "solutions" / "06-production-ready" / ".dockerignore", subs / "s12-capstone-style" / ".dockerignore")
    return subs


def ours_on_engine(client) -> set[str]:
    """Ids of containers and images labelled as ours, except images kept on purpose as cache."""
    owner = f"{course_settings.LABEL_OWNER}={course_settings.OWNER_VALUE}"
    # The list endpoints only: the SDK's containers.list() inspects each container afterwards and
    # fails when another process removes one in between.
    found = {f"container:{c['Id']}" for c in client.api.containers(all=True, filters={"label": owner})}
    for image in client.api.images(filters={"label": owner}):
        if course_settings.LABEL_KEEP not in (image.get("Labels") or {}):
            found.add(f"image:{image['Id']}")
    return found


def read_gradebook(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def warm(docker_client, tmp_path_factory):
    """Grade the solution once on its own, so the class meets a warm layer cache."""
    subs = tmp_path_factory.mktemp("warm")
    (subs / "solution").mkdir()
    shutil.copyfile(ROOT / "solutions" / EXERCISE / "Dockerfile", subs / "solution" / "Dockerfile")
    results = classroom.grade_class(subs, EXERCISE, out=subs / "_grades", jobs=1, progress=print)
    assert results[0].passed, results[0].to_dict()
    return True


def test_grade_class_survives_sigint_resumes_and_grades_a_mixed_class(warm, docker_client, tmp_path):
    before = ours_on_engine(docker_client)
    subs = make_class(tmp_path)
    out = tmp_path / "grades"
    command = [sys.executable, "-m", "checker", "grade-class", str(subs), "--exercise", EXERCISE,
               "--jobs", "2", "--out", str(out), "--timeout", CLASS_TIMEOUT]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    # 1. Interrupt the class once a few results are in.
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and child.poll() is None and len(list((out / "results").glob("*.json"))) < 3:
        time.sleep(0.5)
    child.send_signal(signal.SIGINT)
    output, _ = child.communicate(timeout=120)
    assert child.returncode == 130, output
    finished = {p.stem for p in (out / "results").glob("*.json")}
    assert 3 <= len(finished) < len(EXPECTED), output
    assert set(read_gradebook(out / "gradebook.csv")) == finished
    kept = {s: json.loads((out / "results" / f"{s}.json").read_text()) for s in finished}

    # 2. Run it again: the finished ones come from the cache, the rest are graded.
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    book = read_gradebook(out / "gradebook.csv")
    assert set(book) == set(EXPECTED)
    for student in EXPECTED:
        result = json.loads((out / "results" / f"{student}.json").read_text())
        cacheable = kept.get(student, {}).get("status") in {"graded", "no-dockerfile"}
        assert result["from_cache"] == cacheable, (student, rerun.stdout)
        if cacheable:
            assert result["score"] == kept[student]["score"]

    # 3. The gradebook.
    problems = []
    for student, (status, passed, failing) in EXPECTED.items():
        row = book[student]
        if row["status"] != status or (row["passed"] == "yes") != passed or not failing <= set(row["failed_checks"].split()):
            problems.append(f"{student}: expected {status} passed={passed} failing>={sorted(failing)}, got {row}")
        if passed and row["score"] != row["max"]:
            problems.append(f"{student}: a right answer scores full marks, got {row['score']}/{row['max']}")
    assert not problems, "\n".join(problems)
    assert float(book["s02-solution"]["image_size_mb"]) < 250
    report = (out / "reports" / "s04-no-libpq.md").read_text()
    assert "health" in report

    # 4. Nothing of ours is left behind (cache images labelled "keep" excepted).
    assert ours_on_engine(docker_client) <= before, "grade-class left containers or images behind"


#: A small class for the two-engine run: right, wrong in two ways, and the starter.
SPREAD = {
    "t1-solution": ROOT / "solutions" / EXERCISE / "Dockerfile",
    "t2-no-libpq": WRONG / "no-libpq-at-all" / "Dockerfile",
    "t3-kept-libpq-dev": WRONG / "kept-libpq-dev" / "Dockerfile",
    "t4-starter": ROOT / "exercises" / EXERCISE / "Dockerfile",
}


def test_a_class_spread_over_the_default_and_the_modern_engine_gives_the_one_engine_gradebook(warm, docker_client, tmp_path):
    import docker

    from checker import modern_engines

    hosts = {found.name: found.docker_host for found in modern_engines.available()}
    if "modern-containerd" not in hosts:
        pytest.fail("modern-containerd does not answer: run `python -m checker engines up` first.")
    modern = docker.DockerClient(base_url=hosts["modern-containerd"], timeout=600)
    before = {"default": ours_on_engine(docker_client), "modern": ours_on_engine(modern)}
    subs = tmp_path / "submissions"
    for student, dockerfile in SPREAD.items():
        (subs / student).mkdir(parents=True)
        shutil.copyfile(dockerfile, subs / student / "Dockerfile")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    books = {}
    for label, extra in (("spread", ["--engines", "default,modern-containerd", "--jobs", "1"]), ("one", ["--jobs", "2"])):
        command = [sys.executable, "-m", "checker", "grade-class", str(subs), "--exercise", EXERCISE,
                   "--out", str(tmp_path / label), "--timeout", CLASS_TIMEOUT, *extra]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stdout + done.stderr
        books[label] = read_gradebook(tmp_path / label / "gradebook.csv")
        if label == "spread":
            assert "on each of 2 engines (default, modern-containerd)" in done.stdout, done.stdout
            assert " on default)" in done.stdout and " on modern-containerd)" in done.stdout, done.stdout
            stores = {json.loads((tmp_path / label / "results" / f"{s}.json").read_text())["report"]["engine"]["image_store"]
                      for s in SPREAD}
            assert stores == {"overlay2", "containerd"}, "the report of each student names the engine that graded it"

    columns = ("status", "score", "max", "passed", "failed_checks")
    for student in SPREAD:
        assert {c: books["spread"][student][c] for c in columns} == {c: books["one"][student][c] for c in columns}, student
        size_spread, size_one = books["spread"][student]["image_size_mb"], books["one"][student]["image_size_mb"]
        if size_one:
            assert abs(float(size_spread) - float(size_one)) <= 0.01 * float(size_one), (student, size_spread, size_one)
    assert books["one"]["t1-solution"]["passed"] == "yes" and books["one"]["t2-no-libpq"]["passed"] == "no"
    assert ours_on_engine(docker_client) <= before["default"] and ours_on_engine(modern) <= before["modern"], \
        "grade-class left containers or images behind on an engine"
