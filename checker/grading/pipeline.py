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
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import checks as dynamic
from .. import staging
from ..dockerignore import DockerIgnore, DockerIgnoreError
from .. import engine, probes
from .. import rubric as rubrics
from . import scoring
from .. import settings as course_settings
from ..dockerfile import Dockerfile, ParseError, parse
from ..dockerfile.frontend import stable_frontend, without_syntax_directive
from ..engine import build_errors
from ..report import BuildSummary, Report
from . import cache_probe, facts
from ..engine import buildlog as engine_buildlog
from ..probes import elf as probe_elf
from ..probes import filesystem as probe_filesystem
from ..probes import runtime as probe_runtime
from ..probes import shipped as probe_shipped
from .run import LineCallback, Run, build_slot, cleanup, interruptible, new_run_id, repository_for
from ..rules.buildkit import classic_refusal, needs_buildkit
from .summary import (base_images, build_gate, build_summary, classic_cannot_build, engine_info, image_summary,
                      missing_image_message, unreachable_index)

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

    from ..lint import LintResult, lint

    try:
        ignore: DockerIgnore | None = DockerIgnore.read(context_dir)
    except DockerIgnoreError:
        ignore = None  # lint then treats the context as unknown; staging refuses it with the reason

    def run_lint(task: _Background | None = None) -> LintResult:
        with run.timed("lint", "Checking the Dockerfile's text"):
            return lint(text, context_dir=context_dir, dockerignore=ignore, build_args=settings.build_args,
                        with_hadolint=with_hadolint, buildkit=_builds_with_buildkit(settings))

    try:
        parsed: Dockerfile | None = parse(text, build_args=settings.build_args)
    except ParseError:
        parsed = None
    if parsed is None:  # lint says why, with the line: score 0, nothing built
        linted = run_lint()
        report.findings = list(linted.findings)
        error = linted.parse_error
        where = f"line {error.line}: " if error is not None and error.line else ""
        message = error.message if error is not None else "it does not parse"
        _score(report, rubric, {}, linted, gate=f"The Dockerfile does not parse ({where}{message}).",
               short="the Dockerfile does not parse")
        return
    # The rest of lint (the course rules, hadolint's process) runs beside the engine checks and
    # the build, which need only the parsed model; it is joined before anything reads it.
    linting = _Background("lint", run_lint)
    try:
        _build_and_judge(report, run, rubric, dockerfile, context_dir, text, ignore, parsed, linting, timeout, on_line)
    finally:
        linting.thread.join()


def _build_and_judge(report: Report, run: Run, rubric: rubrics.Rubric, dockerfile: Path, context_dir: Path, text: str,
                     ignore: DockerIgnore | None, model: Dockerfile, linting: _Background, timeout: float | None,
                     on_line: LineCallback | None) -> None:
    engine.ping()
    # Two chores the build need not wait for run beside it (each one to three engine calls, slow on a
    # busy engine): removing the containers of gradings that were killed, and reading the engine's
    # facts for the report. Both are joined before this returns; the facts where first read.
    reaping = _Background("reap", lambda task: engine.reap_expired_containers())
    about = _Background("engine-info", lambda task: engine_info())

    def engine_facts() -> dict[str, Any]:
        if not report.engine:
            report.engine = about.join()
        return report.engine

    try:
        _stage_build_judge(report, run, rubric, dockerfile, context_dir, text, ignore, model, linting, timeout,
                           on_line, engine_facts, reaping)
    finally:
        reaping.thread.join()
        about.thread.join()
        if not report.engine and about.error is None:
            report.engine = about.result or {}


def _stage_build_judge(report: Report, run: Run, rubric: rubrics.Rubric, dockerfile: Path, context_dir: Path,
                       text: str, ignore: DockerIgnore | None, model: Dockerfile, linting: _Background,
                       timeout: float | None, on_line: LineCallback | None, engine_facts: Callable[[], dict[str, Any]],
                       reaping: _Background) -> None:
    settings = run.settings

    build_checks: list = []  # Docker's own build checks (BuildKit only), merged when lint is joined

    def lint_result():  # joined once; its findings go into the report then
        linted = linting.join()
        report.findings = list(linted.findings)
        if build_checks:
            from ..buildchecks import findings_from_checks

            extra = findings_from_checks(build_checks, linted.findings, model)
            report.findings = sorted([*report.findings, *extra], key=lambda finding: finding.sort_key())
        return linted


    classic = not _builds_with_buildkit(settings)
    if classic:
        # The classic builder stops at BuildKit-only syntax (or, for a heredoc, misreads its body as
        # instructions): the machine's limit, decided from the parsed Dockerfile before building.
        lines = needs_buildkit(model)
        if lines:
            raise GradingError(classic_cannot_build(lines, engine_facts(), asked_classic=_asked_classic(settings)))
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
        _score(report, rubric, {}, lint_result(), gate=f"The build context was refused: {exc}",
               short="the build context was refused")
        return

    with run.timed("build_checks", "Running Docker's build checks"):
        # BuildKit only (None otherwise): Docker's own checks, advice beside the course's rules.
        warnings = engine.build_checks(staged.tar(), dockerfile=staged.dockerfile_name,
                                       build_args=settings.build_args, settings=settings)
    build_checks.extend(warnings or ())
    build_timeout = float(timeout) if timeout else float(settings.build_timeout_s)

    def build(sent: staging.StagedContext, message: str) -> engine.BuildResult:
        with run.timed("build", message), build_slot():
            built = engine.build(
                context_tar=sent.tar(),
                dockerfile=sent.dockerfile_name,
                tag=f"{repository_for(run.run_id)}:image",
                build_args=settings.build_args,
                labels={**run.labels,
                        **({course_settings.LABEL_KEEP: "cache"} if run.keep else {})},
                timeout_s=build_timeout,
                on_line=on_line,
                settings=settings,
            )
        run.builds.append((built, repository_for(run.run_id)))
        return built

    result = build(staged, "Building the image")
    frontend_note = None
    stable = None if result.ok else stable_frontend(model)
    syntax = model.directives.get("syntax")
    if stable and build_errors.unreachable_frontend(f"{result.error}\n{result.log or ''}", syntax):
        # docker/dockerfile:1 is the stable channel the built-in frontend belongs to: read the file with
        # that one rather than not grade it (said in the report); labs or other frontends are not replaced.
        directive_line, frontend_image = stable
        staged = staged.with_dockerfile(without_syntax_directive(model))
        if not build_checks:  # they could not fetch the frontend either
            with run.timed("build_checks", "Running Docker's build checks"):
                build_checks.extend(engine.build_checks(staged.tar(), dockerfile=staged.dockerfile_name,
                                                        build_args=settings.build_args, settings=settings) or ())
        result = build(staged, "Building with the engine's built-in Dockerfile frontend")
        frontend_note = (f"Line {directive_line}'s `# syntax={frontend_image}` names a Dockerfile frontend this grading machine cannot "
                         "fetch (no registry), so the engine's built-in frontend, a release of the same stable "
                         "channel, read the file instead.")
        if not result.ok and not result.steps and re.search(r"parse error|unknown flag|unknown instruction",
                                                            result.error or "", re.IGNORECASE):
            raise GradingError(
                f"{frontend_note} It could not read the file ({(result.error or '').strip()[:300]}): the file may use "
                f"syntax newer than this engine's built-in frontend. That is the grading machine's limit, not your "
                f"Dockerfile's fault; grade it where {frontend_image} can be fetched.")
    reaping.join()  # an engine that stopped answering stops the grading, as it would have before the build
    if engine_facts():
        report.engine["builder"] = result.builder  # measured: the builder that ran this build
    if not result.ok and "code: 137" in (result.error or ""):
        # A step killed (137) may be the engine shutting down (it kills build containers before it
        # stops answering): look again in a moment; no engine is no failure of the learner's.
        time.sleep(2)
        engine.ping()
    linted = lint_result()
    report.build = build_summary(result, linted.buildkit_lines, model)
    report.build.frontend_note = frontend_note
    frontend = None if result.ok else build_errors.unreachable_frontend(f"{result.error}\n{result.log or ''}", syntax)
    if frontend:
        raise GradingError(
            f"The Dockerfile's `# syntax=` line asks BuildKit to fetch the Dockerfile frontend {frontend} from a "
            "registry, and this grading machine cannot reach one: that is not your Dockerfile's fault. To grade "
            "here, delete that line (this engine's built-in frontend already understands heredocs, RUN --mount "
            "and COPY --chmod/--link); Docker Desktop fetches it for you."
        )
    refused = None if result.ok or result.builder != "classic" else \
        classic_refusal(f"{result.error}\n{result.log or ''}")
    if refused:  # the classic builder's own words, for syntax the parsed Dockerfile did not show
        said_line, flag = refused
        line = said_line or report.build.failed_line or _line_of(model, flag, report.build.failed_step)
        raise GradingError(classic_cannot_build([(line, flag)], engine_facts(), asked_classic=_asked_classic(settings)))
    if not result.ok and report.build.cause == "network":
        # The grading machine's own network (TLS, DNS, a refused connection to a package index):
        # not the learner's score. Grading could not happen; the report keeps the build and its lines.
        raise GradingError(unreachable_index(build_errors.diagnose(result.log or result.failed_output).evidence))
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
    report.image = image_summary(evidence, model)
    outcomes = {}
    for spec in rubric.checks:
        if spec.kind == "dynamic":
            try:
                outcomes[spec.id] = dynamic.REGISTRY[spec.resolved().id].judge(evidence, spec.params)
            except Exception as exc:  # a bug in one judge must not sink the report
                why = f"the checker could not judge this: {type(exc).__name__}: {exc}"
                outcomes[spec.id] = dynamic.Outcome(False, why[0].upper() + why[1:], not_judged=why, machine=True)
    _score(report, rubric, outcomes, linted, gate=None)


def _gather(evidence: dynamic.Evidence, run: Run, rubric: rubrics.Rubric, staged: staging.StagedContext,
            model: Dockerfile, result: engine.BuildResult, needs: set[str], build_timeout: float) -> None:
    """Run the probes the rubric needs, the independent ones at the same time.

    Three threads beside the main one, each joined before this returns, whatever happens: the
    layers scan (mostly waiting for ``docker save``), the image probes (filesystem scan, then
    what needs it: runtime probe, the rubric's commands) and the health probe (mostly waiting for
    the app). The main thread does the builds (the cache probe, a reference or baseline not yet
    built), which must stay there: a build answers Ctrl-C in the thread that waits for it. On
    any failure or interruption the threads are told to stop, the export is aborted, this run's
    containers are removed (which ends a probe waiting on one), and every thread is joined.
    """
    image = evidence.image
    assert image is not None
    env = image.env_dict()
    tasks: list[_Background] = []
    try:
        layers = _Background("layers", lambda task: _layers(run, model, image, task))
        tasks.append(layers)
        if needs & {"filesystem", "runtime", "commands"}:
            tasks.append(_Background("probes", lambda task: _probe_image(evidence, run, rubric, model, needs, env)))
        health = _health_probe(run, rubric, image) if "health" in needs else None
        if health is not None:
            tasks.append(health)
        if "cache" in needs:
            with run.timed("cache", "Rebuilding after a source-only change"):
                parts = (probes.chain_key(image.diff_ids), staged.dockerfile_name, _context_digest(staged),
                         [(i.keyword, i.raw, repr(i.heredocs)) for i in model.instructions],
                         sorted(run.settings.build_args.items()), sorted(rubric.params("cache_reuse").items()),
                         os.environ.get("DOCKER_HOST", ""), run.settings.builder,
                         facts.code_digest(cache_probe, engine_buildlog))
                def rebuild() -> dynamic.CacheFacts:
                    with build_slot():
                        return cache_probe.probe(run, rubric, staged, model, result, image, build_timeout)

                rebuilt, _ = facts.remembered(
                    "cache-probe", parts, rebuild,
                    keep_if=lambda found: found.error is None)
                evidence.cache = rebuilt
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
        for task in tasks:
            task.thread.join()
    except BaseException:
        _stop_all(run, tasks)
        raise
    for task in tasks:  # every thread has ended: surface what must stop the grading, in order
        task.join()
    layer_facts, base_layers, layers_error = layers.result or (None, 0, None)
    evidence.layers = layer_facts
    if layer_facts is not None:  # what keeping this build may add to the cache: nothing when every step was cached
        built = [step for step in result.steps if not step.is_from]
        run.kept_bytes = 0 if built and all(step.cached for step in built) else \
            sum(layer.size_bytes for layer in layer_facts.layers[base_layers:])
    evidence.base_ref = model.final_stage.root_base
    evidence.base_layers = base_layers
    if layer_facts is not None:
        evidence.base_wasted_bytes = sum(
            wasted.size_bytes for wasted in layer_facts.wasted_files if wasted.removed_by < base_layers)
    if layers_error and not evidence.filesystem_error:
        evidence.filesystem_error = layers_error
    if health is not None:
        evidence.health = health.result


def _context_digest(staged: staging.StagedContext) -> str:
    """A digest of the context without the Dockerfile (whose instructions, not comments, count): hex SHA-256."""
    digest = hashlib.sha256()
    for entry in staged.entries:
        if entry.arcname == staged.dockerfile_name:
            continue
        digest.update(f"{entry.arcname}\0{entry.kind}\0{entry.mode:o}\0{entry.linkname}\0".encode())
        if entry.kind == "file":
            digest.update(entry.data if entry.data is not None else
                          (entry.path.read_bytes() if entry.path is not None else b""))
    return digest.hexdigest()


def _runtime_worth_keeping(found: probes.RuntimeFacts) -> bool:
    """A runtime probe's answer is kept unless the probe failed or an import hit its deadline (the machine's bad moment)."""
    return found.error is None and not any("timed out" in said for _, said in found.imports.values())


def _stop_all(run: Run, tasks: list[_Background]) -> None:
    """Stop every task and wait for each: abort exports, remove this run's containers, join."""
    for task in tasks:
        task.stop()
    try:  # a probe waiting on its container (runtime, health, an export) returns once it is gone
        engine.remove_containers(f"{course_settings.LABEL_RUN}={run.run_id}")
    except engine.EngineError:
        pass
    for task in tasks:
        task.thread.join()


class _Background:
    """One probe run in a thread beside the others; the thread that starts it always joins it.

    ``work(task)`` runs in the thread; its return value lands in :attr:`result` and anything it
    raises in :attr:`error`, re-raised by :meth:`join` in the joining thread. :meth:`stop` sets
    :attr:`cancel` and calls the abort functions the work registered in :attr:`aborts`.
    """

    def __init__(self, name: str, work: Callable[[_Background], Any]) -> None:
        self.name = name
        self.cancel = threading.Event()
        self.aborts: list[Callable[[], None]] = []
        self.result: Any = None
        self.error: BaseException | None = None

        def target() -> None:
            try:
                self.result = work(self)
            except BaseException as exc:  # surfaced by join() in the joining thread
                self.error = exc

        self.thread = threading.Thread(target=target, name=f"lpi-{name}", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Ask the work to stop: set :attr:`cancel`, call each registered abort (errors ignored)."""
        self.cancel.set()
        for abort in list(self.aborts):
            try:
                abort()
            except Exception:
                pass

    def join(self) -> Any:
        """Wait for the thread; re-raise what the work raised, else return its result."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.result


def _health_probe(run: Run, rubric: rubrics.Rubric, image: engine.ImageInfo) -> _Background:
    """The health probe (start the app, wait for 200) in its own thread; its result is HealthFacts.

    An engine that stopped answering stops the grading; any other failure becomes a failed probe.
    """
    params = rubric.params("health")
    port = probes.container_port(image, int(params.get("port") or 8000))
    path = str(params.get("path") or "/health")
    deadline = min(float(params.get("deadline_s") or 30), float(run.settings.run_timeout_s))

    def probe(task: _Background) -> probes.HealthFacts | None:
        try:
            with run.timed("health", f"Starting the container and asking GET {path}"):
                return probes.probe_health(image.id, port=port, path=path, deadline_s=deadline,
                                           labels=run.labels, cancel=task.cancel, settings=run.settings)
        except engine.EngineUnavailable:
            raise
        except Exception as exc:
            return probes.HealthFacts(ok=False, error=f"the health probe itself failed ({type(exc).__name__}: {exc})",
                                      machine=True)

    return _Background("health", probe)


def _layers(run: Run, model: Dockerfile, image: engine.ImageInfo,
            task: _Background) -> tuple[probes.LayerFacts | None, int, str | None]:
    """``(layer facts, how many layers are the base image's, error)`` for the built image."""
    with run.timed("layers", "Reading the image's layers (docker save)"):
        try:
            facts = probes.scan_layers(image.id, diff_ids=image.diff_ids, cancel=task.cancel,
                                       on_open=task.aborts.append)
            return facts, _base_layers(run, image, model.final_stage.root_base), None
        except engine.EngineUnavailable:
            raise
        except engine.EngineError as exc:
            return None, 0, f"the image's layers could not be read: {exc}"


def _probe_image(evidence: dynamic.Evidence, run: Run, rubric: rubrics.Rubric, model: Dockerfile,
                 needs: set[str], env: dict[str, str]) -> None:
    """The probes that look inside the image, in order: filesystem, then runtime and commands (they need it)."""
    settings = run.settings
    image = evidence.image
    assert image is not None
    chain = probes.chain_key(image.diff_ids)
    if needs & {"filesystem", "runtime"}:
        with run.timed("filesystem", "Reading the image's filesystem"):
            path_var, kept = env.get("PATH", probes.DEFAULT_PATH), _kept_files(rubric)
            try:
                evidence.filesystem, _ = facts.remembered(
                    "filesystem", (chain, path_var, kept, facts.code_digest(probe_filesystem, probe_shipped, probe_elf)),
                    lambda: probes.scan_filesystem(image.id, path_var=path_var, labels=run.labels, keep_files=kept))
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
            extensions, timeout_s = evidence.filesystem.extensions, max(30, settings.run_timeout_s * 2)
            parts = (chain, interpreter, how, tuple(extensions), modules, image.env, image.user, image.workdir,
                     image.entrypoint, image.cmd, timeout_s, settings.memory_bytes,
                     facts.code_digest(probe_runtime, probe_elf))
            try:
                answered, _ = facts.remembered(
                    "runtime", parts,
                    lambda: probes.probe_runtime(image.id, interpreter, how, extensions=extensions, modules=modules,
                                                 filesystem=evidence.filesystem, environment=env,
                                                 workdir=image.workdir or "/",
                                                 labels=run.labels, timeout_s=timeout_s, settings=settings),
                    keep_if=_runtime_worth_keeping)
                evidence.runtime = answered
            except engine.EngineUnavailable:
                raise
            except engine.EngineError as exc:
                evidence.runtime = probes.RuntimeFacts(interpreter or "", how, error=str(exc))
    if "commands" in needs:
        specs = [probes.CommandSpec(tuple(spec.params["run"]), float(spec.params["deadline_s"]))
                 for spec in rubric.checks if spec.kind == "dynamic" and spec.resolved().id == "command"]
        with run.timed("commands", f"Running the rubric's {len(specs)} command(s) in the image"):
            evidence.commands = probes.run_commands(image, specs, labels=run.labels, settings=settings)


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
    # Listing images by label is slow on a full engine (about 1 s on 20.10): the id found last
    # time is inspected first, and trusted only when it still carries this key.
    remembered = facts.recall("reference-image", key)
    if isinstance(remembered, str):
        try:
            info = run.inspect(remembered)
            if info.labels.get(LABEL_CACHE_KEY) == key:
                return dynamic.SizeReference(spec.name, probes.image_size(info), str(spec.dockerfile))
        except engine.ImageUnavailable:
            pass
    for found in engine.find_images(f"{LABEL_CACHE_KEY}={key}"):
        facts.keep("reference-image", key, found.id)
        return dynamic.SizeReference(spec.name, probes.image_size(engine.image_info(found.id)), str(spec.dockerfile))
    run.phase(f"Building the {spec.name} ({spec.dockerfile.name}) once on this engine; it is kept as cache")
    repository = f"lpi-ref/{key[:16]}-{repository_for(run.run_id).split('/')[1][-12:].strip('-') or 'run'}"
    with build_slot():
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
    facts.keep("reference-image", key, result.image_id)
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
        found = run.inspect(base)
    except engine.ImageUnavailable:
        return 0
    count = len(found.diff_ids)
    return count if count and image.diff_ids[:count] == found.diff_ids else 0


def _image_id(run: Run, ref: str) -> str:
    """The engine's id of image ``ref`` (``ref`` itself when absent), looked up once per run."""
    try:
        return run.inspect(ref).id
    except engine.ImageUnavailable:
        return ref


def _inside(dockerfile: Path, context_dir: Path) -> bool:
    try:
        dockerfile.resolve().relative_to(context_dir.resolve())
        return True
    except ValueError:
        return False


def _asked_classic(settings: course_settings.Settings) -> bool:
    """True when ``LPI_BUILDER`` / ``--builder`` asked for the classic builder (not the engine's limit alone)."""
    return (settings.builder or "auto").strip().lower() == "classic"


def _line_of(model: Dockerfile, feature: str, failed_step: str | None) -> int:
    """The Dockerfile line of the first instruction that carries ``feature``'s flag (``--link``), else 0.

    ``failed_step`` (the classic builder's ``Step N/M : ...`` text) is preferred when it names one.
    """
    flag = feature.split()[-1].lstrip("-")
    for instruction in model.instructions:
        if failed_step and " ".join(f"{instruction.keyword} {instruction.raw}".split()).lower() == \
                " ".join(failed_step.split()).lower():
            return instruction.line
    for instruction in model.instructions:
        if any(name == flag for name, _ in instruction.flags):  # a flag, never a word of a shell command
            return instruction.line
    return 0


def _builds_with_buildkit(settings: course_settings.Settings) -> bool:
    """Whether this grade's builds run on BuildKit (engine and ``LPI_BUILDER``); False without an engine.

    LPI015 (BuildKit-only syntax) speaks only when they do not.
    """
    try:
        return engine.choose_builder(settings).name == "buildkit"
    except (engine.EngineError, ValueError):
        return False
