"""Grade one Dockerfile: lint, stage, build, probe, score. Never crashes.

The pipeline, and what each failure becomes:

1. rubric (``--exercise``/``--rubric``/default) -- a bad rubric: status ``error`` (exit 2);
2. read the Dockerfile, lint it (course rules + hadolint) -- missing file: ``error``; a
   Dockerfile that does not parse: graded, score 0 (exit 1);
3. the engine and the base images -- no engine, or a FROM image that is neither here nor
   pullable: ``error``;
4. stage the context (``checker.staging``) -- a context that breaks a safety rule: graded, 0;
5. build under a deadline -- a failed or timed-out build: graded, 0, with the failing step, the
   lines that explain the failure and a hint for a well-known cause (``engine.build_errors``), the
   end of its output (and a BuildKit note when the syntax needs it); a build that failed on the
   grading machine's own network (TLS, DNS, connection to a package index): ``error`` (exit 2);
6. gather the evidence the rubric's checks need: the filesystem scan, the runtime probe
   (imports and Python version from the image's interpreter; shared libraries resolved on the host), the health probe, the cache probe (a rebuild after appending
   a comment to one source file, cut as soon as an install step misses the cache), and the
   reference/baseline sizes (built once per engine and kept as cache);
7. judge every check, score, and clean up: this run's containers always go; the built images
   are kept as build cache (tagged ``lpi-grade/<run>``, within the cache budget) or removed.

An engine error in one probe fails the checks that needed it, with the reason; the engine
disappearing altogether makes the whole grading an ``error``. Ctrl-C and SIGTERM cancel the
running build, remove this run's containers, and re-raise.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path

from .. import checks as dynamic
from .. import staging
from ..dockerignore import DockerIgnore, DockerIgnoreError
from .. import engine, probes
from .. import rubric as rubrics
from . import scoring
from .. import settings as course_settings
from ..dockerfile import Dockerfile, ParseError, parse
from ..engine import build_errors
from ..report import BuildSummary, Report
from . import cache_probe
from .run import LineCallback, Run, cleanup, interruptible, new_run_id, repository_for
from .summary import base_images, build_gate, build_summary, engine_info, image_summary, missing_image_message

LABEL_CACHE_KEY = "org.lean-python-images.cache-key"
"""Label on a reference/baseline image: the digest of what it was built from (to find it again)."""


class GradingError(Exception):
    """Grading could not happen (exit 2); the message is one sentence for stderr."""


def grade(
    dockerfile: str | os.PathLike[str],
    *,
    context: str | os.PathLike[str] | None = None,
    exercise: str | None = None,
    rubric: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    on_line: LineCallback | None = None,
    on_phase: LineCallback | None = None,
    keep_cache: bool = True,
    with_hadolint: bool = True,
    run_id: str | None = None,
    settings: course_settings.Settings | None = None,
) -> Report:
    """Grade ``dockerfile`` built in ``context`` (default: the Dockerfile's folder).

    ``exercise`` (a name matching ``exercises/*NAME*/``) or ``rubric`` (a TOML file) chooses the
    rubric; neither means the sample app's default rubric. ``timeout`` is the wall-clock limit
    of each build of the submission in seconds (default ``LPI_BUILD_TIMEOUT``, 900).
    ``on_line`` receives the build's output line by line, ``on_phase`` a sentence per phase.
    ``keep_cache=False`` removes every image this grading built instead of keeping them as
    build cache. Returns a :class:`Report`; never raises for a learner's mistake or an engine
    problem (``report.status == "error"`` says grading could not happen). Raises
    ``KeyboardInterrupt`` on Ctrl-C or SIGTERM, after this run's clean-up.
    """
    settings = settings or course_settings.load()
    run = Run(run_id=run_id or new_run_id(), settings=settings, keep=keep_cache, phase=on_phase or (lambda m: None))
    started = time.monotonic()
    report = Report(dockerfile=str(dockerfile), context=str(context if context is not None else Path(dockerfile).parent),
                    rubric="", rubric_path="", run_id=run.run_id)
    try:
        with interruptible():
            try:
                _grade(report, run, Path(dockerfile), Path(report.context), exercise, rubric, timeout, on_line,
                       with_hadolint)
            except GradingError as exc:
                _error(report, str(exc))
            except engine.EngineError as exc:
                _error(report, str(exc))
            except Exception as exc:  # a bug of ours: still a report, never a traceback for the learner
                if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):  # the machine, not the learner
                    _error(report, f"no space left on the grading machine ({exc.filename or 'the temp folder ' + tempfile.gettempdir()}) "
                                   "to stage or build this submission: free some space or point TMPDIR elsewhere")
                else:
                    _error(report, f"the checker itself failed ({type(exc).__name__}: {exc}); please report this")
            finally:
                with run.timed("cleanup"):
                    cleanup(run)
    finally:
        report.timings = dict(run.timings)
        report.seconds = time.monotonic() - started
    return report


# ----------------------------------------------------------------------------------------------
# the pipeline


def _grade(report: Report, run: Run, dockerfile: Path, context_dir: Path, exercise: str | None,
           rubric_path: str | os.PathLike[str] | None, timeout: float | None, on_line: LineCallback | None,
           with_hadolint: bool) -> None:
    settings = run.settings
    try:
        rubric = rubrics.resolve(exercise=exercise, rubric=rubric_path)
    except rubrics.RubricError as exc:
        raise GradingError(str(exc)) from exc
    report.rubric, report.rubric_path = rubric.title, str(rubric.path)
    report.max_score, report.pass_score = rubric.max_score, rubric.pass_score

    try:
        text = staging.read_dockerfile(dockerfile)
    except staging.MissingInput as exc:
        raise GradingError(str(exc)) from exc
    except staging.ContextRefused as exc:
        _score(report, rubric, {}, None, gate=str(exc), short="the Dockerfile was refused")
        return
    if not context_dir.is_dir():
        raise GradingError(f"The build context {context_dir} is not a folder.")

    with run.timed("lint", "Checking the Dockerfile's text"):
        from ..lint import lint

        try:
            ignore: DockerIgnore | None = DockerIgnore.read(context_dir)
        except DockerIgnoreError:
            ignore = None  # lint then treats the context as unknown; staging refuses it with the reason
        linted = lint(text, context_dir=context_dir, dockerignore=ignore, build_args=settings.build_args,
                      with_hadolint=with_hadolint)
    report.findings = list(linted.findings)
    if linted.parse_error is not None:
        error = linted.parse_error
        where = f"line {error.line}: " if error.line else ""
        _score(report, rubric, {}, linted, gate=f"The Dockerfile does not parse ({where}{error.message}).",
               short="the Dockerfile does not parse")
        return
    model: Dockerfile = linted.dockerfile  # type: ignore[assignment]

    engine.ping()
    engine.reap_expired_containers()
    report.engine = engine_info()
    with run.timed("base_images", "Checking the base images"):
        report.base_images = base_images(model)
    missing = [base.ref for base in report.base_images if not base.available]
    if missing:
        raise GradingError(missing_image_message(model, missing[0]))

    try:
        staged = staging.stage(dockerfile, context_dir, dockerfile_text=None if _inside(dockerfile, context_dir) else text,
                               read_text=text, dockerignore=ignore, settings=settings)
    except staging.MissingInput as exc:
        raise GradingError(str(exc)) from exc
    except staging.ContextRefused as exc:
        report.build = BuildSummary(ok=False, seconds=0.0, error=f"The build context was refused: {exc}")
        _score(report, rubric, {}, linted, gate=f"The build context was refused: {exc}",
               short="the build context was refused")
        return

    build_timeout = float(timeout) if timeout else float(settings.build_timeout_s)
    with run.timed("build", "Building the image"):
        result = engine.build(
            context_tar=staged.tar(),
            dockerfile=staged.dockerfile_name,
            tag=f"{repository_for(run.run_id)}:image",
            build_args=settings.build_args,
            labels={**run.labels,
                    **({course_settings.LABEL_KEEP: "cache"} if run.keep else {})},
            timeout_s=build_timeout,
            on_line=on_line,
            settings=settings,
        )
    run.builds.append((result, repository_for(run.run_id)))
    if not result.ok and "code: 137" in (result.error or ""):
        # A step killed (137) may be the engine shutting down (it kills build containers before it
        # stops answering): look again in a moment; no engine is no failure of the learner's.
        time.sleep(2)
        engine.ping()
    report.build = build_summary(result, linted.buildkit_lines)
    if not result.ok and report.build.cause == "network":
        # The grading machine's own network (TLS, DNS, a refused connection to a package index):
        # not the learner's score. Grading could not happen; the report keeps the build and its lines.
        said = build_errors.diagnose(result.log or result.failed_output).evidence
        raise GradingError(
            "The build failed because this grading machine could not reach a package index"
            + (f" (the log says: {said})" if said else "")
            + ": that is not your Dockerfile's fault; grade again later or tell whoever runs the grader."
        )
    evidence = dynamic.Evidence(build=result)
    if not result.ok:
        _score(report, rubric, {"builds": dynamic.REGISTRY["builds"].judge(evidence, {})}, linted,
               gate=build_gate(report.build), short="the image did not build")
        return

    assert result.image_id is not None, "a build that succeeded has an image id"
    image = engine.image_info(result.image_id)
    evidence.image = image
    needs = rubric.needs()
    _gather(evidence, run, rubric, staged, model, result, needs, build_timeout)
    report.image = image_summary(evidence)
    outcomes = {}
    for spec in rubric.checks:
        if spec.kind == "dynamic":
            try:
                outcomes[spec.id] = dynamic.REGISTRY[spec.resolved().id].judge(evidence, spec.params)
            except Exception as exc:  # a bug in one judge must not sink the report
                outcomes[spec.id] = dynamic.Outcome(False, f"The checker could not judge this: {type(exc).__name__}: {exc}")
    _score(report, rubric, outcomes, linted, gate=None)


def _gather(evidence: dynamic.Evidence, run: Run, rubric: rubrics.Rubric, staged: staging.StagedContext,
            model: Dockerfile, result: engine.BuildResult, needs: set[str], build_timeout: float) -> None:
    image = evidence.image
    assert image is not None
    env = image.env_dict()
    # The health probe (start the app, wait for 200) needs nothing the other probes learn, and
    # mostly waits: it runs beside them, in a thread the main thread always joins.
    health = _HealthProbe(run, rubric, image) if "health" in needs else None
    try:
        _gather_rest(evidence, run, rubric, staged, model, result, needs, build_timeout, env)
    except BaseException:
        if health is not None:
            health.cancel.set()
        raise
    finally:
        if health is not None:
            evidence.health = health.join()


class _HealthProbe:
    def __init__(self, run: Run, rubric: rubrics.Rubric, image: engine.ImageInfo) -> None:
        params = rubric.params("health")
        self.cancel = threading.Event()
        self.facts: probes.HealthFacts | None = None
        self.error: BaseException | None = None
        port = probes.container_port(image, int(params.get("port") or 8000))
        path = str(params.get("path") or "/health")
        deadline = min(float(params.get("deadline_s") or 30), float(run.settings.run_timeout_s))

        def probe() -> None:
            try:
                with run.timed("health", f"Starting the container and asking GET {path}"):
                    self.facts = probes.probe_health(image.id, port=port, path=path, deadline_s=deadline,
                                                     labels=run.labels, cancel=self.cancel, settings=run.settings)
            except BaseException as exc:  # surfaced by join() in the main thread
                self.error = exc

        self.thread = threading.Thread(target=probe, name="lpi-health", daemon=True)
        self.thread.start()

    def join(self) -> probes.HealthFacts | None:
        self.thread.join()
        if isinstance(self.error, engine.EngineUnavailable):
            raise self.error
        if self.error is not None:
            return probes.HealthFacts(ok=False, error=f"The health probe failed: {self.error}")
        return self.facts


def _gather_rest(evidence: dynamic.Evidence, run: Run, rubric: rubrics.Rubric, staged: staging.StagedContext,
                 model: Dockerfile, result: engine.BuildResult, needs: set[str], build_timeout: float,
                 env: dict[str, str]) -> None:
    settings = run.settings
    image = evidence.image
    assert image is not None
    with run.timed("layers", "Reading the image's layers (docker save)"):
        try:
            evidence.layers = probes.scan_layers(image.id)
            base = model.final_stage.root_base
            evidence.base_ref = base
            evidence.base_layers = _base_layers(run, image, base)
            evidence.base_wasted_bytes = sum(
                wasted.size_bytes for wasted in evidence.layers.wasted_files if wasted.removed_by < evidence.base_layers)
        except engine.EngineUnavailable:
            raise
        except engine.EngineError as exc:
            evidence.filesystem_error = f"the image's layers could not be read: {exc}"
    if needs & {"filesystem", "runtime"}:
        with run.timed("filesystem", "Reading the image's filesystem"):
            try:
                evidence.filesystem = probes.scan_filesystem(image.id, path_var=env.get("PATH", probes.DEFAULT_PATH),
                                                             labels=run.labels, keep_files=_kept_files(rubric))
            except engine.EngineUnavailable:
                raise
            except engine.EngineError as exc:
                evidence.filesystem_error = f"the image's filesystem could not be read: {exc}"
        if evidence.filesystem is not None and _uses(rubric, "no_secret_files", "no_new_setuid"):
            base = model.final_stage.root_base
            try:  # the base image's own setuid files and leftovers, cached on disk by image id
                evidence.base_shipped = probes.base_shipped(base, labels=run.labels)
            except engine.EngineUnavailable:
                raise
            except engine.EngineError:
                evidence.base_shipped = None  # judged without subtracting the base's: said in the message
    if evidence.filesystem is not None:
        evidence.command = probes.resolve_command(image, evidence.filesystem)
    if "runtime" in needs and evidence.filesystem is not None:
        with run.timed("runtime", "Asking the image's Python (imports, version) and resolving its libraries"):
            interpreter, how = probes.runtime_interpreter(image, evidence.filesystem, evidence.command)
            modules_param = rubric.params("app_imports").get("modules")
            modules = tuple(modules_param) if modules_param else probes.app_modules(image)
            try:
                evidence.runtime = probes.probe_runtime(
                    image.id, interpreter, how, extensions=evidence.filesystem.extensions, modules=modules,
                    filesystem=evidence.filesystem, environment=env, workdir=image.workdir or "/",
                    labels=run.labels, timeout_s=max(30, settings.run_timeout_s * 2), settings=settings,
                )
            except engine.EngineUnavailable:
                raise
            except engine.EngineError as exc:
                evidence.runtime = probes.RuntimeFacts(interpreter or "", how, error=str(exc))
    if "commands" in needs:
        specs = [probes.CommandSpec(tuple(spec.params["run"]), float(spec.params["deadline_s"]))
                 for spec in rubric.checks if spec.kind == "dynamic" and spec.resolved().id == "command"]
        with run.timed("commands", f"Running the rubric's {len(specs)} command(s) in the image"):
            evidence.commands = probes.run_commands(image, specs, labels=run.labels, settings=settings)
    if "cache" in needs:
        with run.timed("cache", "Rebuilding after a source-only change"):
            evidence.cache = cache_probe.probe(run, rubric, staged, model, result, image, build_timeout)
    if "sizes" in needs:
        with run.timed("sizes", "Measuring the reference and the baseline"):
            for spec in (rubric.reference, rubric.baseline):
                if spec is None:
                    continue
                measured = _comparison(run, spec, staged)
                if spec.name == "reference":
                    evidence.reference = measured
                else:
                    evidence.baseline = measured


# ----------------------------------------------------------------------------------------------
# reference and baseline


def _uses(rubric: rubrics.Rubric, *check_ids: str) -> bool:
    """True when the rubric lists one of these dynamic checks (any ``kind:name`` instance counts)."""
    return any(spec.kind == "dynamic" and spec.resolved().id in check_ids for spec in rubric.checks)


def _kept_files(rubric: rubrics.Rubric) -> tuple[str, ...]:
    """The files whose content the filesystem scan keeps: the rubric's ``file_contains`` paths."""
    return tuple(str(spec.params["path"]) for spec in rubric.checks
                 if spec.kind == "dynamic" and spec.resolved().id == "file_contains")


def _comparison(run: Run, spec: rubrics.BuildSpec, learner: staging.StagedContext) -> dynamic.SizeReference:
    settings = run.settings
    try:
        staged = staging.stage(spec.dockerfile, spec.context or learner.root, settings=settings)
    except (staging.MissingInput, staging.ContextRefused) as exc:
        raise GradingError(f"The {spec.name} build for this rubric cannot be staged: {exc}") from exc
    bases = []
    try:
        for stage in parse(staged.dockerfile_text, build_args=settings.build_args).stages:
            if stage.parent is None and stage.root_base != "scratch":
                bases.append(_image_id(run, stage.root_base))
    except ParseError as exc:
        raise GradingError(f"The {spec.name} Dockerfile {spec.dockerfile} does not parse: {exc}") from exc
    digest = hashlib.sha256()
    for part in (staged.dockerfile_name, staged.digest(), repr(sorted(settings.build_args.items())), *bases):
        digest.update(part.encode())
        digest.update(b"\0")
    key = digest.hexdigest()
    for found in engine.find_images(f"{LABEL_CACHE_KEY}={key}"):
        return dynamic.SizeReference(spec.name, probes.image_size(engine.image_info(found.id)), str(spec.dockerfile))
    run.phase(f"Building the {spec.name} ({spec.dockerfile.name}) once on this engine; it is kept as cache")
    repository = f"lpi-ref/{key[:16]}-{repository_for(run.run_id).split('/')[1][-12:].strip('-') or 'run'}"
    result = engine.build(
        context_tar=staged.tar(), dockerfile=staged.dockerfile_name, tag=f"{repository}:image",
        build_args=settings.build_args,
        labels={LABEL_CACHE_KEY: key, course_settings.LABEL_KEEP: spec.name},
        settings=settings,
    )
    run.builds.append((result, repository))
    if not result.ok:
        raise GradingError(
            f"The rubric's {spec.name} {spec.dockerfile} does not build on this engine "
            f"({result.failed_step or 'no step'}: {(result.error or '').strip()[:200]}), so sizes cannot be compared."
        )
    assert result.image_id is not None, "a build that succeeded has an image id"
    return dynamic.SizeReference(spec.name, probes.image_size(engine.image_info(result.image_id)), str(spec.dockerfile))


# ----------------------------------------------------------------------------------------------
# scoring


#: The scorer moved to :mod:`checker.grading.scoring` (it reads the check catalogue).
_score = scoring.score


def _error(report: Report, message: str) -> None:
    report.status = "error"
    report.passed = False
    report.error = message
    report.score = 0.0
    report.verdict = f"Grading could not happen: {message}"


def _base_layers(run: Run, image: engine.ImageInfo, base: str | None) -> int:
    """How many of ``image``'s first layers are base image ``base``'s (0 for scratch, a missing base or no match)."""
    if not base or base == "scratch":
        return 0
    try:
        found = engine.image_info(base)
    except engine.ImageUnavailable:
        return 0
    count = len(found.diff_ids)
    return count if count and image.diff_ids[:count] == found.diff_ids else 0


def _image_id(run: Run, ref: str) -> str:
    """The engine's id of image ``ref`` (``ref`` itself when absent), looked up once per run."""
    if ref not in run.image_ids:
        try:
            run.image_ids[ref] = engine.image_info(ref).id
        except engine.ImageUnavailable:
            run.image_ids[ref] = ref
    return run.image_ids[ref]


def _inside(dockerfile: Path, context_dir: Path) -> bool:
    try:
        dockerfile.resolve().relative_to(context_dir.resolve())
        return True
    except ValueError:
        return False
