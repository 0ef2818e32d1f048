"""The classic builder's stream, parsed into steps: over logs recorded from engine 20.10.

The fixtures in tests/fixtures/buildlogs/ are the chunks ``checker.engine.build`` received
(re-record them with tests/fixtures/buildlogs/record.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.engine import BuildResult, BuildStep
from checker.engine.buildlog import BuildLogParser, parse_chunks
from checker.engine.results import STEP_TAIL_LINES

LOGS = Path(__file__).parents[2] / "fixtures" / "buildlogs"


def recorded(name: str) -> list[dict]:
    return [json.loads(line) for line in (LOGS / f"{name}.jsonl").read_text().splitlines()]


def result_of(name: str) -> BuildResult:
    parser = parse_chunks(recorded(name))
    return BuildResult(ok=parser.error is None, image_id=parser.image_id, tag=None, seconds=0.0, steps=parser.steps)


def test_when_a_build_succeeds_then_every_step_has_its_instruction_image_and_container():
    parser = parse_chunks(recorded("success"))
    assert parser.error is None
    assert parser.image_id == "sha256:8d70045aca2f1d37c9c29be87d16c649db2f340a2d48e0f951e7e3dabef0ef1e"
    assert [step.number for step in parser.steps] == [1, 2, 3, 4, 5, 6]
    assert [step.instruction for step in parser.steps][:4] == [
        "FROM python:3.13-slim", 'RUN echo hello && echo "second line"', "COPY app.txt /app.txt", 'CMD ["python", "-V"]',
    ]
    run = parser.steps[1]
    assert run.container_id == "654ffef88e30" and run.image_id == "e200a0e3fdd1" and not run.cached
    assert run.output == ["hello", "second line"]
    assert parser.steps[0].image_id == "efb8d62f918a" and parser.steps[0].container_id is None
    assert parser.steps[2].container_id is None  # COPY runs in no container
    assert not any(step.cached for step in parser.steps)


def test_when_a_build_is_cached_then_its_steps_say_so_and_start_no_container():
    parser = parse_chunks(recorded("cached"))
    assert all(step.cached for step in parser.steps[1:])
    assert not any(step.container_id for step in parser.steps)
    assert [step.image_id for step in parser.steps[1:4]] == ["e200a0e3fdd1", "9ef9c3a2c8fc", "7d02e1df445c"]
    assert all(step.output == [] for step in parser.steps[:-1])


def test_when_a_run_step_fails_then_the_error_and_the_steps_last_output_are_kept():
    parser = parse_chunks(recorded("failing-run"))
    assert parser.image_id is None
    assert parser.error == ("The command '/bin/sh -c echo about to fail && ls /nowhere && exit 3' "
                            "returned a non-zero code: 2")
    failed = parser.steps[-1]
    assert failed.instruction.startswith("RUN echo about to fail")
    assert failed.container_id == "cb581c6355be" and failed.image_id is None
    assert failed.output[0] == "about to fail"
    assert "No such file or directory" in failed.output[1]
    assert not any(line.startswith("Removing intermediate container") for line in failed.output)


def test_when_a_build_has_two_stages_then_the_final_image_is_the_last_aux_id_and_each_stage_has_a_tip():
    result = result_of("multi-stage")
    assert result.image_id == "sha256:d2afb793d1297ee2495a7d0ffb909439c8819c9c5b1e420d728d3bf774347957"
    assert [step.is_from for step in result.steps] == [True, False, True, False, False, False, False]
    assert result.stage_tips == ["4d06c1b323eb", "d2afb793d129"]
    assert result.step_for("COPY --from=builder").image_id == "86b47249f77d"
    assert result.steps[4].output == ["built"]


def test_when_lines_come_then_the_parser_yields_each_after_taking_it_in():
    parser = BuildLogParser()
    seen = []
    for chunk in recorded("success")[:6]:
        for line in parser.feed(chunk):
            seen.append((line.text, line.step.number if line.step else None, line.started_container, line.blank))
    assert seen[0] == ("Step 1/6 : FROM python:3.13-slim", 1, None, False)
    assert seen[1] == ("", 1, None, True)  # the header's newline comes in a chunk of its own
    assert seen[2] == (" ---> efb8d62f918a", 1, None, False)
    assert seen[5] == (" ---> Running in 654ffef88e30", 2, "654ffef88e30", False)
    assert [started for *_, started, _ in seen if started] == ["654ffef88e30"]


def test_when_a_line_comes_before_any_step_then_it_belongs_to_no_step():
    parser = BuildLogParser()
    (line,) = list(parser.feed({"stream": "Sending build context to Docker daemon  2.048kB\n"}))
    assert line.step is None and parser.steps == []


def test_when_steps_follow_each_other_then_each_lasts_until_the_next_header():
    parser = BuildLogParser()
    list(parser.feed({"stream": "Step 1/2 : FROM x\n"}, now=10.0))
    list(parser.feed({"stream": "Step 2/2 : RUN y\n"}, now=12.5))
    parser.finish(now=20.0)
    assert [step.seconds for step in parser.steps] == [2.5, 7.5]


def test_when_a_step_prints_a_lot_then_only_its_last_lines_are_kept():
    parser = BuildLogParser()
    text = "Step 1/1 : RUN seq\n" + "".join(f"{n}\n" for n in range(STEP_TAIL_LINES + 10))
    list(parser.feed({"stream": text}))
    assert len(parser.steps[0].output) == STEP_TAIL_LINES
    assert parser.steps[0].output[-1] == str(STEP_TAIL_LINES + 9)


@pytest.mark.parametrize("chunk, expected", [
    ({"error": "boom", "errorDetail": {"message": "boom"}}, "boom"),
    ({"error": "", "errorDetail": {"message": "detail only"}}, "{'message': 'detail only'}"),
])
def test_when_an_error_chunk_comes_then_its_message_is_the_error(chunk, expected):
    parser = BuildLogParser()
    list(parser.feed(chunk))
    assert parser.error == expected


def test_a_from_step_is_recognised_whatever_its_case():
    assert BuildStep(1, "from python AS x").is_from and not BuildStep(2, "RUN from").is_from
