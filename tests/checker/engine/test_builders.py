"""The builder seam and the classic driver's pure pieces (no engine needed)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from checker import settings as course_settings
from checker.engine import BuildLimits, BuildResult, builders, classic, containers
from checker.engine.buildlog import parse_chunks

LOGS = Path(__file__).parents[2] / "fixtures" / "buildlogs"


class RecordingBuilder:
    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, dict]] = []

    def build(self, context, **request) -> BuildResult:
        self.calls.append((context.read(), request))
        return BuildResult(ok=True, image_id="sha256:x", tag=request["tag"], seconds=0.0)


def test_when_build_is_called_then_the_chosen_builder_gets_a_tar_the_owner_label_and_the_settings_limits(tmp_path, monkeypatch):
    builder = RecordingBuilder()
    monkeypatch.setattr(builders, "choose_builder", lambda settings: builder)
    (tmp_path / "app.txt").write_text("hi\n")
    settings = course_settings.load()
    result = builders.build(tmp_path, dockerfile_text="FROM scratch\n", labels={"x": "1"}, settings=settings)
    (data, request), = builder.calls
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert sorted(tar.getnames()) == ["Dockerfile", "app.txt"]
    assert request["tag"].startswith("lpi-build/") and result.tag == request["tag"]
    assert request["labels"] == {course_settings.LABEL_OWNER: course_settings.OWNER_VALUE, "x": "1"}
    assert request["limits"] == BuildLimits.from_settings(settings)
    assert request["deadline_s"] == settings.build_timeout_s
    assert request["build_args"] == {} and request["target"] is None and request["nocache"] is False


def test_when_limits_are_given_to_build_then_they_override_the_settings(monkeypatch):
    builder = RecordingBuilder()
    monkeypatch.setattr(builders, "choose_builder", lambda settings: builder)
    builders.build(context_tar=io.BytesIO(b"tar"), memory_bytes=123, network_mode="none", timeout_s=7)
    (data, request), = builder.calls
    assert data == b"tar"
    assert request["limits"].memory_bytes == 123 and request["limits"].network == "none"
    assert request["deadline_s"] == 7


def test_the_classic_builder_is_chosen_when_the_settings_ask_for_it(monkeypatch):
    monkeypatch.setenv("LPI_BUILDER", "classic")
    assert isinstance(builders.choose_builder(course_settings.load()), builders.ClassicBuilder)


def test_when_a_recorded_run_step_failed_then_the_result_names_the_step_and_its_output():
    chunks = [json.loads(line) for line in (LOGS / "failing-run.jsonl").read_text().splitlines()]
    parser = parse_chunks(chunks)
    log = classic._LogBuffer(4096)
    result = classic._result(parser, log, 1.5, error=parser.error, at_step=True)
    assert not result.ok and result.image_id is None and result.tag is None
    assert result.failed_step.startswith("RUN echo about to fail")
    assert result.failed_output.startswith("about to fail\n")
    assert result.seconds == 1.5 and result.error.endswith("returned a non-zero code: 2")


def test_when_a_recorded_build_succeeded_then_the_result_is_ok_with_its_tag():
    chunks = [json.loads(line) for line in (LOGS / "success.jsonl").read_text().splitlines()]
    parser = parse_chunks(chunks)
    result = classic._result(parser, classic._LogBuffer(4096), 2.0, tag="t:1")
    assert result.ok and result.tag == "t:1" and result.image_id == parser.image_id
    assert result.failed_step is None and result.failed_output == ""


def test_when_a_build_is_stopped_by_the_caller_then_no_step_is_blamed():
    parser = parse_chunks([{"stream": "Step 1/1 : RUN x\n"}, {"stream": "out\n"}])
    result = classic._result(parser, classic._LogBuffer(4096), 0.1, stopped="enough")
    assert not result.ok and result.stopped == "enough" and result.failed_step is None


def test_when_a_log_overflows_its_budget_then_its_head_and_tail_are_kept():
    log = classic._LogBuffer(2048)
    for n in range(400):
        log.add(f"line {n:04d}\n")
    text = log.text()
    assert text.startswith("line 0000\n") and text.endswith("line 0399\n")
    assert "log chunks dropped" in text and len(text.encode()) < 2048 + 200


def test_proc_net_tcp_listeners_are_read_for_ipv4_and_ipv6():
    text = (
        "  sl  local_address rem_address   st\n"
        "   0: 00000000:1F40 00000000:0000 0A\n"
        "   1: 0100007F:0050 00000000:0000 01\n"
        "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A\n"
        "   1: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A\n"
        "   2: 0000000000000000FFFF00000100007F:0017 00000000000000000000000000000000:0000 0A\n"
    )
    assert containers.parse_proc_net_tcp(text) == [
        ("0.0.0.0", 8000), ("::", 8080), ("::1", 22), ("127.0.0.1", 23),
    ]
