"""A corpus of broken and clever submissions, each graded by the real grader with its expected verdict.

Exit 0: graded and passed (a clever but legitimate submission). Exit 1: graded below the pass mark,
with the reason in the report. Exit 2: grading could not happen, one sentence on stderr. Never a
traceback, never anything of ours left on the engine, in TMPDIR or in the process table, and never
a byte of the host (canary file, fake secrets in the grader's environment) in what comes out.

Every case runs on the private fault engine (only this suite uses it), so "nothing left behind" is
checked exactly: no container at all, no image that was not there before.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import lpi_robust as rb

Build = Callable[[Path], tuple[Path, "Path | str | None"]]


@dataclass
class Case:
    name: str
    build: Build
    expect: int
    says: str
    """A regex the explanation must match (stderr for exit 2; verdict, checks, build error for 1)."""
    deadline_s: float | None = None
    """The limit this case runs into (for the 'longest case against its deadline' figure)."""
    fmt: str = "json"
    env: dict[str, str] = field(default_factory=dict)
    extra: Callable[[rb.GraderRun, Path], None] | None = None
    slow: bool = False
    keep: bool = False


def explanation(run: rb.GraderRun, fmt: str) -> str:
    report = run.report or {}
    parts = [run.stderr if run.code == 2 else "", str(report.get("verdict") or ""), str(report.get("error") or "")]
    build = report.get("build") or {}
    parts += [str(build.get("error") or ""), str(build.get("buildkit_note") or ""), str(build.get("log_tail") or "")]
    parts += [str(check.get("message") or "") for check in report.get("checks") or []]
    parts += [f"{f.get('rule')}: {f.get('message')}" for f in report.get("findings") or []]
    if fmt != "json":  # JUnit and HTML: the text of the view itself
        parts.append(run.output_text)
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------
# builders


def ctx_with(dockerfile: str | bytes | None, files: dict | None = None) -> Build:
    def build(root: Path):
        ctx = rb.make_context(root, dockerfile, files)
        return ctx / "Dockerfile", ctx
    return build


def good(extra: str = "") -> str:
    return rb.good_dockerfile(extra)


def misnamed(root: Path):
    ctx = rb.make_context(root, None)
    (ctx / "dockerfile.txt").write_text(good())
    return ctx / "Dockerfile", ctx


def dockerfile_is_a_folder(root: Path):
    ctx = rb.make_context(root, None)
    (ctx / "Dockerfile").mkdir()
    return ctx / "Dockerfile", ctx


def context_missing(root: Path):
    ctx = rb.make_context(root, good())
    return ctx / "Dockerfile", root / "no-such-folder"


def dockerfile_outside(root: Path):
    ctx = rb.make_context(root, None)
    outside = root / "elsewhere" / "Dockerfile"
    outside.parent.mkdir()
    outside.write_text(good('COPY . /ctx-copy\nRUN test ! -e /ctx-copy/.lpi.Dockerfile && test ! -e /ctx-copy/Dockerfile\n'))
    return outside, ctx


def symlink_file_out(root: Path):
    ctx = rb.make_context(root, good("COPY secret.txt ./\n"))
    os.symlink("../canary.txt", ctx / "secret.txt")
    return ctx / "Dockerfile", ctx


def symlink_abs(root: Path):
    ctx = rb.make_context(root, good("COPY passwd ./\n"))
    os.symlink("/etc/passwd", ctx / "passwd")
    return ctx / "Dockerfile", ctx


def symlink_dir_out(root: Path):
    ctx = rb.make_context(root, good("COPY up/ ./up/\n"))
    os.symlink("..", ctx / "up")
    return ctx / "Dockerfile", ctx


def symlink_inside(root: Path):
    ctx = rb.make_context(root, good("COPY alias ./alias\n"))
    os.symlink("health", ctx / "alias")
    return ctx / "Dockerfile", ctx


def sparse_context(root: Path):
    ctx = rb.make_context(root, good())
    with open(ctx / "big.bin", "wb") as handle:  # 600 MB that take no disk: a sparse file
        handle.truncate(600 * 1024 * 1024)
    return ctx / "Dockerfile", ctx


def many_files(root: Path):
    ctx = rb.make_context(root, good())
    folder = ctx / "node_modules"
    folder.mkdir()
    for index in range(6000):  # over LPI_CONTEXT_FILES=5000 in this suite (20000 by default)
        (folder / f"f{index}").touch()
    return ctx / "Dockerfile", ctx


def dockerignored_bulk(root: Path):
    ctx = rb.make_context(root, good(), {".dockerignore": "big.bin\nnode_modules\n"})
    with open(ctx / "big.bin", "wb") as handle:
        handle.truncate(600 * 1024 * 1024)
    (ctx / "node_modules").mkdir()
    for index in range(6000):
        (ctx / "node_modules" / f"f{index}").touch()
    return ctx / "Dockerfile", ctx


def remote(url: str) -> Build:
    def build(root: Path):
        ctx = rb.make_context(root, good())
        return ctx / "Dockerfile", url
    return build


def fifo_in_context(root: Path):
    ctx = rb.make_context(root, good())
    os.mkfifo(ctx / "pipe")
    return ctx / "Dockerfile", ctx


def unreadable_file(root: Path):
    ctx = rb.make_context(root, good())
    (ctx / "locked").write_text("x")
    os.chmod(ctx / "locked", 0)
    return ctx / "Dockerfile", ctx


HADOLINT_IGNORE_ALL = "ignored:\n" + "".join(f"  - DL{n}\n" for n in range(3000, 3062)) + "failure-threshold: none\n"


# ----------------------------------------------------------------------------------------------
# extra assertions


def canary_never_staged(run: rb.GraderRun, root: Path) -> None:
    assert rb.CANARY not in run.all_text


def no_dockerfile_copy_in_image(run: rb.GraderRun, root: Path) -> None:
    assert run.report and run.report["checks"][0]["passed"], "the outside Dockerfile must build (and not be copied)"


def log_capped(run: rb.GraderRun, root: Path) -> None:
    assert len(run.output_text) < 1024 * 1024, f"report of {len(run.output_text)} bytes for a flooding build"


def hadolint_pragmas_ignored(run: rb.GraderRun, root: Path) -> None:
    rules = {f.get("rule") for f in (run.report or {}).get("findings") or []}
    assert "DL3020" in rules, f"the submission's `# hadolint ignore` and .hadolint.yaml must not hide DL3020: {rules}"


def secret_flagged(run: rb.GraderRun, root: Path) -> None:
    check = next(c for c in run.report["checks"] if c["id"] == "LPI014")
    assert not check["passed"] and "secret" in check["message"].lower()


def junit_parses(run: rb.GraderRun, root: Path) -> None:
    text = run.output_text
    assert "\x1b" not in text and "\x01" not in text
    ET.fromstring(text.encode("utf-8"))  # well-formed XML, or this raises


def html_escaped(run: rb.GraderRun, root: Path) -> None:
    text = run.output_text
    assert "\x1b" not in text or "&#27;" in text
    assert "<script>alert(1)</script>" not in text, "a build log must not inject markup into the HTML report"
    assert "]]><boom/>" not in text


def health_says_bind(run: rb.GraderRun, root: Path) -> None:
    check = next(c for c in run.report["checks"] if c["id"] == "health")
    assert "0.0.0.0" in check["message"] and "127.0.0.1" in check["message"], check["message"]


FLOOD = "RUN yes 'lpi-flood-line <x> & \\\\ ' | head -c 40000000; exit 1\n"
HOSTILE_LOG = (
    "RUN printf '\\033[31mred\\033[0m <script>alert(1)</script> ]]><boom/> & \\001\\013 \\033]0;title\\007 done\\n'; exit 1\n"
)

CASES: list[Case] = [
    # ---- the Dockerfile's text
    Case("empty-dockerfile", ctx_with(""), 1, r"(?i)empty|no (instruction|FROM)|does not parse"),
    Case("comments-only-dockerfile", ctx_with("# just a comment\n\n   \n"), 1, r"(?i)empty|no (instruction|FROM)|does not parse"),
    Case("binary-dockerfile", ctx_with(bytes(range(256)) * 64), 1, r"(?i)does not parse|unknown instruction|not a text|binary"),
    Case("non-utf8-comment", ctx_with("# caf\xe9 cr\xe8me, encoded in latin-1\n".encode("latin-1") + good().encode()), 0, r"Passed"),
    Case("byte-order-mark", ctx_with(b"\xef\xbb\xbf" + good().encode()), 0, r"Passed"),
    Case("crlf-line-endings", ctx_with(good().replace("\n", "\r\n").encode()), 0, r"Passed"),
    Case("multi-megabyte-dockerfile", ctx_with(good() + ("# padding " + "x" * 90 + "\n") * 30000), 1,
         r"(?i)over 1 MiB|too (big|large)"),
    Case("unknown-instruction", ctx_with("FORM python:3.13-slim\nRUN echo hi\n"), 1, r"(?i)unknown instruction|FORM"),
    # Docker would take this as shell form and fail at run time; the checker says why up front.
    Case("unterminated-json-cmd", ctx_with('FROM python:3.13-slim\nCMD ["python", "-m"\n'), 1, r"(?i)JSON"),
    Case("no-from", ctx_with("RUN echo hello\nCMD [\"true\"]\n"), 1, r"(?i)FROM"),
    Case("dangling-continuation", ctx_with("FROM python:3.13-slim \\\n"), 1, r"(?i)does not parse|FROM|build"),
    Case("missing-dockerfile", lambda root: (rb.make_context(root, None) / "Dockerfile", None), 2, r"(?i)does not exist"),
    Case("misnamed-dockerfile", misnamed, 2, r"(?i)does not exist"),
    Case("dockerfile-is-a-folder", dockerfile_is_a_folder, 2, r"(?i)not a file|does not exist"),
    # ---- the context
    Case("context-missing", context_missing, 2, r"(?i)not a folder"),
    Case("dockerfile-outside-context", dockerfile_outside, 0, r"Passed", extra=no_dockerfile_copy_in_image),
    Case("copy-parent-folder", ctx_with(good("COPY ../canary.txt ./\n")), 1, r"(?i)outside the build context|forbidden path|not found|no such file"),
    Case("copy-dotdot-dotdot", ctx_with(good("COPY ../.. /host\n")), 1, r"(?i)outside the build context|forbidden path|not found|no such file"),
    Case("symlink-file-out-of-context", symlink_file_out, 1, r"(?i)symbolic link.*outside", extra=canary_never_staged),
    Case("symlink-absolute-etc-passwd", symlink_abs, 1, r"(?i)symbolic link.*outside"),
    Case("symlink-folder-out-of-context", symlink_dir_out, 1, r"(?i)symbolic link.*outside", extra=canary_never_staged),
    Case("symlink-inside-context", symlink_inside, 0, r"Passed"),
    Case("fifo-in-context", fifo_in_context, 1, r"(?i)special file"),
    Case("unreadable-file-in-context", unreadable_file, 0, r"Passed"),  # root reads it; so does the CLI
    Case("context-of-600-MB", sparse_context, 1, r"(?i)over \d+ MB.*dockerignore", deadline_s=25),
    Case("context-of-6000-files", many_files, 1, r"(?i)more than \d+ files.*dockerignore", deadline_s=25),
    Case("bulk-left-out-by-dockerignore", dockerignored_bulk, 0, r"Passed"),
    Case("remote-context-git-ssh", remote("git@github.com:someone/app.git"), 2, r"(?i)not a folder"),
    Case("remote-context-https", remote("https://github.com/someone/app.git"), 2, r"(?i)not a folder"),
    # ---- lint pragmas and secrets
    Case("hadolint-pragmas-and-config-ignored",
         ctx_with("# hadolint ignore=DL3020\n" + good().replace("COPY health", "# hadolint ignore=DL3020\nADD health"),
                  {".hadolint.yaml": HADOLINT_IGNORE_ALL, ".hadolint.yml": HADOLINT_IGNORE_ALL}),
         0, r"Passed", extra=hadolint_pragmas_ignored),
    Case("env-and-arg-secrets", ctx_with(good("ARG AWS_SECRET_ACCESS_KEY=AKIAFAKEFAKEFAKE\nENV DB_PASSWORD=hunter2\n")),
         0, r"(?i)secret", extra=secret_flagged),
    # ---- base images
    Case("base-image-does-not-exist", ctx_with("FROM lpi-no-such-registry.invalid/nothing:0\nCMD [\"true\"]\n"), 2,
         r"(?i)not on this engine and could not be pulled"),
    Case("base-image-not-pullable-here", ctx_with("FROM python:3.13-alpine\nCMD [\"true\"]\n"), 2,
         r"(?i)not on this engine and could not be pulled"),
    # ---- builds that misbehave
    Case("run-fails", ctx_with(good("RUN echo about to fail && exit 3\n")), 1, r"(?i)did not build.*exit 3|returned a non-zero code: 3"),
    Case("run-never-ends", ctx_with(good("RUN sleep 100000\n")), 1, r"(?i)did not finish", deadline_s=25),
    Case("run-floods-the-log", ctx_with(good(FLOOD)), 1, r"(?i)did not build|did not finish", deadline_s=25,
         extra=log_capped),
    Case("run-allocates-4-GB", ctx_with(good("RUN python -c \"b = bytearray(4 * 1024**3); print(len(b))\"\n")), 1,
         r"(?i)did not build|memory|killed|137", deadline_s=25),
    # A fork bomb in a RUN: the classic builder gives build containers no pids limit; the checker
    # sets one on each step's container as soon as the engine names it (see docs/limits.md).
    Case("run-fork-bomb-foreground", ctx_with(good("RUN bomb() { bomb | bomb; }; bomb\n")), 1,
         r"(?i)did not (build|finish)", deadline_s=25, slow=True),
    Case("run-fork-bomb-background", ctx_with(good("RUN bomb() { bomb | bomb & }; bomb; sleep 4\n")), 0,
         r"Passed", deadline_s=25, slow=True),
    # Writing until the disk fills: stopped by the build's disk watchdog (LPI_BUILD_DISK_LIMIT).
    Case("run-writes-gigabytes", ctx_with(good("RUN dd if=/dev/zero of=/fill bs=1M count=100000 status=none\n")), 1,
         r"(?i)wrote more than 0\.4 GB", deadline_s=25, slow=True, env={"LPI_BUILD_DISK_LIMIT": str(400 * 1000**2)}),
    Case("run-writes-many-small-files",
         ctx_with(good("RUN mkdir /many && cd /many && i=0; while :; do head -c 65536 /dev/zero > f$i; i=$((i+1)); done\n")),
         1, r"(?i)wrote more than 0\.2 GB|did not finish", deadline_s=25, slow=True,
         env={"LPI_BUILD_DISK_LIMIT": str(200 * 1000**2)}),
    # ---- BuildKit-only syntax on the classic builder (forced: on an engine with BuildKit it builds,
    # tests/checker/engine/test_buildkit_engine.py)
    Case("syntax-directive-only", ctx_with("# syntax=docker/dockerfile:1\n" + good()), 0, r"Passed",
         env={"LPI_BUILDER": "classic"}),
    # The machine's limit, not the learner's: not graded (exit 2), naming the line and where to grade instead.
    Case("buildkit-run-mount", ctx_with(good("RUN --mount=type=cache,target=/root/.cache true\n")), 2,
         r"(?s)only BuildKit understands \(line \d+: RUN --mount\).*--builder buildkit.*engines list",
         env={"LPI_BUILDER": "classic"}),
    Case("buildkit-heredoc", ctx_with(good("RUN <<EOF\necho one\necho two\nEOF\n")), 2,
         r"(?s)only BuildKit understands \(line \d+: heredoc \(RUN <<EOF\)\).*engines list",
         env={"LPI_BUILDER": "classic"}),
    # ---- containers that misbehave
    Case("container-exits-at-once", ctx_with(good().replace('CMD ["python", "-m", "http.server", "8000"]', 'CMD ["true"]')),
         1, r"(?i)exited|stopped|exit code", deadline_s=12),
    Case("container-ignores-sigterm",
         ctx_with(good().replace('CMD ["python", "-m", "http.server", "8000"]',
                                 'CMD ["sh", "-c", "trap \\"\\" TERM INT; while :; do sleep 1; done"]')),
         1, r"(?i)did not answer|no answer|within", deadline_s=12),
    Case("container-binds-127.0.0.1",
         ctx_with(good().replace('"8000"]', '"8000", "--bind", "127.0.0.1"]')), 1, r"127\.0\.0\.1",
         deadline_s=12, extra=health_says_bind),
    Case("container-without-cmd", ctx_with("FROM python:3.13-slim\nWORKDIR /srv\nCOPY health ./\n"), 1,
         r"(?i)exited|exit code|did not answer", deadline_s=12),
    # ---- hostile logs in the reporters
    Case("ansi-and-xml-breakers-junit", ctx_with(good(HOSTILE_LOG)), 1, r"(?i)did not build", fmt="junit",
         extra=junit_parses),
    Case("ansi-and-xml-breakers-html", ctx_with(good(HOSTILE_LOG)), 1, r"(?i)did not build", fmt="html",
         extra=html_escaped),
    # ---- the host's secrets
    Case("host-secrets-not-in-build-env", ctx_with(good("RUN env; cat /proc/self/environ; exit 1\n")), 1,
         r"(?i)did not build"),
    Case("host-secrets-not-in-container-env",
         ctx_with(good().replace('CMD ["python", "-m", "http.server", "8000"]', 'CMD ["sh", "-c", "env; exit 1"]')),
         1, r"(?i)exit"),
]


@pytest.mark.docker
@pytest.mark.parametrize("case", [pytest.param(c, marks=[pytest.mark.slow] if c.slow else [], id=c.name) for c in CASES])
def test_corpus_case_gets_its_expected_verdict_and_leaves_nothing(case: Case, tmp_path, healthy_fault_engine, base_images):
    engine = healthy_fault_engine
    dockerfile, context = case.build(tmp_path / "submission")
    before = rb.snapshot(engine.host)
    pids_before = rb.host_pid_count()
    sampler = rb.PidSampler()
    sampler.start()
    run = rb.run_grader(dockerfile, context, work=tmp_path / "grader", fmt=case.fmt, env=case.env,
                        docker_host=engine.host, extra_args=[] if case.keep else ["--no-keep"])
    peak = sampler.stop() - pids_before
    leftovers = rb.new_since(before, engine.host, allow_kept=False)
    leftovers += [f"process {pid}" for pid in run.processes_left]
    leftovers += [f"temp file {name}" for name in run.tmp_left]
    leaked = run.leaked()
    said = explanation(run, case.fmt)
    got_verdict = run.code == case.expect and re.search(case.says, said) is not None
    rb.FIGURES.add(rb.CaseRecord(
        name=f"corpus/{case.name}", expected=f"exit {case.expect}", got=f"exit {run.code}",
        as_expected=bool(got_verdict) and not run.tracebacks, tracebacks=run.tracebacks, leftovers=len(leftovers),
        leaked=len(leaked), seconds=run.seconds, deadline_s=case.deadline_s,
        note="" if got_verdict else f"(explanation: {said.strip()[:160]!r})",
    ))
    assert run.tracebacks == 0, run.explain()
    assert not run.timed_out, f"the grader itself hung: {run.explain()}"
    assert run.code == case.expect, run.explain()
    assert re.search(case.says, said), f"the explanation does not say /{case.says}/:\n{said[:3000]}"
    if run.code == 2:
        assert rb.one_sentence(run.stderr), run.stderr
        assert run.stdout.strip() == "", "exit 2 prints nothing on stdout"
    assert not leftovers, f"left behind: {leftovers}"
    assert not leaked, f"host data in the output: {leaked}"
    if case.deadline_s:
        assert run.seconds < case.deadline_s + 45, f"{run.seconds:.0f} s against a {case.deadline_s} s deadline"
    if case.extra is not None:
        case.extra(run, tmp_path / "submission")
    # The machine stays healthy: the host never came near its pid limit, and nothing stays.
    assert peak < rb.PID_HEADROOM, f"{peak} extra processes on the host at the peak"
    assert rb.host_pid_count() < pids_before + 200
