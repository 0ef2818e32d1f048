"""Grade a whole class: one folder per student, graded in parallel, resumable, isolated.

``python -m checker grade-class SUBMISSIONS --exercise NAME [--jobs N] [--out DIR] [--shard i/n]``

How it is built, and why:

* **Isolation.** Each submission is graded by its own ``python -m checker grade`` child process,
  in its own session, under a wall-clock deadline. A Dockerfile that loops forever, a crash in
  the grader, or a hostile build becomes that student's verdict (``timed-out``,
  ``grader-error``) and never stops the class. Everything a child creates on the engine carries
  the run label ``org.lean-python-images.run=<run id>`` (passed as ``LPI_RUN_ID``), and is
  removed by that label when the child ends, however it ended.
* **Same context for everyone.** The build context is assembled per submission from the sample
  app's source plus the student's ``Dockerfile`` and ``.dockerignore`` (see
  :func:`assemble_context`), so sizes compare fairly and nothing else from the student's folder
  reaches the engine.
* **Resumable.** A result is keyed by a content hash of the submission, the rubric, the app's
  source and the base images' ids. Results are written atomically (temp file, then rename) as
  each student finishes, so an interrupt (Ctrl-C, a killed CI job) loses nothing finished; a
  rerun reuses every result whose key is unchanged and grades the rest.
* **Bounded.** At most ``--jobs`` gradings run at once (default 2: a build is CPU-bound and the
  course machines have two cores).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import settings as course_settings

REPO_ROOT = course_settings.REPO_ROOT
EXERCISES_DIR = REPO_ROOT / "exercises"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
SAMPLE_APP_DIR = REPO_ROOT / "sample_app"

#: Files of sample_app/ that are not the app's source (they belong to the reference build).
APP_EXCLUDED_NAMES = frozenset({"Dockerfile", ".dockerignore", "README.md", "__pycache__", ".venv", "venv",
                                ".pytest_cache", ".mypy_cache", ".ruff_cache"})
APP_EXCLUDED_SUFFIXES = (".pyc", ".pyo")
#: What a student folder may contribute to the build context.
SUBMISSION_FILES = ("Dockerfile", ".dockerignore")
#: Bump when the shape of a stored result changes, so old cache entries are not reused.
RESULT_FORMAT = 1
#: Seconds a child grader gets beyond the build and run limits, for probes and clean-up.
GRADE_MARGIN_S = 240

Progress = Callable[[str], None]


# ----------------------------------------------------------------------------------------------
# exercises and build contexts


class ClassroomError(Exception):
    """A problem with the class as a whole (unknown exercise, bad --shard...): nothing was graded."""


def find_exercise(name: str) -> Path:
    """The exercise folder whose name contains ``name`` (``01``, ``multi-stage``, ``01-multi-stage``)."""
    exact = EXERCISES_DIR / name
    if (exact / "rubric.toml").is_file():
        return exact
    matches = sorted(p.parent for p in EXERCISES_DIR.glob(f"*{name}*/rubric.toml"))
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(sorted(p.parent.name for p in EXERCISES_DIR.glob("*/rubric.toml"))) or "none"
    if not matches:
        raise ClassroomError(f"No exercise matches {name!r}; the exercises are: {known}.")
    raise ClassroomError(f"{name!r} matches several exercises ({', '.join(m.name for m in matches)}); be more specific.")


def solution_dir(exercise: Path) -> Path:
    """The reference answer of an exercise: ``solutions/<same stem>/``."""
    return SOLUTIONS_DIR / exercise.name


def app_files(app_dir: Path = SAMPLE_APP_DIR) -> list[Path]:
    """The sample app's source files, relative to ``app_dir``, sorted."""
    found = []
    for path in sorted(app_dir.rglob("*")):
        rel = path.relative_to(app_dir)
        if any(part in APP_EXCLUDED_NAMES or part.startswith("Dockerfile.") for part in rel.parts):
            continue
        if path.is_file() and not path.name.endswith(APP_EXCLUDED_SUFFIXES):
            found.append(rel)
    return found


def assemble_context(submission: Path, dest: Path, *, app_dir: Path = SAMPLE_APP_DIR) -> Path:
    """Build context = the sample app's source + the submission's Dockerfile and .dockerignore.

    ``submission`` is a folder holding a ``Dockerfile`` (or the path of the Dockerfile itself).
    Symbolic links in the submission are not followed: only regular files are copied.
    Returns ``dest``.
    """
    folder = submission if submission.is_dir() else submission.parent
    dockerfile = submission if submission.is_file() else submission / "Dockerfile"
    dest.mkdir(parents=True, exist_ok=True)
    for rel in app_files(app_dir):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(app_dir / rel, target)
    for name, source in (("Dockerfile", dockerfile), (".dockerignore", folder / ".dockerignore")):
        if source.is_file() and not source.is_symlink():
            shutil.copyfile(source, dest / name)
    return dest


def _hash_files(digest: "hashlib._Hash", root: Path, files: Iterable[Path]) -> None:
    for rel in files:
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256((root / rel).read_bytes()).digest())


def app_hash(app_dir: Path = SAMPLE_APP_DIR) -> str:
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
                   if p.is_file() and p.suffix in {".py", ".toml", ".yaml"} and not p.name.startswith("lesson")
                   and "__pycache__" not in p.parts)
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
    """Ids of the course's slim and full base images ("absent" when missing)."""
    from . import engine

    settings = settings or course_settings.load()
    ids = {}
    for ref in (settings.slim_image, settings.full_image):
        try:
            ids[ref] = engine.image_info(ref).id
        except engine.EngineError:
            ids[ref] = "absent"
    return ids


# ----------------------------------------------------------------------------------------------
# results


@dataclass
class StudentResult:
    """One student's line in the gradebook, and the report behind it."""

    student: str
    """The submission folder's name."""
    status: str
    """``graded`` (the rubric ran: see ``passed``), ``no-dockerfile``, ``timed-out``, ``grader-error``."""
    score: float = 0.0
    """Points earned."""
    max_score: float = 0.0
    """Points available in the rubric."""
    passed: bool = False
    """True when the score reaches the rubric's pass mark."""
    failed_checks: list[str] = field(default_factory=list)
    """Ids of the checks that failed, in rubric order."""
    image_size_bytes: int | None = None
    """Size of the built image; None when nothing was built."""
    build_seconds: float | None = None
    """Wall time of the build, as the grader measured it."""
    grade_seconds: float = 0.0
    """Wall time of the whole grading of this submission (build, run, probes, clean-up)."""
    key: str = ""
    """The cache key (see :func:`submission_hash`)."""
    message: str = ""
    """One sentence for the student when the rubric could not run (why not, what to do)."""
    from_cache: bool = False
    """True when this result was reused from an earlier run (same key): nothing was rebuilt."""
    report: dict | None = None
    """The grader's full report (its JSON view), when it produced one."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "StudentResult":
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def row(self) -> dict[str, object]:
        return {
            "student": self.student,
            "status": self.status,
            "score": _number(self.score),
            "max": _number(self.max_score),
            "passed": "yes" if self.passed else "no",
            "failed_checks": " ".join(self.failed_checks),
            "image_size_mb": f"{self.image_size_bytes / 1e6:.1f}" if self.image_size_bytes else "",
            "build_seconds": f"{self.build_seconds:.1f}" if self.build_seconds is not None else "",
            "from_cache": "yes" if self.from_cache else "no",
        }

    def markdown(self, exercise: str) -> str:
        lines = [f"# {exercise}: {self.student}", ""]
        verdict = "passed" if self.passed else "not passed"
        if self.status == "graded":
            lines.append(f"**Score: {_number(self.score)} / {_number(self.max_score)} ({verdict})**")
        else:
            lines.append(f"**Not graded: {self.status}.** {self.message}")
        lines.append("")
        if self.image_size_bytes:
            lines.append(f"* image size: {self.image_size_bytes / 1e6:.1f} MB")
        if self.build_seconds is not None:
            lines.append(f"* build time: {self.build_seconds:.1f} s")
        checks = (self.report or {}).get("checks") or []
        if checks:
            lines += ["", "| check | result | points | detail |", "| --- | --- | --- | --- |"]
            for check in checks:
                mark = "pass" if check.get("passed") else "FAIL"
                points = f"{_number(check.get('points', 0))} / {_number(check.get('max_points', 0))}"
                detail = str(check.get("message") or check.get("detail") or "").replace("|", "\\|").replace("\n", " ")
                lines.append(f"| `{check.get('id', '?')}` | {mark} | {points} | {detail} |")
        elif self.failed_checks:
            lines += ["", "Failed checks: " + ", ".join(f"`{c}`" for c in self.failed_checks)]
        return "\n".join(lines) + "\n"


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def summarise_report(report: dict) -> dict:
    """Pull the gradebook's fields out of the grader's JSON report."""
    checks = report.get("checks") or []
    score = report.get("score", report.get("points", 0)) or 0
    max_score = report.get("max_score", report.get("max_points", report.get("max", 0))) or 0
    failed = [str(c.get("id")) for c in checks if not c.get("passed")]
    image = report.get("image") or {}
    build = report.get("build") or {}
    size = report.get("image_size_bytes", image.get("size_bytes") if isinstance(image, dict) else None)
    seconds = report.get("build_seconds", build.get("seconds") if isinstance(build, dict) else None)
    return {
        "score": float(score),
        "max_score": float(max_score),
        "passed": bool(report.get("passed", False)),
        "failed_checks": failed,
        "image_size_bytes": int(size) if size else None,
        "build_seconds": float(seconds) if seconds is not None else None,
    }


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temp file in the same folder, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


GRADEBOOK_COLUMNS = ("student", "status", "score", "max", "passed", "failed_checks", "image_size_mb",
                     "build_seconds", "from_cache")


def gradebook_csv(results: Iterable[StudentResult]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=GRADEBOOK_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in sorted(results, key=lambda r: r.student):
        writer.writerow(result.row())
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------------
# the class


@dataclass(frozen=True)
class Shard:
    index: int
    """1-based."""
    count: int

    @classmethod
    def parse(cls, text: str | None) -> "Shard":
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


@dataclass
class ClassRun:
    """Everything one `grade-class` run needs; :meth:`run` grades and returns the results."""

    submissions: Path
    exercise: Path
    out: Path
    jobs: int = 2
    shard: Shard = field(default_factory=lambda: Shard(1, 1))
    settings: course_settings.Settings = field(default_factory=course_settings.load)
    progress: Progress = print
    grade_timeout_s: float | None = None
    """Deadline for one submission; default: build timeout + 2 x run timeout + a margin."""
    grader: list[str] | None = None
    """The command that grades one submission (default: this module's ``--grade-one``); for tests."""
    extra_key: str = ""
    """Mixed into every cache key: e.g. :func:`checker_digest` to regrade whenever the checker changes."""

    def __post_init__(self) -> None:
        self.run_id = f"class-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self._children: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # paths
    @property
    def rubric(self) -> Path:
        return self.exercise / "rubric.toml"

    def result_path(self, student: str) -> Path:
        return self.out / "results" / f"{student}.json"

    def cache_path(self, key: str) -> Path:
        return self.out / "cache" / f"{key}.json"

    # grading
    def run(self) -> list[StudentResult]:
        students = self.shard.select(discover(self.submissions))
        rubric_bytes = self.rubric.read_bytes()
        app_digest = app_hash()
        base_ids = base_image_ids(self.settings)
        grader_digest = self.extra_key
        self.out.mkdir(parents=True, exist_ok=True)
        results: dict[str, StudentResult] = {}
        todo: list[tuple[str, str]] = []
        for student in students:
            folder = self.submissions / student
            key = submission_hash(folder, rubric_bytes=rubric_bytes, app_digest=app_digest, base_ids=base_ids,
                                  grader_digest=grader_digest)
            cached = self._load_cached(key)
            if cached is not None:
                cached.student, cached.from_cache = student, True
                self._store(cached, cache=False)
                results[student] = cached
                self.progress(f"{student}: unchanged since the last run, {self._verdict(cached)} (cached)")
            else:
                todo.append((student, key))
        self.progress(f"{len(students)} submission(s), {len(results)} from cache, {len(todo)} to grade with {self.jobs} job(s)")
        previous = signal.getsignal(signal.SIGTERM)
        if threading.current_thread() is threading.main_thread():
            # A CI runner cancels with SIGTERM: treat it like Ctrl-C, so finished results are kept.
            signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.jobs), thread_name_prefix="lpi-grade") as pool:
                pending: dict[Future, tuple[str, str]] = {}
                queue = list(todo)
                # Identical submissions (same key) are graded once: the others wait for that result.
                waiting: dict[str, list[str]] = {}
                try:
                    while queue or pending:
                        while queue and len(pending) < max(1, self.jobs):
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
                                result = StudentResult(student, "grader-error", key=key,
                                                       message=f"The class runner failed on this submission: {exc!r}",
                                                       max_score=_rubric_max(self.rubric))
                                self._store(result)
                            results[student] = result
                            self.progress(f"{student}: {self._verdict(result)} ({result.grade_seconds:.0f} s)")
                            for twin in waiting.pop(key, []):
                                cached = self._load_cached(key)
                                if cached is None:
                                    queue.insert(0, (twin, key))  # not cacheable (timeout...): grade it too
                                    continue
                                cached.student, cached.from_cache = twin, True
                                self._store(cached, cache=False)
                                results[twin] = cached
                                self.progress(f"{twin}: identical to {student}, {self._verdict(cached)} (same result)")
                except KeyboardInterrupt:
                    self._stopping.set()
                    self.progress("interrupted: stopping the gradings in progress; finished results are kept")
                    self._kill_children()
                    for future in pending:
                        future.cancel()
                    raise
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, previous)
            self._cleanup_engine(self.run_id)
            self._write_gradebook()
        return [results[name] for name in sorted(results)]

    def _verdict(self, result: StudentResult) -> str:
        if result.status != "graded":
            return result.status
        return f"{_number(result.score)}/{_number(result.max_score)} {'passed' if result.passed else 'not passed'}"

    def _load_cached(self, key: str) -> StudentResult | None:
        path = self.cache_path(key)
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return StudentResult.from_dict(data)

    def _store(self, result: StudentResult, *, cache: bool = True) -> None:
        data = json.dumps(result.to_dict(), indent=2, sort_keys=True)
        if cache and result.status in {"graded", "no-dockerfile"}:
            # Timeouts and grader errors are not cached: they may be the machine's fault.
            write_atomic(self.cache_path(result.key), data)
        write_atomic(self.out / "reports" / f"{result.student}.md", result.markdown(self.exercise.name))
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
        dockerfile = folder / "Dockerfile"
        if not dockerfile.is_file() or dockerfile.is_symlink():
            result = StudentResult(student, "no-dockerfile", key=key,
                                   message="The submission has no Dockerfile (a regular file named exactly `Dockerfile`).",
                                   max_score=_rubric_max(self.rubric))
            self._store(result)
            return result
        run_id = f"{self.run_id}-{_safe(student)}"
        with tempfile.TemporaryDirectory(prefix="lpi-class-") as tmp:
            context = assemble_context(folder, Path(tmp) / "context")
            report_file = Path(tmp) / "report.json"
            log_file = Path(tmp) / "grader.log"
            command = self._grader_command() + [
                str(context / "Dockerfile"), "--context", str(context), "--rubric", str(self.rubric),
                "--format", "json", "--output", str(report_file),
            ]
            env = {**os.environ, "LPI_RUN_ID": run_id, "PYTHONPATH": _pythonpath()}
            timeout = self.grade_timeout_s or (self.settings.build_timeout_s + 2 * self.settings.run_timeout_s + GRADE_MARGIN_S)
            status, message, report = "grader-error", "", None
            try:
                with open(log_file, "wb") as log:
                    child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO_ROOT),
                                             env=env, start_new_session=True)
                    with self._lock:
                        self._children[student] = child
                    if self._stopping.is_set():
                        _kill_group(child)
                    try:
                        code = child.wait(timeout=timeout)
                    except subprocess.TimeoutExpired:
                        _kill_group(child)
                        child.wait()
                        code = None
                if self._stopping.is_set():
                    raise KeyboardInterrupt
                if code is None:
                    status = "timed-out"
                    message = f"Grading took longer than {timeout:.0f} s and was stopped; the build or the container never finished."
                else:
                    report = _read_report(report_file, log_file)
                    if report is None:
                        message = ("The grader stopped without a report (exit code "
                                   f"{code}): {_tail(log_file)}")
                    elif report.get("status") == "error":
                        # Grading could not happen (engine trouble, refused context...): say why.
                        message = str(report.get("error") or "The grader could not grade this submission.")
                    else:
                        status = "graded"
            finally:
                with self._lock:
                    self._children.pop(student, None)
                self._cleanup_engine(run_id)
        result = StudentResult(student, status, key=key, message=message, report=report,
                               grade_seconds=time.monotonic() - started)
        if report is not None:
            for name, value in summarise_report(report).items():
                setattr(result, name, value)
        else:
            result.max_score = _rubric_max(self.rubric)
        self._store(result)
        return result

    def _grader_command(self) -> list[str]:
        if self.grader:
            return list(self.grader)
        # LPI_GRADER_COMMAND swaps in another grader (the tests use a fake one that needs no engine).
        override = os.environ.get("LPI_GRADER_COMMAND", "").strip()
        return shlex.split(override) if override else [sys.executable, "-m", "checker.classroom", GRADE_ONE]

    def _kill_children(self) -> None:
        with self._lock:
            children = list(self._children.values())
        for child in children:
            _kill_group(child)

    def _cleanup_engine(self, run_id: str) -> None:
        """Remove every container and image labelled with this run (or a student's run under it).

        Never raises: a clean-up problem is reported, and ``python -m checker clean`` removes leftovers.
        """
        try:
            _remove_by_run_prefix(run_id)
        except Exception as exc:  # noqa: BLE001 - clean-up must not end the class
            self.progress(f"warning: could not clean up run {run_id}: {exc}")


def _remove_by_run_prefix(prefix: str) -> None:
    """Remove containers, then images, whose run label starts with ``prefix`` (keep-labelled images stay).

    Uses the list endpoints' own label data (no per-object lookups), so objects that other
    gradings remove at the same moment cannot make this fail.
    """
    import docker.errors

    from . import engine

    api = engine._client().api
    for container in api.containers(all=True, filters={"label": course_settings.LABEL_RUN}):
        if (container.get("Labels") or {}).get(course_settings.LABEL_RUN, "").startswith(prefix):
            try:
                api.remove_container(container["Id"], force=True, v=True)
            except docker.errors.APIError:
                pass
    for image in api.images(filters={"label": course_settings.LABEL_RUN}):
        labels = image.get("Labels") or {}
        if labels.get(course_settings.LABEL_RUN, "").startswith(prefix) and course_settings.LABEL_KEEP not in labels:
            try:
                api.remove_image(image["Id"], force=True)
            except docker.errors.APIError:
                pass


def _raise_keyboard_interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def _kill_group(child: subprocess.Popen, grace_s: float = 20) -> None:
    """Stop a grader and everything it started: SIGTERM to its session (the grader then removes
    what it created), SIGKILL after ``grace_s``."""
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


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:60]


def _read_report(report_file: Path, log_file: Path) -> dict | None:
    for source in (report_file, log_file):
        try:
            text = source.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        start = text.find("{")
        if start == -1:
            continue
        try:
            data = json.loads(text[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and "checks" in data:
            return data
    return None


def _tail(log_file: Path, lines: int = 5) -> str:
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "no output"
    return " / ".join(text.strip().splitlines()[-lines:]) or "no output"


def _rubric_max(rubric: Path) -> float:
    try:
        import tomllib

        data = tomllib.loads(rubric.read_text())
    except Exception:
        return 0.0
    checks = data.get("checks") or data.get("check") or []
    if isinstance(checks, dict):
        checks = list(checks.values())
    return float(sum(c.get("points", 0) for c in checks if isinstance(c, dict)))


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
) -> list[StudentResult]:
    """Grade every student folder in ``submissions`` against an exercise's rubric."""
    submissions = Path(submissions)
    exercise_dir = find_exercise(exercise)
    out_dir = Path(out) if out else submissions / "_grades"
    run = ClassRun(submissions=submissions, exercise=exercise_dir, out=out_dir, jobs=jobs,
                   shard=Shard.parse(shard), progress=progress, grade_timeout_s=grade_timeout_s, extra_key=extra_key)
    return run.run()


GRADE_ONE = "--grade-one"


def grade_one(argv: list[str]) -> int:
    """The child process of grade-class: grade one assembled context, write the report's JSON.

    ``DOCKERFILE --context DIR --rubric FILE --format json --output FILE``: the same arguments a
    replacement grader (``LPI_GRADER_COMMAND``) receives. The build's lines go to stdout (the
    class keeps them in a log for the verdict of a crash). The report is written atomically.
    """
    import argparse

    from .checks import exercise  # noqa: F401  (registers pyc_kept and no_pip_in_app_env)
    from . import grade  # the public API: checker.grade(...)

    parser = argparse.ArgumentParser(prog="checker.classroom --grade-one")
    parser.add_argument("dockerfile")
    parser.add_argument("--context", required=True)
    parser.add_argument("--rubric", required=True)
    parser.add_argument("--format", default="json", choices=("json",))
    parser.add_argument("--output", required=True)
    args = parser.parse_args(argv)
    report = grade(args.dockerfile, context=args.context, rubric=args.rubric,
                   on_line=lambda line: print(line, flush=True))
    write_atomic(Path(args.output), json.dumps(report.to_dict(), indent=1))
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    """``python -m checker.classroom ...``: the checker's CLI with the exercises' own checks loaded.

    The exercise rubrics use two checks defined in :mod:`checker.exercise_checks`
    (``pyc_kept``, ``no_pip_in_app_env``); this entry point registers them before running
    ``checker.cli`` (``python -m checker.classroom grade ... --exercise 04``).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == [GRADE_ONE]:
        return grade_one(argv[1:])
    from .checks import exercise  # noqa: F401  (registers the checks)
    from .cli import main as cli_main

    if argv[:1] == ["check"]:
        return check(argv[1:], cli_main)
    return cli_main(argv)


def check(argv: list[str], cli_main) -> int:
    """``python -m checker.classroom check EXERCISE [FOLDER] [grade options]``: one learner's answer.

    Grades ``FOLDER/Dockerfile`` (default: the exercise's own folder, where the learner edits the
    starter) in the context every grader uses: the sample app plus the Dockerfile and
    .dockerignore. Other options (``--format``, ``--output``...) go to ``checker grade``.
    """
    if not argv or argv[0].startswith("-"):
        print("usage: python -m checker.classroom check EXERCISE [FOLDER] [--format text|json|junit|classroom ...]",
              file=sys.stderr)
        return 2
    try:
        exercise = find_exercise(argv[0])
    except ClassroomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rest = argv[1:]
    folder = exercise
    if rest and not rest[0].startswith("-"):
        folder, rest = Path(rest[0]), rest[1:]
    if not (folder / "Dockerfile").is_file() and not folder.is_file():
        print(f"error: there is no Dockerfile in {folder}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="lpi-check-") as tmp:
        context = assemble_context(folder, Path(tmp) / "context")
        return cli_main(["grade", str(context / "Dockerfile"), "--context", str(context),
                         "--rubric", str(exercise / "rubric.toml"), *rest])


if __name__ == "__main__":
    raise SystemExit(main())
