"""Everything the bench does on the engine: builds (through checker.engine), container runs, cleanup.

Every image is tagged ``lpi-bench/<name>:<run id>`` and carries the owner label (engine.build adds
it); every container carries the owner label and this run's label. ``Lab.cleanup`` removes them all,
and the dangling images the classic builder leaves for earlier stages, whatever happened before.

Container runs go through ``engine.run`` and ``engine.service``. No other bench module talks to the
engine.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from checker import engine, probes
from checker import settings as course_settings

BENCH_LABEL = "org.lean-python-images.bench"
_STEP_IMAGE = re.compile(r"^\s*---> ([0-9a-f]{12,64})\s*$", re.MULTILINE)


class BenchError(Exception):
    """A build or a run the bench needs failed; the message names which and why."""


@dataclass
class Built:
    name: str
    tag: str
    seconds: float
    size_bytes: int
    layers: tuple[probes.LayerFact, ...]
    """Non-empty layers, oldest first, sized from the exported layer tars (the grader's measure)."""
    cached_steps: int
    steps: int


@dataclass
class Lab:
    settings: course_settings.Settings = field(default_factory=course_settings.load)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    tags: list[str] = field(default_factory=list)
    step_images: list[str] = field(default_factory=list)
    tmpdirs: list[Path] = field(default_factory=list)
    log: callable = print

    # -- contexts ---------------------------------------------------------------------------

    def stage(self, source: Path, name: str) -> Path:
        """A copy of ``source`` with its .dockerignore applied (engine.build sends a dir as it is)."""
        from checker.lesson.context import stage  # THE .dockerignore reader and matcher, as lessons use it

        root = Path(tempfile.mkdtemp(prefix=f"lpi-bench-{name}-"))
        self.tmpdirs.append(root)
        return stage(root / "context", source=source)

    # -- builds -----------------------------------------------------------------------------

    def build(self, name: str, context: Path, dockerfile_text: str, *, nocache: bool = False) -> Built:
        tag = f"lpi-bench/{name}:{self.run_id}"
        if tag not in self.tags:
            self.tags.append(tag)
        result = engine.build(
            context, dockerfile_text=dockerfile_text, dockerfile="Dockerfile.lpi-bench", tag=tag,
            build_args=self.settings.build_args, labels={BENCH_LABEL: self.run_id}, nocache=nocache,
            settings=self.settings,
        )
        self.step_images.extend(_STEP_IMAGE.findall(result.log))
        if not result.ok:
            tail = "\n".join(result.log.rstrip().splitlines()[-15:])
            raise BenchError(f"building {name} failed at {result.failed_step!r}: {result.error}\n{tail}")
        # Sizes from the exported layer tars: the same on every image store (the grader's measure).
        layers = probes.scan_layers(engine.image_info(tag).id)
        return Built(name, tag, result.seconds, layers.size_bytes, tuple(layers.layers),
                     sum(1 for s in result.steps if s.cached), len(result.steps))

    # -- containers -------------------------------------------------------------------------

    def run(self, image: str, command: list[str], *, timeout_s: float = 300) -> str:
        """Run ``command`` in a fresh container of ``image`` (its own user and workdir); its output."""
        result = engine.run(image, command, entrypoint="", labels={BENCH_LABEL: self.run_id},
                            timeout_s=timeout_s, settings=self.settings)
        output = result.stdout + result.stderr
        if not result.ok:
            raise BenchError(f"{command!r} in {image} exited {result.exit_code}"
                             f"{' (timed out)' if result.timed_out else ''}:\n{output[-2000:]}")
        return output

    def serve_and_probe(self, image: str, *, port: int = 8000, timeout_s: float = 60) -> float:
        """Start ``image`` as built, GET /health until 200; seconds from start to the first 200."""
        started = time.perf_counter()
        with engine.service(image, port=port, labels={BENCH_LABEL: self.run_id}, settings=self.settings) as svc:
            while True:
                status, body, _ = svc.get("/health")
                if status == 200:
                    return time.perf_counter() - started
                state, code, _ = svc.status()
                if state in ("exited", "removed", "dead"):
                    raise BenchError(f"{image} exited ({code}) before answering /health:\n{svc.logs()[-2000:]}")
                if time.perf_counter() - started > timeout_s:
                    raise BenchError(f"{image} did not answer /health within {timeout_s:.0f} s: {body[:200]}")
                time.sleep(0.05)

    # -- cleanup ----------------------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Remove every container, image and temp dir this run made; the problems, if any."""
        problems: list[str] = []
        try:
            engine.remove_containers(f"{BENCH_LABEL}={self.run_id}")
        except engine.EngineError as exc:
            problems.append(f"containers: {exc}")
        for tag in self.tags:
            try:
                if engine.image_exists(tag):
                    engine.remove_image(tag)
                if engine.image_exists(tag):
                    problems.append(f"image {tag} is still there")
            except engine.EngineError as exc:
                problems.append(f"image {tag}: {exc}")
        try:
            engine.remove_images(f"{BENCH_LABEL}={self.run_id}")
        except engine.EngineError as exc:
            problems.append(f"labelled images: {exc}")
        # The builder stage's last image is left untagged by the classic builder; remove the step
        # images that are still untagged (never a tagged one: a base image, or someone else's).
        for image_id in reversed(dict.fromkeys(self.step_images)):
            try:
                if engine.image_exists(image_id) and not engine.image_info(image_id).tags:
                    engine.remove_image(image_id, force=False)
            except engine.EngineError:
                pass
        for tmp in self.tmpdirs:
            shutil.rmtree(tmp, ignore_errors=True)
        return problems


def machine() -> dict:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {"cores": os.cpu_count(), "memory_bytes": mem, "kernel": os.uname().release, "arch": os.uname().machine,
            "load_average_1m": os.getloadavg()[0]}
