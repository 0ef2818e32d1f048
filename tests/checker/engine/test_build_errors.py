"""Why a build failed, over logs recorded from real failing builds (issue 16, kinds 7 and 9).

The logs in tests/fixtures/buildlogs/failures/ are ``BuildResult.log`` of real builds on the
course's engine (re-record them with tests/fixtures/buildlogs/failures/record.py). Pure: no engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.engine.build_errors import MAX_DECISIVE_LINES, decisive_lines, diagnose, failing_output
from checker.engine.results import STEP_TAIL_LINES

LOGS = Path(__file__).parents[2] / "fixtures" / "buildlogs" / "failures"


def log(name: str) -> str:
    return (LOGS / f"{name}.log").read_text(encoding="utf-8")


# (recorded build, the line the report must show, the cause recognised, words of its hint)
CASES = [
    # the issue's input: the sample app's requirements on python:3.13-slim, no libpq-dev, no gcc
    ("issue-pg-config", "Error: pg_config executable not found.", "pg_config", "libpq-dev"),
    # the libc6-dev trap, once through pip (psycopg2's C files) and once plain gcc
    ("gcc-no-libc6-dev", "fatal error: assert.h: No such file or directory", "libc6_dev", "libc6-dev"),
    ("gcc-no-libc6-dev-plain", "fatal error: limits.h: No such file or directory", "libc6_dev", "libc6-dev"),
    ("python-h-missing", "fatal error: Python.h: No such file or directory", "python_headers", "python3-dev"),
    ("apt-misspelt", "E: Unable to locate package libpq-devel", "apt_package", "spelling"),
    ("pip-no-gcc", "error: [Errno 2] No such file or directory: 'gcc'", "no_gcc", "install gcc"),
]


@pytest.mark.parametrize("name, line, cause, hint_words", CASES, ids=[case[0] for case in CASES])
def test_the_line_that_explains_a_failed_build_is_kept_and_its_cause_named(name, line, cause, hint_words):
    diagnosis = diagnose(log(name))
    assert any(line in kept for kept in diagnosis.lines), diagnosis.lines
    assert diagnosis.cause is not None and diagnosis.cause.id == cause
    assert hint_words in diagnosis.cause.hint and not diagnosis.cause.environment
    assert len(diagnosis.lines) <= MAX_DECISIVE_LINES


def test_the_issue_input_loses_the_pg_config_line_in_the_tail_but_not_in_the_decisive_lines():
    output = failing_output(log("issue-pg-config"))
    tail = output[-20:]  # what the report kept before: pip's trailer and upgrade notices
    assert not any("pg_config executable not found" in line for line in tail[-12:])
    kept = decisive_lines(output)
    assert any("pg_config executable not found" in line for line in kept)
    assert not any("This error originates from a subprocess" in line for line in kept)
    assert not any("[notice]" in line for line in kept)


def test_a_header_the_c_library_does_not_ship_is_a_dev_package_not_libc6_dev():
    text = ("Step 3/3 : RUN pip install lxml\n ---> Running in 0123456789ab\n"
            "      src/lxml/includes/etree_defs.h:14:10: fatal error: libxml/xmlversion.h: No such file or directory\n"
            "      compilation terminated.\n")
    diagnosis = diagnose(text)
    assert diagnosis.cause is not None and diagnosis.cause.id == "dev_headers"
    assert "libxml/xmlversion.h" in diagnosis.cause.hint


@pytest.mark.parametrize("name, words", [
    ("pip-refused", "Connection refused"),                         # an index that does not answer
    ("pip-dns", "Name or service not known"),                      # an index whose name does not resolve
    ("debian-pip-cert", "CERTIFICATE_VERIFY_FAILED"),              # a stand-in that did not trust the proxy's CA
    ("apt-dns", "Could not resolve 'deb.lpi-unreachable.invalid'"),  # apt's mirror: then "Unable to locate package"
])
def test_a_package_index_the_grading_machine_cannot_reach_is_an_environment_problem(name, words):
    diagnosis = diagnose(log(name))
    assert diagnosis.cause is not None and diagnosis.cause.id == "network" and diagnosis.cause.environment
    assert diagnosis.evidence is not None and words in diagnosis.evidence
    # pip then also says it found no version, apt that it cannot locate the package: not the learner's misspelling
    assert any("No matching distribution" in line or "Unable to locate package" in line for line in diagnosis.lines)


def test_apt_that_cannot_resolve_its_mirror_is_the_machine_even_when_it_then_cannot_locate_a_package():
    text = ("Step 2/2 : RUN apt-get update && apt-get install -y libpq5\n ---> Running in 0123456789ab\n"
            "Err:1 http://deb.debian.org/debian trixie InRelease\n"
            "  Temporary failure resolving 'deb.debian.org'\n"
            "W: Failed to fetch http://deb.debian.org/debian/dists/trixie/InRelease  Temporary failure resolving 'deb.debian.org'\n"
            "W: Some index files failed to download. They have been ignored, or old ones used instead.\n"
            "Reading package lists...\nE: Unable to locate package libpq5\n")
    diagnosis = diagnose(text)
    assert diagnosis.cause is not None and diagnosis.cause.environment
    assert "Temporary failure resolving 'deb.debian.org'" in (diagnosis.evidence or "")


@pytest.mark.parametrize("name, line", [
    ("pip-no-such-version", "ERROR: No matching distribution found for psycopg2==9.9.9"),
    ("sh-not-found", "/bin/sh: 1: uvicron: not found"),
])
def test_a_learner_error_without_a_known_cause_still_shows_its_line_and_no_trailer(name, line):
    diagnosis = diagnose(log(name))
    assert line in diagnosis.lines and diagnosis.cause is None
    assert not any("[notice]" in kept or "A new release of pip" in kept for kept in diagnosis.lines)


def test_a_retry_pip_survived_does_not_make_a_compile_error_the_network_s():
    text = log("issue-pg-config").replace(
        "Collecting psycopg2",
        "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection "
        "broken by 'NewConnectionError(\"Failed to establish a new connection: [Errno 111] Connection refused\")': "
        "/simple/psycopg2/\nCollecting psycopg2", 1)
    assert "Retrying" in text
    diagnosis = diagnose(text)
    assert diagnosis.cause is not None and diagnosis.cause.id == "pg_config" and not diagnosis.cause.environment


def test_an_app_that_cannot_reach_its_database_at_build_time_is_the_learner_s_not_the_network_s():
    text = ("Step 5/5 : RUN python -c \"import psycopg2; psycopg2.connect('postgresql://db/notes')\"\n"
            " ---> Running in 0123456789ab\nTraceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n"
            "psycopg2.OperationalError: connection to server at \"db\" (10.0.0.5), port 5432 failed: Connection refused\n")
    diagnosis = diagnose(text)
    assert diagnosis.cause is None
    assert any("psycopg2.OperationalError" in line for line in diagnosis.lines)


def test_a_misspelt_apk_package_is_named_like_apt_s():
    text = ("Step 2/2 : RUN apk add --no-cache libpq-devel\n ---> Running in 0123456789ab\n"
            "ERROR: unable to select packages:\n  libpq-devel (no such package):\n    required by: world[libpq-devel]\n")
    diagnosis = diagnose(text)
    assert diagnosis.cause is not None and diagnosis.cause.id == "apt_package" and "apk search" in diagnosis.cause.hint
    assert "ERROR: unable to select packages:" in diagnosis.lines


def test_a_misspelt_pip_requirement_is_the_learner_s_not_the_network_s():
    text = ("Step 2/2 : RUN pip install psycopg3\n ---> Running in 0123456789ab\n"
            "ERROR: Could not find a version that satisfies the requirement psycopg3 (from versions: none)\n"
            "ERROR: No matching distribution found for psycopg3\n")
    diagnosis = diagnose(text)
    assert diagnosis.cause is None
    assert diagnosis.lines[-1] == "ERROR: No matching distribution found for psycopg3"


def test_a_log_without_any_marker_gives_no_lines_and_no_cause():
    diagnosis = diagnose("Step 2/2 : RUN exit 3\n ---> Running in 0123456789ab\nsomething happened\n")
    assert diagnosis.lines == () and diagnosis.cause is None


def test_the_decisive_lines_come_from_the_failing_step_only_in_log_order():
    text = ("Step 2/3 : RUN echo ok\n ---> Running in 0123456789ab\nerror: an earlier step printed this and passed\n"
            " ---> 0123456789ab\nStep 3/3 : RUN make\n ---> Running in 0123456789ac\nfirst\n"
            "gcc: fatal error: no input files\nsecond\n/bin/sh: 1: maek: not found\n")
    assert decisive_lines(failing_output(text)) == ["first", "gcc: fatal error: no input files", "second",
                                                    "/bin/sh: 1: maek: not found"]


def test_the_engine_keeps_more_lines_than_the_report_showed():
    # the report's tail was 20 lines of the 40 a step keeps; the whole log is what is searched now
    assert STEP_TAIL_LINES >= 20
    assert len(failing_output(log("gcc-no-libc6-dev"))) > STEP_TAIL_LINES


def test_the_report_s_build_summary_and_the_builds_check_carry_the_lines_and_the_hint():
    from checker import checks as dynamic
    from checker.engine import BuildResult
    from checker.grading.summary import build_summary

    text = log("issue-pg-config")
    result = BuildResult(ok=False, image_id=None, tag=None, seconds=12.0, log=text, failed_step="RUN pip install -r requirements.txt",
                         error="The command '/bin/sh -c pip install -r requirements.txt' returned a non-zero code: 1",
                         failed_output="\n".join(failing_output(text)[-STEP_TAIL_LINES:]))
    summary = build_summary(result)
    assert summary.cause == "pg_config" and "libpq-dev" in (summary.hint or "")
    assert any("pg_config executable not found" in line for line in summary.error_lines)
    outcome = dynamic.REGISTRY["builds"].judge(dynamic.Evidence(build=result), {})
    assert not outcome.passed and "libpq-dev" in outcome.message and outcome.details == {"cause": "pg_config"}


def test_a_syntax_line_whose_frontend_cannot_be_fetched_is_recognised_and_named():
    from checker.engine.build_errors import unreachable_frontend

    said = ("ERROR: failed to build: failed to solve: failed to resolve source metadata for "
            "docker.io/docker/dockerfile:1: failed to do request: Head \"https://registry-1.docker.io/v2/\": "
            "dial tcp: lookup registry-1.docker.io: no such host")
    assert unreachable_frontend(said) == "docker.io/docker/dockerfile:1"
    assert unreachable_frontend("E: Unable to locate package libpq-devv") is None
    assert unreachable_frontend("") is None


def test_a_third_party_frontend_that_cannot_be_fetched_is_the_machines_too_but_only_when_the_error_names_it():
    from checker.engine.build_errors import unreachable_frontend

    ghcr = ('ERROR: failed to build: failed to solve: failed to do request: Head '
            '"https://ghcr.io/v2/example/frontend/manifests/2": dial tcp: lookup ghcr.io on 10.0.0.53:53: no such host')
    assert unreachable_frontend(ghcr, "ghcr.io/example/frontend:2") == "ghcr.io/example/frontend:2"
    assert unreachable_frontend(ghcr) is None, "without the directive nothing says it was the frontend"
    local = "failed to solve: localhost:5000/tools/front:1: failed to do request: dial tcp 127.0.0.1:5000: connection refused"
    assert unreachable_frontend(local, "localhost:5000/tools/front:1") == "localhost:5000/tools/front:1"
    # the same words about another image (a COPY --from of an image that cannot be pulled) are not the frontend's
    other = 'failed to do request: Head "https://ghcr.io/v2/example/tools/manifests/1": dial tcp: no such host'
    assert unreachable_frontend(other, "ghcr.io/example/frontend:2") is None
    # the frontend named, but the failure is the learner's own step
    step = "process \"/bin/sh -c echo example/frontend\" did not complete successfully: exit code: 1"
    assert unreachable_frontend(step, "ghcr.io/example/frontend:2") is None


def test_when_buildkit_go_quotes_a_multi_line_command_then_readable_error_shows_its_lines_as_lines():
    from checker.engine.build_errors import readable_error

    said = 'process "/bin/sh -c set -e\\necho \\"first\\"\\tline\\nexit 3\\n" did not complete successfully: exit code: 3'
    assert readable_error(said) == ('process "/bin/sh -c set -e\necho "first"\tline\nexit 3" '
                                    'did not complete successfully: exit code: 3')
    one_line = 'process "/bin/sh -c pip install x" did not complete successfully: exit code: 1'
    assert readable_error(one_line) == one_line
    assert readable_error("E: Unable to locate package libpq-devv") == "E: Unable to locate package libpq-devv"
    assert readable_error(None) is None and readable_error("") == ""


#: uv's and poetry's words when a TLS-intercepting proxy's CA is not in their trust store (measured in
#: this course's new-user trial on Docker 28.5.2: pip trusted it through the stand-in's pip.conf, they did not).
UV_UNTRUSTED = (
    "#9 [builder 4/5] RUN --mount=type=cache,target=/root/.cache/uv uv pip install -r requirements.txt\n"
    "#9 0.412 error: Failed to fetch: `https://pypi.org/simple/sqlalchemy/`\n"
    "#9 0.412   Caused by: Request failed after 3 retries\n"
    "#9 0.412   Caused by: error sending request for url (https://pypi.org/simple/sqlalchemy/)\n"
    "#9 0.412   Caused by: client error (Connect)\n"
    "#9 0.412   Caused by: invalid peer certificate: UnknownIssuer\n"
    "#9 ERROR: process \"/bin/sh -c uv pip install -r requirements.txt\" did not complete successfully: exit code: 2\n"
)
POETRY_UNREACHABLE = (
    "#8 [builder 5/6] RUN poetry add --lock fastapi\n"
    "#8 1.914 Creating virtualenv notes-XDF0t07c-py3.13 in /root/.cache/pypoetry/virtualenvs\n"
    "#8 3.201 All attempts to connect to pypi.org failed.\n"
    "#8 3.201 Probable Causes:\n"
    "#8 3.201     - the server is not responding to requests at the moment\n"
    "#8 3.201     - the hostname cannot be resolved by your DNS\n"
    "#8 3.201     - your network is not connected to the internet\n"
    "#8 ERROR: process \"/bin/sh -c poetry add --lock fastapi\" did not complete successfully: exit code: 123\n"
)


@pytest.mark.parametrize("text, words", [
    (UV_UNTRUSTED, "invalid peer certificate: UnknownIssuer"),   # the certificate, not the fetch, is quoted
    (POETRY_UNREACHABLE, "All attempts to connect to pypi.org failed"),
])
def test_uv_and_poetry_that_cannot_reach_their_index_are_the_machine_not_the_learner(text, words):
    diagnosis = diagnose(text)
    assert diagnosis.cause is not None and diagnosis.cause.id == "network" and diagnosis.cause.environment, diagnosis
    assert diagnosis.evidence is not None and words in diagnosis.evidence, diagnosis.evidence


def test_a_certificate_word_outside_any_package_index_failure_is_not_the_network():
    # An app's own test that checks certificates at build time and fails is the learner's to read.
    text = "#7 [5/5] RUN python check_tls.py\n#7 0.3 invalid peer certificate: UnknownIssuer\n#7 ERROR: exit code: 1\n"
    assert diagnose(text).cause is None


def test_a_build_stopped_by_check_error_true_is_explained_with_the_rules_that_fired():
    from checker.engine.build_errors import diagnose

    said = diagnose("ERROR: failed to build: failed to solve: lint violation found for rules: FromAsCasing, "
                    "ConsistentInstructionCasing\n")
    assert said.cause is not None and said.cause.id == "build_checks" and not said.cause.environment
    assert "FromAsCasing, ConsistentInstructionCasing found something" in said.cause.hint
    assert "`# check=error=true`" in said.cause.hint
