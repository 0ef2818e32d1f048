"""Grading a final stage with no shell, no ldd and no coreutils (FROM scratch, distroless-style) on
the real engine: the dependency checks pass on a complete one, and native_libs names libpq.so.5
when it is left out. Both images are built from the course's python stand-in, without pulling."""

from __future__ import annotations

import pytest

from checker import engine, grading, probes
from checker.grading.run import repository_for

from tests.checker.support import FIXTURES

pytestmark = pytest.mark.docker
DEPENDENCY_CHECKS = ("native_libs", "app_imports", "same_python", "health")
SHELL_TOOLS = ("/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/ldd", "/bin/ls", "/usr/bin/ls", "/usr/bin/env")


@pytest.fixture(scope="module")
def graded(engine_ready, app_context, run_ids):
    """Grade a fixture once per module and scan the image it kept as cache; (report, filesystem) by name."""
    reports: dict[str, tuple[grading.Report, probes.FilesystemFacts]] = {}

    def grade(name: str):
        if name not in reports:
            report = grading.grade(FIXTURES / f"{name}.Dockerfile", context=app_context)
            run_ids.append(report.run_id)
            image = f"{repository_for(report.run_id)}:image"
            assert report.image is not None and engine.image_exists(image), \
                f"{name} did not build: {[c.message for c in report.checks if not c.passed][:2]}"
            reports[name] = (report, probes.scan_filesystem(image))
        return reports[name]

    return grade


def checks(report) -> dict:
    return {check.id: check for check in report.checks}


@pytest.mark.parametrize("name", ["distroless-style-pass", "distroless-without-libpq5-fail"])
def test_the_distroless_style_images_hold_no_shell_no_ldd_and_no_coreutils(graded, name):
    _, fs = graded(name)
    assert not [path for path in SHELL_TOOLS if fs.resolve(path)], "the fixture must not ship a shell or ldd"
    assert fs.is_file("/usr/local/bin/python3") and fs.dynamic, "the scan must hold the interpreter's ELF facts"


def test_when_a_scratch_final_stage_holds_everything_the_app_loads_then_the_dependency_checks_pass(graded):
    report, _ = graded("distroless-style-pass")
    found = checks(report)
    failing = {check_id: found[check_id].message for check_id in DEPENDENCY_CHECKS if not found[check_id].passed}
    assert not failing
    assert "native extensions resolve their shared libraries" in found["native_libs"].message
    assert "DT_NEEDED" in found["native_libs"].message, "resolved on the host, from the ELF files"


def test_when_a_scratch_final_stage_lacks_libpq_then_native_libs_fails_naming_it_without_a_shell_to_ask(graded):
    report, _ = graded("distroless-without-libpq5-fail")
    found = checks(report)
    assert not found["native_libs"].passed
    assert "libpq.so.5" in found["native_libs"].message and "psycopg2/_psycopg" in found["native_libs"].message
    assert not found["app_imports"].passed and "libpq.so.5" in found["app_imports"].message
    assert found["same_python"].passed, found["same_python"].message
