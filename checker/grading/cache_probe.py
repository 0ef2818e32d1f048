"""The cache probe: rebuild after a source-only change and see whether the installs are reused.

A comment is appended to one Python source file of the staged context, the image is built
again, and every dependency-install step is expected to come from the build cache. The rebuild
stops as soon as an install step runs again (a miss is all the check needs to know).

Which build steps install dependencies is read from the parsed Dockerfile (the model the lint
made), not from the build log's text: the classic builder numbers its steps over every
instruction of the file in order (global ARGs included), so step ``N`` is instruction ``N - 1``.
"""

from __future__ import annotations

from pathlib import Path

from .. import checks as dynamic
from .. import staging
from .. import engine, probes
from .. import rubric as rubrics
from ..dockerfile import Dockerfile, Instruction, package_installs, split_commands
from .run import Run, repository_for

#: Files that declare dependencies: never the one the probe changes.
MANIFESTS = {"requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "poetry.lock", "uv.lock", "Pipfile",
             "Pipfile.lock", "pdm.lock"}
_SHELL_C = (["/bin/sh", "-c"], ["sh", "-c"], ["bash", "-c"])


def is_install_step(instruction: Instruction) -> bool:
    """True for a RUN that installs Python dependencies (pip, uv, poetry, pipenv, pdm).

    Installs of the project alone (``--no-deps``, poetry's ``--only-root``) do not count: they
    belong after the source copy.
    """
    if instruction.keyword != "RUN":
        return False
    installs = instruction.installs
    words = instruction.json
    if words is not None and list(words[:2]) in _SHELL_C:  # RUN ["sh", "-c", "pip install ..."]
        installs = package_installs(split_commands(" ".join(words[2:])))
    return any(install.python and not install.has("--no-deps", "--no-dependencies", "--only-root")
               for install in installs)


def install_step_numbers(model: Dockerfile) -> frozenset[int]:
    """The classic builder's step numbers (1-based) of ``model``'s dependency-install RUNs."""
    return frozenset(instruction.index + 1 for instruction in model.instructions if is_install_step(instruction))


def install_steps(steps: list[engine.BuildStep], model: Dockerfile) -> list[engine.BuildStep]:
    """The build's steps that are dependency installs of ``model``, in build order.

    A step whose keyword differs from the model's instruction at its number (a log that does not
    follow the file) counts as no install.
    """
    numbers = install_step_numbers(model)
    return [step for step in steps if step.number in numbers and _same_keyword(step, model)]


def _same_keyword(step: engine.BuildStep, model: Dockerfile) -> bool:
    instruction = model.instructions[step.number - 1] if 0 < step.number <= len(model.instructions) else None
    return instruction is not None and step.instruction.upper().split(None, 1)[:1] == [instruction.keyword]


def changed_file(rubric: rubrics.Rubric, staged: staging.StagedContext, image: engine.ImageInfo | None) -> str | None:
    """The context file the probe appends a comment to, or None when there is none to change.

    The rubric's ``cache_reuse.source_file`` when given (and present); else the app's module
    (from the image's command); else the first Python source that is not a manifest or a test.
    """
    chosen = rubric.params("cache_reuse").get("source_file")
    names = staged.names
    if chosen:
        return chosen if chosen in names else None
    modules = probes.app_modules(image) if image else ("main",)
    for module in modules:
        candidate = module.replace(".", "/") + ".py"
        if candidate in names:
            return candidate
    for name in staged.python_sources():
        if Path(name).name not in MANIFESTS and not name.startswith((".", "tests/")):
            return name
    return None


def probe(run: Run, rubric: rubrics.Rubric, staged: staging.StagedContext, model: Dockerfile,
                first: engine.BuildResult, image: engine.ImageInfo, build_timeout: float) -> dynamic.CacheFacts:
    """Rebuild ``staged`` with one source file changed; which install steps came from the cache.

    ``first`` is the learner's build of ``model`` and ``image`` its image; ``build_timeout`` is in
    seconds. The rebuild is recorded in ``run.builds`` (to be discarded). Raises
    :class:`engine.EngineError` when the engine fails (not when the rebuild fails).
    """
    changed = changed_file(rubric, staged, image)
    facts = dynamic.CacheFacts(changed_file=changed)
    numbers = install_step_numbers(model)
    if not install_steps(first.steps, model):
        facts.install_steps = []
        return facts
    if changed is None:
        facts.error = "The build context has no Python source file to change, so cache reuse could not be tested."
        return facts
    original = staged.read(changed) or b""
    edited = original + (b"" if original.endswith(b"\n") or not original else b"\n") + \
        f"# lean-python-images cache probe {run.run_id}\n".encode()

    def stop(step: engine.BuildStep, line: str) -> str | None:
        if step.number in numbers and step.ran:  # its command started: not from the cache (either builder)
            return f"{step.instruction} missed the cache"
        return None

    result = engine.build(
        context_tar=staged.tar(overrides={changed: edited}),
        dockerfile=staged.dockerfile_name,
        tag=f"{repository_for(run.run_id)}:cache-probe",
        build_args=run.settings.build_args,
        labels={**run.labels},
        timeout_s=build_timeout,
        should_stop=stop,
        settings=run.settings,
    )
    run.builds.append((result, ""))
    facts.seconds = result.seconds
    facts.stopped_early = result.stopped is not None
    facts.install_steps = [(step.instruction, step.cached) for step in install_steps(result.steps, model)]
    if not result.ok and result.stopped is None:
        facts.error = (f"The rebuild after appending a comment to {changed} failed"
                       f"{' at `' + result.failed_step + '`' if result.failed_step else ''}: {result.error}")
    return facts
