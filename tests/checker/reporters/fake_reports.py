"""Hand-made reports for the reporter golden files: every field fixed, nothing from an engine."""

from __future__ import annotations

from checker.findings import Finding
from checker.report import (BaseImageRef, BuildStepSummary, BuildSummary, CheckResult, ImageSummary, LayerSummary,
                            Report)


def graded_report() -> Report:
    """A graded submission that fails two checks; one message carries ANSI codes and XML-breaking text."""
    return Report(
        dockerfile="submission/Dockerfile",
        context="submission",
        rubric="Sample app: a lean multi-stage image",
        rubric_path="checker/rubrics/default.toml",
        score=26.0,
        max_score=36.0,
        pass_score=25.2,
        passed=False,
        status="failed",
        verdict="Not passed: the required check(s) app_imports failed (26 of 36 points).",
        checks=[
            CheckResult("builds", "The image builds", "dynamic", True, 15.0, 15.0,
                        "Built in 42.0 s with the classic builder (1 of 2 steps from cache).", "Read the failing step.", "Nothing else counts.",
                        "notebooks/02_multi_stage.ipynb#the-multi-stage-pattern", True, {"seconds": 42.0}),
            CheckResult("app_imports", "The app's modules import in the image", "dynamic", False, 0.0, 8.0,
                        "`import main` fails: ImportError: libpq.so.5: cannot open shared object file "
                        "\x1b[31m<red & bold>\x1b[0m \x07bell \"quoted\" 'single' ]]> end",
                        "Install libpq5 in the runtime stage.", "Imports prove the copy is complete.",
                        "notebooks/02_multi_stage.ipynb#runtime-libraries-only", True, {"interpreter": "/opt/venv/bin/python"}),
            CheckResult("image_size", "The image is lean", "dynamic", True, 10.0, 10.0,
                        "183 MB; 0.98x the reference solution (187 MB; limit 1.25x).", "Use a slim runtime stage.",
                        "Bytes cost.", "notebooks/01_single_stage_problem.ipynb#what-makes-an-image-heavy", False,
                        {"size_bytes": 183000000, "ratio_to_reference": 0.979}),
            CheckResult("LPI003", "Install runtime libraries, not -dev packages, where the app runs", "static", False, 0.0,
                        2.0, "line 19: the final stage never installs libpq5.", "Install libpq5 in the final stage.",
                        "The extension needs the library.", "notebooks/02_multi_stage.ipynb#runtime-libraries-only"),
            CheckResult("LPI012", "Run as a non-root user", "static", True, 1.0, 1.0, "No problem found.",
                        "Add USER app.", "Root is risky.", "notebooks/06_safer_images.ipynb#run-as-a-non-root-user"),
            CheckResult("healthcheck", "The image declares a HEALTHCHECK", "dynamic", False, 0.0, 0.0,
                        "The final image declares no HEALTHCHECK.", "Add a HEALTHCHECK.", "Platforms read it.",
                        "notebooks/06_safer_images.ipynb#healthcheck"),
        ],
        findings=[
            Finding("LPI003", "warning", 19, "the final stage never installs libpq5.", "course", "Install libpq5."),
            Finding("DL3008", "info", 7, "Pin versions in apt get install.", "hadolint", None),
        ],
        build=BuildSummary(ok=True, seconds=42.0, steps=[
            BuildStepSummary(1, "ARG PYTHON_VERSION=3.13", False, 0.0),
            BuildStepSummary(2, "FROM python:3.13-slim AS builder", False, 0.1),
            BuildStepSummary(3, "RUN pip install --no-cache-dir -r requirements.txt", True, 0.2),
            BuildStepSummary(4, "COPY . .", False, 0.1),
            BuildStepSummary(5, "LABEL org.lean-python-images.run=g-test-run", False, 0.0),
        ]),
        image=ImageSummary(
            size_bytes=183000000,
            layers=[LayerSummary(78800000, "ADD file:abc in /"), LayerSummary(0, "ENV PATH=/opt/venv/bin:$PATH"),
                    LayerSummary(59500000, "COPY dir:def in /opt/venv", "COPY --from=builder /opt/venv /opt/venv"),
                    LayerSummary(20971520, "RUN head -c 20971520 /dev/urandom > /tmp/big.bin",
                                 "RUN head -c 20971520 /dev/urandom > /tmp/big.bin"),
                    LayerSummary(0, "RUN rm /tmp/*.bin", "RUN rm /tmp/*.bin"),
                    LayerSummary(12600, "COPY dir:123 in .", "COPY . .")],
            filesystem_bytes=180000000, reference_size_bytes=187000000,
            baseline_size_bytes=1046000000, python="3.13.5", engine_size_bytes=64100000,
            measure="uncompressed layers: the sum of the file sizes in each layer tar the engine exports (docker save)",
            wasted_bytes=20971520, efficiency=0.7392, base_layers=2, base_image="python:3.13-slim",
            wasted_files=[{"path": "/tmp/<big & bad>.bin", "size_bytes": 20971520, "added_by": "RUN head -c 20971520 /dev/urandom",
                           "removed_by": "RUN rm /tmp/*.bin", "added_by_layer": 3, "removed_by_layer": 4}],
        ),
        base_images=[BaseImageRef("python:3.13-slim", True, True, "Stand-in for python:3.13-slim")],
        engine={"server_version": "28.5.2", "version": "28.5.2", "api_version": "1.51", "storage_driver": "overlayfs",
                "image_store": "containerd", "snapshotter": "overlayfs", "builders": ["classic", "buildkit"],
                "builder": "classic", "operating_system": "Debian GNU/Linux 12 (bookworm)"},
        run_id="g-test-run",
        seconds=61.5,
        timings={"lint": 0.2, "build": 42.0},
    )


def build_failed_report() -> Report:
    """A build that failed: the build check failed, the rest not judged (one course rule holds, one fails with a
    finding folded from hadolint), a file-level finding, and a tail that repeats the lines that explain it."""
    return Report(
        dockerfile="submission/Dockerfile",
        context="submission",
        rubric="Exercise",
        rubric_path="rubric.toml",
        score=0.0,
        max_score=25.0,
        pass_score=17.5,
        passed=False,
        status="failed",
        verdict="Score 0: The image did not build (failing step: `RUN exit 3`).",
        checks=[
            CheckResult("builds", "The image builds", "dynamic", False, 0.0, 15.0,
                        "The build failed at `RUN exit 3`: The command '/bin/sh -c exit 3' returned a non-zero code: 3",
                        "Read the failing step.", "Nothing else counts.", "notebooks/02_multi_stage.ipynb", True),
            CheckResult("app_imports", "The app's modules import in the image", "dynamic", False, 0.0, 3.0,
                        "Not checked: the image did not build.", "Install libpq5 in the runtime stage.",
                        "Imports prove the copy is complete.", "notebooks/02_multi_stage.ipynb", True,
                        not_judged="the image did not build"),
            CheckResult("LPI001", "Build in one stage, run in another", "static", True, 0.0, 5.0, "No problem found.",
                        "Use two stages.", "Smaller images.", "notebooks/02_multi_stage.ipynb",
                        not_judged="the image did not build"),
            CheckResult("LPI006", "Keep pip's download cache out of the final image", "static", False, 0.0, 2.0,
                        "line 2: pip install keeps its download cache in /root/.cache/pip (same as DL3042).",
                        "Add --no-cache-dir.", "Caches weigh.", "notebooks/04_smaller_still.ipynb"),
        ],
        findings=[
            Finding("LPI013", "warning", 0, "The build context has no .dockerignore.", "course", "Add a .dockerignore."),
            Finding("LPI006", "warning", 2, "pip install keeps its download cache in /root/.cache/pip (same as DL3042).",
                    "course", "Add --no-cache-dir.", "DL3042"),
        ],
        build=BuildSummary(ok=False, seconds=3.25, error="The command '/bin/sh -c exit 3' returned a non-zero code: 3",
                           failed_step="RUN exit 3",
                           log_tail=("Reading package lists...\nchecking\n\n\nnote: this error comes from a subprocess\n"
                                     "E: Unable to locate package libpq-devel\n\nnote: this error comes from a subprocess\n"
                                     "no such package\n"), steps=[],
                           error_lines=["Reading package lists...", "E: Unable to locate package libpq-devel"],
                           cause="apt_package", hint="apt does not know that package name: check its spelling."),
        run_id="g-test-run-2",
        seconds=4.0,
    )


def error_report() -> Report:
    return Report(dockerfile="missing/Dockerfile", context="missing", rubric="", rubric_path="", status="error",
                  error="The Dockerfile missing/Dockerfile does not exist (or is not a file).",
                  verdict="Grading could not happen.", run_id="g-test-run-3")


def unscored_error_report() -> Report:
    """Issue 16, kind 5: full marks from a rubric that does not score LPI014, with a secret in ENV and a
    hadolint warning the rubric does not count either: both must reach every human-facing format."""
    return Report(
        dockerfile="submission/Dockerfile", context="submission", rubric="A teacher's rubric", rubric_path="mine.toml",
        score=15.0, max_score=15.0, pass_score=10.5, passed=True, status="passed",
        verdict="Passed: 15 of 15 points (pass mark 10.5).",
        checks=[CheckResult("builds", "The image builds", "dynamic", True, 15.0, 15.0, "Built in 3.0 s.",
                            "Read the failing step.", "Nothing else counts.", "", True)],
        findings=[
            Finding("LPI014", "error", 12, "ENV DATABASE_URL carries a password in its URL: it ships in the image.",
                    "course", "Pass secrets at run time."),
            Finding("DL3059", "warning", 5, "Multiple consecutive `RUN` instructions.", "hadolint", None),
            Finding("DL3008", "info", 7, "Pin versions in apt get install.", "hadolint", None),
        ],
        run_id="g-test-run-4", seconds=5.0,
    )
