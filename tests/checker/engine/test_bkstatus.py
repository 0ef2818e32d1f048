"""BuildKit's recorded solve status (``buildx --progress=rawjson``) read into steps; the buildx command line."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from checker import settings as course_settings
from checker.dockerfile import parse
from checker.engine import builders
from checker.engine.bkstatus import StatusParser, stage_nodes, step_index
from checker.engine.buildkit import buildx_command, buildx_env

RECORDED = Path(__file__).parents[2] / "fixtures" / "buildkit"


def _parse(name: str) -> StatusParser:
    parser = StatusParser(parse((RECORDED / f"{name}.Dockerfile").read_text()))
    lines = []
    for raw in (RECORDED / f"{name}.rawjson").read_text().splitlines():
        lines += list(parser.feed(raw))
    lines += list(parser.finish())
    return parser


def test_when_a_recorded_multi_stage_build_is_read_then_steps_carry_the_classic_numbers_lines_and_output():
    parser = _parse("heredoc-cache-mount")
    by_number = {step.number: step for step in parser.steps}
    # ARG (1), FROM (2), ENV (3: no node), RUN (4), FROM base (5: no node), WORKDIR, COPY, RUN heredoc, RUN mount
    assert sorted(by_number) == [2, 4, 6, 7, 8, 9]
    assert by_number[4].instruction == "RUN echo hello && sleep 1" and by_number[4].output == ["hello"]
    assert by_number[8].line == 8 and by_number[8].output == ["heredoc hi"]
    assert by_number[9].line == 11 and by_number[9].instruction.startswith("RUN --mount=type=cache")
    assert 0.9 < by_number[4].seconds < 2.0  # `sleep 1`, from the vertex's started/completed times
    assert by_number[2].cached and not by_number[4].cached and by_number[4].ran
    assert parser.error is None and parser.failed is None


def test_when_a_recorded_run_failed_then_the_parser_names_the_step_its_line_and_the_error():
    parser = _parse("failing-run")
    assert parser.failed is not None and parser.failed.line == 3
    assert parser.failed.instruction.startswith('RUN echo "some output"')
    assert sorted(parser.failed.output) == ["ERROR: thing broke", "some output"]  # stdout and stderr interleave
    assert parser.error is not None and "exit code: 3" in parser.error


def test_when_a_log_chunk_ends_mid_line_then_the_line_is_joined_with_the_next_chunk():
    parser = StatusParser(parse("FROM python:3.13-slim\nRUN echo hi\n"))
    vertex = {"digest": "sha256:a", "name": "[2/2] RUN echo hi", "started": "2026-11-30T06:15:36.1Z"}

    def log(text: str) -> str:
        return json.dumps({"logs": [{"vertex": "sha256:a", "data": base64.b64encode(text.encode()).decode()}]})

    started = list(parser.feed(json.dumps({"vertexes": [vertex]})))
    assert [line.text for line in started] == ["[2/2] RUN echo hi"] and started[0].step is not None and started[0].step.ran
    assert [line.text for line in parser.feed(log("hel"))] == []
    assert [line.text for line in parser.feed(log("lo\nwor"))] == ["hello"]
    assert [line.text for line in parser.finish()] == ["wor"]
    assert parser.steps[0].number == 2 and parser.steps[0].output == ["hello", "wor"]


def test_stage_nodes_skip_a_from_of_an_earlier_stage_and_instructions_without_a_node():
    nodes = stage_nodes(parse("FROM python:3.13-slim AS Base\nENV A=1\nRUN a\nFROM base\nUSER x\nCOPY . .\n"))
    assert [i.keyword for i in nodes["base"]] == ["FROM", "RUN"] and nodes["stage-0"] is nodes["base"]
    assert [i.keyword for i in nodes["stage-1"]] == ["COPY"]
    assert step_index(nodes, "stage-1", 1, 1, "COPY . .").line == 6
    assert step_index(nodes, "stage-9", 1, 1, "COPY . .") is None


def test_the_buildx_command_carries_labels_tag_limits_network_and_reads_the_context_from_stdin():
    command = buildx_command("/x/docker-buildx", dockerfile="sub/Dockerfile", tag="lpi/x:1", build_args={"A": "1"},
                             labels={"owner": "lpi"}, target="runtime", nocache=True, network="host",
                             cgroup_parent="/lean-python-images/buildkit/m1-p2", secret_files={"token": "/tmp/s"})
    assert command[:3] == ["/x/docker-buildx", "build", "--progress=rawjson"] and command[-1] == "-"
    text = " ".join(command)
    for part in ("-f sub/Dockerfile", "-t lpi/x:1", "--build-arg A=1", "--label owner=lpi", "--target runtime",
                 "--no-cache", "--network host", "--cgroup-parent /lean-python-images/buildkit/m1-p2",
                 "--secret id=token,src=/tmp/s", "--pull=false"):
        assert part in text


def test_buildx_gets_no_proxy_or_credentials_from_the_environment(monkeypatch, tmp_path):
    for name in ("HTTP_PROXY", "https_proxy", "DOCKER_CONFIG", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "leak")
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/x.sock")
    env = buildx_env(str(tmp_path))
    assert "leak" not in env.values() and env["DOCKER_CONFIG"] == str(tmp_path)
    assert env["DOCKER_HOST"] == "unix:///run/x.sock" and env["BUILDX_NO_DEFAULT_ATTESTATIONS"] == "1"


def test_when_the_classic_builder_is_asked_for_then_it_is_chosen_without_asking_the_engine(monkeypatch):
    monkeypatch.setattr(builders, "engine_offers_buildkit", lambda: (_ for _ in ()).throw(AssertionError("asked")))
    monkeypatch.setenv("LPI_BUILDER", "classic")
    assert builders.choose_builder(course_settings.load()).name == "classic"


def test_auto_picks_buildkit_only_when_the_engine_offers_it_and_buildx_is_here(monkeypatch):
    monkeypatch.setenv("LPI_BUILDER", "auto")
    monkeypatch.setattr(builders, "buildx_plugin", lambda dirs: "/x/docker-buildx")
    monkeypatch.setattr(builders, "engine_offers_buildkit", lambda: True)
    assert builders.choose_builder(course_settings.load()).name == "buildkit"
    monkeypatch.setattr(builders, "engine_offers_buildkit", lambda: False)
    assert builders.choose_builder(course_settings.load()).name == "classic"


def test_when_buildkit_is_forced_where_the_engine_lacks_it_then_the_error_says_why(monkeypatch):
    import pytest

    monkeypatch.setenv("LPI_BUILDER", "buildkit")
    monkeypatch.setattr(builders, "buildx_plugin", lambda dirs: "")
    monkeypatch.setattr(builders, "engine_offers_buildkit", lambda: True)
    with pytest.raises(builders.EngineError, match="no docker-buildx CLI plugin"):
        builders.choose_builder(course_settings.load())
    monkeypatch.setenv("LPI_BUILDER", "kaniko")
    with pytest.raises(ValueError, match="auto, buildkit, classic"):
        builders.choose_builder(course_settings.load())


def test_the_dockerfile_is_read_from_the_tar_under_a_private_dot_name_and_the_tar_is_rewound():
    import io
    import tarfile

    from checker.engine.buildkit import _dockerfile_model
    from checker.staging import OUTSIDE_DOCKERFILE_NAME

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = b"FROM python:3.13-slim\nRUN pip install flask\n"
        info = tarfile.TarInfo(OUTSIDE_DOCKERFILE_NAME)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    model = _dockerfile_model(buffer, OUTSIDE_DOCKERFILE_NAME, {})
    assert model is not None and model.instructions[1].keyword == "RUN" and buffer.tell() == 0


def test_buildkit_history_lines_read_like_the_classic_ones():
    from checker.engine import clean_created_by

    for clean in (clean_created_by,):
        assert clean("RUN /bin/sh -c pip install -r requirements.txt # buildkit") == "RUN pip install -r requirements.txt"
        assert clean("COPY requirements.txt . # buildkit") == "COPY requirements.txt ."
        assert clean("/bin/sh -c #(nop)  ENV A=1") == "ENV A=1"
        assert clean("/bin/sh -c pip install x") == "RUN pip install x"


def test_when_one_step_comes_under_two_vertexes_then_it_is_one_step():
    # Builds side by side (a class graded two at a time): BuildKit reported a shared step twice.
    parser = StatusParser(parse("FROM python:3.13-slim\nRUN pip install six\nCOPY . .\n"))
    name = "[2/3] RUN pip install six"
    feed = [{"vertexes": [{"digest": "sha256:a", "name": name, "started": "2026-11-30T06:15:36.1Z"}]},
            {"vertexes": [{"digest": "sha256:b", "name": name, "cached": True,
                           "started": "2026-11-30T06:15:37.0Z", "completed": "2026-11-30T06:15:37.0Z"}]},
            {"vertexes": [{"digest": "sha256:a", "name": name, "started": "2026-11-30T06:15:36.1Z",
                           "completed": "2026-11-30T06:15:38.1Z"}]},
            {"vertexes": [{"digest": "sha256:c", "name": "[3/3] COPY . .", "cached": True}]}]
    for status in feed:
        list(parser.feed(json.dumps(status)))
    assert [step.number for step in parser.steps] == [2, 3]
    pip = parser.steps[0]
    assert pip.ran and 1.9 < pip.seconds < 2.1
    assert parser.steps[1].cached
