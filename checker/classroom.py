"""Grade a whole class: one folder per student, graded in parallel, resumable, isolated.

``python -m checker grade-class SUBMISSIONS --exercise NAME [--jobs N] [--out DIR] [--shard i/n] [--engines A,B]``

How it is built, and why:

* **Isolation.** Each submission is graded by its own child process running the public CLI
  (``python -m checker grade DOCKERFILE --context DIR --rubric FILE --format json --output F``),
  in its own session, under a wall-clock deadline. A Dockerfile that loops forever, a crash in
  the grader, or a hostile build becomes that student's verdict (``timed-out``,
  ``grader-error``) and never stops the class. Everything a child creates on the engine carries
  the run label ``org.lean-python-images.run=<run id>`` (passed as ``LPI_RUN_ID``); a child that
  ends with its report has removed what it made, and what a killed or crashed child left is
  removed by its label.
* **Same context for everyone.** The build context is assembled per submission from the sample
  app's source plus the student's ``Dockerfile`` and ``.dockerignore`` (see
  :func:`checker.exercises.assemble_context`), so sizes compare fairly and nothing else from the
  student's folder reaches the engine.
* **Resumable.** A result is keyed by a content hash of the submission, the rubric, the app's
  source and the base images' ids. Results are written atomically (temp file, then rename) as
  each student finishes, so an interrupt (Ctrl-C, a killed CI job) loses nothing finished; a
  rerun reuses every result whose key is unchanged and grades the rest.
* **Bounded, and the engine kept busy.** At most ``--jobs`` builds run at once (default 2: a
  build is CPU-bound and the course machines have two cores), and :attr:`ClassRun.ahead` more
  gradings are started beside them: their builds wait for a build slot (lock files shared by the
  children, :func:`checker.grading.run.build_slot`), so the next student's build starts the moment
  a running one ends, while that student's image is still being probed. The run reports
  submissions a minute.
* **Several engines.** ``--engines default,modern-containerd`` (names ``python -m checker engines
  list`` prints, or DOCKER_HOST values) spreads the class over several engines, each with its own
  ``--jobs`` build slots: a child grader is pointed at its engine by ``DOCKER_HOST``, so it is the
  same grading as on one engine, and one gradebook comes out. Before the first grading every
  engine must answer and hold the course's base images (a missing one is the machine's problem,
  never a student's verdict). ``--shard`` still splits the class across CI jobs on top of this.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from . import engine
from . import settings as course_settings
from .exercises import (SAMPLE_APP_DIR, SUBMISSION_FILES, ExerciseError, answer_dockerfile, app_files, assemble_context,
                        find_exercise)
from .files import write_atomic
from .gradebook import StudentResult, gradebook_csv, number
from .grading.run import ENV_BUILD_SLOTS, ENV_BUILD_SLOTS_DIR, interruptible

REPO_ROOT = course_settings.REPO_ROOT
#: Bump when the shape of a stored result changes, so old cache entries are not reused.
RESULT_FORMAT = 1
#: Seconds a child grader gets beyond the build and run limits, for probes and clean-up.
GRADE_MARGIN_S = 240
#: The command that grades one submission; its arguments follow (``LPI_GRADER_COMMAND`` replaces it).
GRADER_COMMAND = (sys.executable, "-m", "checker", "grade")

Progress = Callable[[str], None]


# ----------------------------------------------------------------------------------------------
# cache keys


class ClassroomError(Exception):
    """A problem with the class as a whole (no submissions folder, a bad --shard): nothing was graded."""


def _hash_files(digest: "hashlib._Hash", root: Path, files: Iterable[Path]) -> None:
    for rel in files:
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256((root / rel).read_bytes()).digest())


def app_hash(app_dir: Path = SAMPLE_APP_DIR) -> str:
    """A hex SHA-256 of the sample app's source files (names and contents)."""
    digest = hashlib.sha256()
    _hash_files(digest, app_dir, app_files(app_dir))
    return digest.hexdigest()


def checker_digest() -> str:
    """The grader's own source (lessons aside), for callers that want a new checker to regrade.

    Not part of grade-class's key by default (the key is the submission, the rubric, the app and
    the base images): after upgrading the checker, grade into a fresh ``--out`` to regrade.
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    files = sorted(p.relative_to(package) for p in package.rglob("*")
                   if p.is_file() and p.suffix in {".py", ".toml", ".yaml"}
                   and not p.relative_to(package).parts[0].startswith("lesson") and "__pycache__" not in p.parts)
    _hash_files(digest, package, files)
    return digest.hexdigest()


def submission_hash(folder: Path, *, rubric_bytes: bytes, app_digest: str, base_ids: dict[str, str],
                    grader_digest: str = "") -> str:
    """The cache key: what the student handed in, the rubric, the app, the base images, the grader."""
    digest = hashlib.sha256(f"lpi-classroom-result-v{RESULT_FORMAT}\0{grader_digest}\0".encode())
    for name in SUBMISSION_FILES:
        path = folder / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() and not path.is_symlink() else b"<absent>")
        digest.update(b"\0")
    digest.update(hashlib.sha256(rubric_bytes).digest())
    digest.update(app_digest.encode())
    for ref in sorted(base_ids):
        digest.update(f"{ref}={base_ids[ref]}\0".encode())
    return digest.hexdigest()


def base_image_ids(settings: course_settings.Settings | None = None) -> dict[str, str]:
    """Ids of the course's slim and full base images, by reference ("absent" when missing)."""
    settings = settings or course_settings.load()
    ids = {}
    for ref in (settings.slim_image, settings.full_image):
        try:
            ids[ref] = engine.image_info(ref).id
        except engine.EngineError:
            ids[ref] = "absent"
    return ids


# ----------------------------------------------------------------------------------------------
# the class


@dataclass(frozen=True)
class Shard:
    """The ``i/n`` slice of a class one run grades (``--shard``)."""

    index: int
    """1-based."""
    count: int
    """How many slices the class is cut into."""

    @classmethod
    def parse(cls, text: str | None) -> "Shard":
        """``"i/n"`` (None or empty: the whole class); raises :class:`ClassroomError` otherwise."""
        if not text:
            return cls(1, 1)
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ClassroomError(f"--shard takes i/n (for example 2/4), not {text!r}.") from None
        if count < 1 or not 1 <= index <= count:
            raise ClassroomError(f"--shard {text}: i must be between 1 and n.")
        return cls(index, count)

    def select(self, students: list[str]) -> list[str]:
        """A stable split: the sorted list, every n-th name starting at i."""
        return [name for position, name in enumerate(sorted(students)) if position % self.count == self.index - 1]


def discover(submissions: Path) -> list[str]:
    """Student folder names (hidden folders and plain files are ignored)."""
    if not submissions.is_dir():
        raise ClassroomError(f"{submissions} is not a folder of submissions (one folder per student).")
    return sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


@dataclass(frozen=True)
class ClassEngine:
    """One engine a class is graded on."""

    name: str
    """Its name in ``python -m checker engines list`` (``default``, ``modern-containerd``), or its DOCKER_HOST."""
    docker_host: str
    """Where its children point (``unix:///run/...sock``); ``""`` for the grader's own engine (DOCKER_HOST as set)."""


def resolve_engines(names: Iterable[str]) -> list[ClassEngine]:
    """The engines ``--engines`` names, in order, each checked to answer now.

    Each item is an engine name ``python -m checker engines list`` prints, or a DOCKER_HOST value
    (``unix://...``, ``tcp://...``). Raises :class:`ClassroomError` for a name that is not an
    answering engine (naming those that answer) or a duplicate. An empty list: the grader's own engine.
    """
    from . import modern_engines

    wanted = [name.strip() for name in names if name.strip()]
    if not wanted:
        return [ClassEngine("this engine", "")]
    answering = {found.name: found.docker_host for found in modern_engines.available()}
    engines: list[ClassEngine] = []
    for name in wanted:
        if name in answering:
            host = answering[name]
        elif "://" in name and name in answering.values():
            host = name
        elif "://" in name and modern_engines.describe(name, name) is not None:
            host = name
        else:
            listed = ", ".join(f"{n} ({h})" for n, h in answering.items()) or "none"
            raise ClassroomError(f"--engines: {name!r} is not an engine that answers now; answering: {listed}. "
                                 "Start the modern ones with `python -m checker engines up`.")
        if any(engine_.docker_host == host for engine_ in engines):
            raise ClassroomError(f"--engines names {host} twice.")
        engines.append(ClassEngine(name, host))
    return engines


def _link_base(folder: Path) -> str:
    """The way from ``folder`` to the repository root (``../../work/course/``), so a report page written
    there links to the lessons; ``""`` where no relative way exists (another drive)."""
    from .settings import REPO_ROOT

    try:
        relative = os.path.relpath(REPO_ROOT, folder.resolve())
    except ValueError:
        return ""
    return "" if relative == "." else relative.replace(os.sep, "/") + "/"


def _child_env(engine_: ClassEngine) -> dict[str, str]:
    env = dict(os.environ)
    if engine_.docker_host:
        env["DOCKER_HOST"] = engine_.docker_host
    return env


def check_base_images(engines: list[ClassEngine]) -> None:
    """Raise :class:`ClassroomError` unless every engine holds the course's required base images.

    Asked of each engine by ``python -m checker images --list`` pointed at it (exit 0 only when the
    slim and full images are there), so nothing is pulled or provisioned here.
    """
    for engine_ in engines:
        if not engine_.docker_host:
            continue
        found = subprocess.run([sys.executable, "-m", "checker", "images", "--list", "--format", "json"],
                               capture_output=True, text=True, env={**_child_env(engine_), "PYTHONPATH": _pythonpath()},
                               cwd=str(REPO_ROOT), timeout=120)
        if found.returncode != 0:
            try:
                missing = [row["ref"] for row in json.loads(found.stdout) if not row.get("available")]
            except (json.JSONDecodeError, TypeError, KeyError):
                missing = []
            what = f"lacks {', '.join(missing)}" if missing else f"did not list its images ({found.stderr.strip()[-200:]})"
            raise ClassroomError(f"engine {engine_.name} ({engine_.docker_host}) {what}: provision the base images on it "
                                 f"(`python -m checker engines up` for the modern engines, or "
                                 f"`DOCKER_HOST={engine_.docker_host} python -m checker images`).")


@dataclass
class ClassRun:
    """Everything one `grade-class` run needs; :meth:`run` grades and returns the results."""

    submissions: Path
    """The folder with one sub-folder per student."""
    exercise: Path
    """The exercise folder (its ``rubric.toml`` is the rubric)."""
    out: Path
    """Where ``gradebook.csv``, ``results/``, ``reports/`` and the result ``cache/`` go."""
    jobs: int = 2
    """Builds at once (each grading's builds take a slot)."""
    ahead: int = 1
    """Gradings started beyond ``jobs``, waiting for a build slot (0: exactly ``jobs`` gradings at once)."""
    shard: Shard = field(default_factory=lambda: Shard(1, 1))
    """The slice of the class this run grades."""
    settings: course_settings.Settings = field(default_factory=course_settings.load)
    """The course settings (build and run limits, base images)."""
    progress: Progress = print
    """Receives one line per student and a summary line."""
    grade_timeout_s: float | None = None
    """Deadline for one submission in seconds; default: build timeout + 2 x run timeout + a margin."""
    grader: list[str] | None = None
    """The command that grades one submission (default: :data:`GRADER_COMMAND`, or ``LPI_GRADER_COMMAND``)."""
    extra_key: str = ""
    """Mixed into every cache key: e.g. :func:`checker_digest` to regrade whenever the checker changes."""
    engines: list[ClassEngine] = field(default_factory=list)
    """The engines to grade on, each with ``jobs`` build slots (empty: the grader's own engine)."""

    def __post_init__(self) -> None:
        self.run_id = f"class-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self._children: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._max_score: float | None = None
        self.submissions_per_minute: float | None = None
        self._slots = ""
        self.engines = list(self.engines) or [ClassEngine("this engine", "")]
        self._lanes: queue.Queue[int] = queue.Queue()
        self._graded_on: dict[str, str] = {}
        """Submissions graded (not reused) a minute by the last :meth:`run`, wall clock; None when none was graded."""

    @property
    def rubric(self) -> Path:
        """The exercise's rubric file."""
        return self.exercise / "rubric.toml"

    def result_path(self, student: str) -> Path:
        """Where a student's result (JSON) is written."""
        return self.out / "results" / f"{student}.json"

    def cache_path(self, key: str) -> Path:
        """Where the result of a submission with cache key ``key`` is kept for reruns."""
        return self.out / "cache" / f"{key}.json"

    @property
    def max_score(self) -> float:
        """The rubric's maximum score (0 when it cannot be read), read once."""
        if self._max_score is None:
            from .rubric import RubricError, load

            try:
                self._max_score = load(self.rubric).max_score
            except RubricError:
                self._max_score = 0.0
        return self._max_score

    def run(self) -> list[StudentResult]:
        """Grade the class (this shard); returns one result per student, sorted by name.

        Finished results are written as they come. Raises ``KeyboardInterrupt`` (Ctrl-C, or
        SIGTERM in the main thread) after stopping the gradings in progress and writing the
        gradebook of what finished.
        """
        students = self.shard.select(discover(self.submissions))
        check_base_images(self.engines)
        rubric_bytes = self.rubric.read_bytes()
        app_digest = app_hash()
        base_ids = base_image_ids(self.settings)
        self.out.mkdir(parents=True, exist_ok=True)
        results: dict[str, StudentResult] = {}
        todo: list[tuple[str, str]] = []
        for student in students:
            key = submission_hash(self.submissions / student, rubric_bytes=rubric_bytes, app_digest=app_digest,
                                  base_ids=base_ids, grader_digest=self.extra_key)
            cached = self._load_cached(key)
            if cached is not None:
                graded_for = cached.same_as or cached.student
                self._reuse(cached, student, results)
                if graded_for == student:
                    self.progress(f"{student}: unchanged since the last run, {self._verdict(cached)} (cached)")
                else:  # a rerun, or another student's identical files: say whose grading this is
                    self.progress(f"{student}: the same files as {graded_for}'s submission graded before, "
                                  f"{self._verdict(cached)} (cached)")
            else:
                todo.append((student, key))
        on = "" if len(self.engines) == 1 else f" on each of {len(self.engines)} engines ({', '.join(e.name for e in self.engines)})"
        self.progress(f"{len(students)} submission(s), {len(results)} from cache, {len(todo)} to grade with {self.jobs} job(s){on} "
                      f"(run {self.run_id}: `python -m checker clean --run {self.run_id}` removes what it leaves)")
        started = time.monotonic()
        try:
            # A CI runner cancels with SIGTERM: treat it like Ctrl-C, so finished results are kept.
            with interruptible(), tempfile.TemporaryDirectory(prefix="lpi-slots-") as slots:
                self._slots = slots
                self._lanes = queue.Queue()
                for index in range(len(self.engines)):
                    (Path(slots) / str(index)).mkdir()
                    for _ in range(self._lane_width):
                        self._lanes.put(index)
                self._grade_all(todo, results)
        finally:
            for engine_ in self.engines:
                self._cleanup_engine(self.run_id, engine_)
            self._write_gradebook()
        seconds = time.monotonic() - started
        if todo and seconds > 0:
            self.submissions_per_minute = 60 * len(todo) / seconds
            self.progress(f"graded {len(todo)} submission(s) in {seconds:.0f} s with {self.jobs} job(s)"
                          f"{'' if len(self.engines) == 1 else f' on each of {len(self.engines)} engines'}: "
                          f"{self.submissions_per_minute:.1f} submissions a minute")
        return [results[name] for name in sorted(results)]

    @property
    def _lane_width(self) -> int:
        """Gradings at once on one engine: its build slots plus those started ahead."""
        return max(1, self.jobs) + max(0, self.ahead)

    def _grade_all(self, todo: list[tuple[str, str]], results: dict[str, StudentResult]) -> None:
        capacity = self._lane_width * len(self.engines)
        with ThreadPoolExecutor(max_workers=capacity, thread_name_prefix="lpi-grade") as pool:
            pending: dict[Future, tuple[str, str]] = {}
            queue = list(todo)
            # Identical submissions (same key) are graded once: the others wait for that result.
            waiting: dict[str, list[str]] = {}
            try:
                while queue or pending:
                    while queue and len(pending) < capacity:
                        student, key = queue.pop(0)
                        if any(key == k for _, k in pending.values()):
                            waiting.setdefault(key, []).append(student)
                            continue
                        pending[pool.submit(self._grade_one, student, key)] = (student, key)
                    if not pending:
                        continue
                    done, _ = wait(list(pending), timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in done:
                        student, key = pending.pop(future)
                        try:
                            result = future.result()
                        except KeyboardInterrupt:
                            raise
                        except Exception as exc:  # noqa: BLE001 - a bug of ours is one student's verdict
                            result = StudentResult(student, "grader-error", key=key, max_score=self.max_score,
                                                   message=f"The class runner failed on this submission: {exc!r}")
                            self._store(result)
                        results[student] = result
                        where = f" on {self._graded_on[student]}" if len(self.engines) > 1 and student in self._graded_on else ""
                        self.progress(f"{student}: {self._verdict(result)} ({result.grade_seconds:.0f} s{where})")
                        for twin in waiting.pop(key, []):
                            cached = self._load_cached(key)
                            if cached is None:
                                queue.insert(0, (twin, key))  # not cacheable (timeout...): grade it too
                                continue
                            self._reuse(cached, twin, results)
                            self.progress(f"{twin}: identical to {student}, {self._verdict(cached)} (same result)")
            except KeyboardInterrupt:
                self._stopping.set()
                self.progress("interrupted: stopping the gradings in progress; finished results are kept")
                self._kill_children()
                for future in pending:
                    future.cancel()
                raise

    def _reuse(self, cached: StudentResult, student: str, results: dict[str, StudentResult]) -> None:
        original = cached.same_as or cached.student
        cached.same_as = original if original != student else ""
        cached.student, cached.from_cache = student, True
        self._store(cached, cache=False)
        results[student] = cached

    def _verdict(self, result: StudentResult) -> str:
        if result.status != "graded":
            return result.status
        return f"{number(result.score)}/{number(result.max_score)} {'passed' if result.passed else 'not passed'}"

    def _load_cached(self, key: str) -> StudentResult | None:
        try:
            data = json.loads(self.cache_path(key).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return StudentResult.from_dict(data)

    def _store(self, result: StudentResult, *, cache: bool = True) -> None:
        data = json.dumps(result.to_dict(), indent=2, sort_keys=True)
        if cache and result.status in {"graded", "no-dockerfile"}:
            # Timeouts and grader errors are not cached: they may be the machine's fault.
            write_atomic(self.cache_path(result.key), data)
        write_atomic(self.out / "reports" / f"{result.student}.md",
                     result.markdown(self.exercise.name, link_base=_link_base(self.out / "reports")))
        write_atomic(self.result_path(result.student), data)

    def _write_gradebook(self) -> None:
        results = []
        for path in sorted((self.out / "results").glob("*.json")):
            try:
                results.append(StudentResult.from_dict(json.loads(path.read_text())))
            except (json.JSONDecodeError, TypeError):
                continue
        write_atomic(self.out / "gradebook.csv", gradebook_csv(results))

    def _grade_one(self, student: str, key: str) -> StudentResult:
        started = time.monotonic()
        folder = self.submissions / student
        try:
            answer_dockerfile(folder)
        except ExerciseError:
            result = StudentResult(student, "no-dockerfile", key=key, max_score=self.max_score,
                                   message="The submission has no Dockerfile (a regular file named exactly `Dockerfile`).")
            self._store(result)
            return result
        lane = self._lanes.get()
        try:
            result = self._grade_on(student, key, folder, self.engines[lane], lane)
        finally:
            self._lanes.put(lane)
        result.grade_seconds = time.monotonic() - started
        self._store(result)
        return result

    def _grade_on(self, student: str, key: str, folder: Path, engine_: ClassEngine, lane: int) -> StudentResult:
        """Grade one submission with a child grader pointed at ``engine_``; the result (not yet stored)."""
        started = time.monotonic()
        run_id = _student_run_id(self.run_id, student)
        with tempfile.TemporaryDirectory(prefix="lpi-class-") as tmp:
            context = assemble_context(folder, Path(tmp) / "context")
            report_file, log_file = Path(tmp) / "report.json", Path(tmp) / "grader.log"
            command = self._grader_command() + [
                str(context / "Dockerfile"), "--context", str(context), "--rubric", str(self.rubric),
                "--format", "json", "--output", str(report_file), "--quiet",
            ]
            env = {**_child_env(engine_), "LPI_RUN_ID": run_id, "PYTHONPATH": _pythonpath(),
                   ENV_BUILD_SLOTS_DIR: str(Path(self._slots) / str(lane)), ENV_BUILD_SLOTS: str(max(1, self.jobs))}
            timeout = self.grade_timeout_s or (self.settings.build_timeout_s + 2 * self.settings.run_timeout_s + GRADE_MARGIN_S)
            code, report = None, None
            try:
                code = self._run_child(student, command, env, log_file, timeout)
                report = _read_report(report_file) if code is not None else None
            finally:
                with self._lock:
                    self._children.pop(student, None)
                if report is None:  # a child that reports has removed what it made
                    self._cleanup_engine(run_id, engine_)
            if report is not None:
                result = StudentResult.from_report(student, report, key=key, grade_seconds=time.monotonic() - started)
            elif code is None:
                result = StudentResult(student, "timed-out", key=key, max_score=self.max_score,
                                       message=f"Grading took longer than {timeout:.0f} s and was stopped; "
                                               "the build or the container never finished.")
            else:
                result = StudentResult(student, "grader-error", key=key, max_score=self.max_score,
                                       message=f"The grader stopped without a report (exit code {code}): {_tail(log_file)}")
        self._graded_on[student] = engine_.name
        return result

    def _run_child(self, student: str, command: list[str], env: dict[str, str], log_file: Path,
                   timeout: float) -> int | None:
        """Run one grader under ``timeout`` seconds; its exit code, or None when it was stopped."""
        with open(log_file, "wb") as log:
            child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO_ROOT), env=env,
                                     start_new_session=True)
            with self._lock:
                self._children[student] = child
            if self._stopping.is_set():
                _kill_group(child)
            try:
                code: int | None = child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(child)
                child.wait()
                code = None
        if self._stopping.is_set():
            raise KeyboardInterrupt
        return code

    def _grader_command(self) -> list[str]:
        if self.grader:
            return list(self.grader)
        # LPI_GRADER_COMMAND swaps in another grader (the tests use a fake one that needs no engine).
        override = os.environ.get("LPI_GRADER_COMMAND", "").strip()
        return shlex.split(override) if override else list(GRADER_COMMAND)

    def _kill_children(self) -> None:
        with self._lock:
            children = list(self._children.values())
        for child in children:
            _kill_group(child)

    def _cleanup_engine(self, run_id: str, engine_: ClassEngine) -> None:
        """Remove every container and image labelled with this run (or a student's run under it) on ``engine_``.

        The grader's own engine is cleaned in this process; another one by ``python -m checker clean
        --run`` pointed at it (one engine client per process). Never raises: a clean-up problem is
        reported, and ``python -m checker clean`` removes leftovers.
        """
        try:
            if not engine_.docker_host:
                engine.remove_by_run_prefix(run_id)
                return
            done = subprocess.run([sys.executable, "-m", "checker", "clean", "--run", run_id], capture_output=True,
                                  text=True, env={**_child_env(engine_), "PYTHONPATH": _pythonpath()},
                                  cwd=str(REPO_ROOT), timeout=300)
            if done.returncode != 0:
                raise RuntimeError(done.stderr.strip() or f"exit code {done.returncode}")
        except Exception as exc:  # noqa: BLE001 - clean-up must not end the class
            self.progress(f"warning: could not clean up run {run_id} on {engine_.name}: {exc}")


def _kill_group(child: subprocess.Popen, grace_s: float = 20) -> None:
    """Stop a grader and everything it started: SIGTERM to its session (the grader then removes
    what it created), SIGKILL after ``grace_s`` seconds."""
    if child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        child.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _pythonpath() -> str:
    existing = os.environ.get("PYTHONPATH", "")
    return str(REPO_ROOT) + (os.pathsep + existing if existing else "")


def _student_run_id(class_run_id: str, student: str) -> str:
    """The run label value of one student's grading: ``<class run>-<8 hex of the name>-<name>``.

    The fixed-width digest comes first so that no student's run id is a prefix of another's
    (``s1`` and ``s10``): removing one student's leftovers by prefix never touches another's.
    """
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in student)[:60]
    return f"{class_run_id}-{hashlib.sha256(student.encode()).hexdigest()[:8]}-{safe}"


def _read_report(report_file: Path) -> dict | None:
    """The JSON report the grader wrote (``--output``), or None when it wrote none."""
    try:
        data = json.loads(report_file.read_text(encoding="utf-8", errors="replace"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and "status" in data else None


def _tail(log_file: Path, lines: int = 5) -> str:
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "no output"
    return " / ".join(text.strip().splitlines()[-lines:]) or "no output"


def grade_class(
    submissions: str | Path,
    exercise: str,
    *,
    out: str | Path | None = None,
    jobs: int = 2,
    shard: str | None = None,
    progress: Progress = print,
    grade_timeout_s: float | None = None,
    extra_key: str = "",
    ahead: int = 1,
    engines: Iterable[str] = (),
) -> list[StudentResult]:
    """Grade every student folder in ``submissions`` against an exercise's rubric.

    ``exercise`` is a name for :func:`checker.exercises.find_exercise`; ``out`` defaults to
    ``SUBMISSIONS/_grades``; ``jobs`` builds run at once, with ``ahead`` more gradings started
    beside them (see :class:`ClassRun`); ``shard`` is ``"i/n"``; ``grade_timeout_s`` bounds one submission
    (seconds); ``engines`` names the engines to spread the class over (see :func:`resolve_engines`;
    empty: this engine). Returns one :class:`StudentResult` per student of the shard, sorted by name.
    Raises :class:`ClassroomError` (bad folder, shard or engine, or an engine without the base
    images), :class:`checker.exercises.ExerciseError`
    (unknown exercise), ``KeyboardInterrupt`` (see :meth:`ClassRun.run`).
    """
    submissions = Path(submissions)
    exercise_dir = find_exercise(exercise)
    out_dir = Path(out) if out else submissions / "_grades"
    run = ClassRun(submissions=submissions, exercise=exercise_dir, out=out_dir, jobs=jobs, ahead=ahead,
                   shard=Shard.parse(shard), progress=progress, grade_timeout_s=grade_timeout_s, extra_key=extra_key,
                   engines=resolve_engines(engines))
    return run.run()
