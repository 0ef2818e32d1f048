"""Nothing of the host reaches a build or a container, and huge contexts are refused before sending.

The corpus checks what comes *out* of the grader; these tests look *inside*: the staged tar, the
full build log, every file of the built image, and the environment a container sees, with fake
secrets (a proxy URL with a password, an AWS secret key) in the grader's own environment and a
canary file next to the context.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import time

import pytest

import lpi_robust as rb
from checker import staging
from checker import engine, settings as course_settings


@pytest.fixture
def on_fault_engine(healthy_fault_engine, monkeypatch):
    """The in-process engine layer pointed at the private engine, with host secrets in os.environ."""
    monkeypatch.setenv("DOCKER_HOST", healthy_fault_engine.host)
    for name, value in rb.HOST_SECRETS.items():
        monkeypatch.setenv(name, value)
    engine.reset_connection()
    yield healthy_fault_engine
    engine.reset_connection()


def record(name: str, ok: bool, leaked: int, seconds: float, deadline_s: float | None = None, note: str = "") -> None:
    rb.FIGURES.add(rb.CaseRecord(name=f"isolation/{name}", expected="no host data", got="ok" if ok else "leak",
                                 as_expected=ok, leaked=leaked, seconds=seconds, deadline_s=deadline_s, note=note))


def tar_text(staged: staging.StagedContext) -> str:
    data = staged.tar().read()
    return data.decode("latin-1")


@pytest.mark.parametrize("how", ["symlink-file", "symlink-folder", "symlink-absolute", "dockerfile-outside"])
def test_staging_never_reads_a_host_file_outside_the_context(tmp_path, how):
    started = time.monotonic()
    ctx = rb.make_context(tmp_path, rb.good_dockerfile("COPY ../canary.txt ./\nCOPY ../.. /host\n"))
    dockerfile = ctx / "Dockerfile"
    if how == "symlink-file":
        os.symlink("../canary.txt", ctx / "c.txt")
    elif how == "symlink-folder":
        os.symlink("..", ctx / "up")
    elif how == "symlink-absolute":
        os.symlink(str(tmp_path / "canary.txt"), ctx / "abs.txt")
    else:
        dockerfile = tmp_path / "Dockerfile.outside"
        dockerfile.write_text(rb.good_dockerfile())
    if how.startswith("symlink"):
        with pytest.raises(staging.ContextRefused, match="outside the build context"):
            staging.stage(dockerfile, ctx)
        record(f"staging-{how}", True, 0, time.monotonic() - started)
        return
    staged = staging.stage(dockerfile, ctx)
    text = tar_text(staged)
    names = sorted(staged.names)
    leaked = int(rb.CANARY in text)
    record(f"staging-{how}", not leaked, leaked, time.monotonic() - started)
    assert not leaked
    assert all(not name.startswith("..") and not name.startswith("/") for name in names), names
    assert ".lpi.Dockerfile" in (staged.read(".dockerignore") or b"").decode()


@pytest.mark.docker
def test_a_build_and_a_container_never_see_the_graders_secrets_or_the_canary(on_fault_engine, tmp_path):
    started = time.monotonic()
    dockerfile = rb.good_dockerfile(
        "RUN env > /build-env.txt && cat /proc/self/environ | tr '\\0' '\\n' >> /build-env.txt && cat /build-env.txt\n"
    ).replace('CMD ["python", "-m", "http.server", "8000"]', 'CMD ["sh", "-c", "env; sleep 30"]')
    ctx = rb.make_context(tmp_path, dockerfile)
    staged = staging.stage(ctx / "Dockerfile", ctx)
    assert rb.CANARY not in tar_text(staged)
    run_label = {course_settings.LABEL_RUN: "lpi-rob-isolation"}
    result = engine.build(context_tar=staged.tar(), dockerfile=staged.dockerfile_name, labels=run_label, timeout_s=60)
    assert result.ok, result.error
    try:
        assert "PATH=" in result.log, "the build printed its environment"  # the probe itself works
        found = [marker for marker in rb.LEAK_MARKERS if marker in result.log]
        # Every file of the image, read from `docker export`.
        with engine.exported_filesystem(result.image_id, labels=run_label) as stream:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    if member.isfile() and member.size < 64 * 1024 * 1024:
                        data = tar.extractfile(member).read()
                        found += [f"{marker} in /{member.name}" for marker in rb.LEAK_MARKERS if marker.encode() in data]
        # The container the health probe starts (own CMD, own ENV), and a probe-style run.
        with engine.service(result.image_id, port=8000, labels=run_label) as service:
            assert rb.wait_for(lambda: "PATH=" in service.logs(), 20), "the container printed its environment"
            logs = service.logs()
        found += [f"{marker} in the service's env" for marker in rb.LEAK_MARKERS if marker in logs]
        ran = engine.run(result.image_id, ["env"], labels=run_label, timeout_s=30)
        assert "PATH=" in ran.stdout
        found += [f"{marker} in a run's env" for marker in rb.LEAK_MARKERS if marker in ran.stdout]
        assert "proxy.invalid" not in logs + ran.stdout + result.log
    finally:
        engine.remove_image(result.tag)
        engine.discard_build(result)
    record("secrets-and-canary-in-build-image-container", not found, len(found), time.monotonic() - started,
           note="; ".join(found))
    assert not found, found
    assert not rb.client(on_fault_engine.host).api.containers(all=True, filters={"label": f"{course_settings.LABEL_RUN}=lpi-rob-isolation"})


@pytest.fixture
def big_tmpfs(tmp_path):
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m,nr_inodes=1100000", "lpi-rob-million", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the million-file context: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True)


@pytest.mark.slow
def test_a_context_of_a_million_files_is_refused_before_anything_is_sent(big_tmpfs, monkeypatch):
    ctx = big_tmpfs / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(rb.good_dockerfile())
    for folder in range(100):
        os.mkdir(ctx / f"d{folder:03}")
        for index in range(10000):
            os.close(os.open(ctx / f"d{folder:03}" / f"f{index}", os.O_CREAT | os.O_WRONLY, 0o644))
    monkeypatch.delenv("LPI_CONTEXT_FILES", raising=False)
    started = time.monotonic()
    with pytest.raises(staging.ContextRefused, match=r"more than 20000 files"):
        staging.stage(ctx / "Dockerfile", ctx)
    seconds = time.monotonic() - started
    record("context-of-a-million-files", seconds < 10, 0, seconds, deadline_s=10)
    assert seconds < 10, f"refusing a million-file context took {seconds:.1f} s"


def test_a_sparse_context_of_hundreds_of_mb_is_refused_without_reading_it(tmp_path, monkeypatch):
    ctx = rb.make_context(tmp_path, rb.good_dockerfile())
    for index in range(3):
        with open(ctx / f"blob{index}.bin", "wb") as handle:
            handle.truncate(300 * 1024 * 1024)  # 900 MB in all, no disk used
    monkeypatch.delenv("LPI_CONTEXT_LIMIT", raising=False)
    started = time.monotonic()
    with pytest.raises(staging.ContextRefused, match=r"over 210 MB"):
        staging.stage(ctx / "Dockerfile", ctx)
    seconds = time.monotonic() - started
    record("context-of-900-MB", seconds < 2, 0, seconds, deadline_s=2)
    assert seconds < 2
