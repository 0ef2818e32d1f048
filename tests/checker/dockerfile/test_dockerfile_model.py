"""The model's questions: stage lineage, ENV/ARG/LABEL pairs, the environment a RUN sees."""

from __future__ import annotations

from checker.dockerfile.parser import parse


def test_when_a_stage_builds_from_another_then_parent_root_base_and_lineage_follow_the_chain():
    df = parse(
        "FROM python:3.13-slim AS base\nFROM base AS deps\nFROM python:3.13 AS Tools\nFROM deps\nCOPY --from=tools /x /x\nCOPY --from=0 /y /y\n"
    )
    final = df.final_stage
    assert final.is_final and not df.stages[0].is_final
    assert final.parent == 1 and df.stages[1].parent == 0
    assert final.root_base == "python:3.13-slim"
    assert [s.index for s in df.final_lineage] == [0, 1, 3]
    assert df.stage_for("TOOLS").index == 2 and df.stage_for("0").index == 0
    assert df.instructions[-2].flag("from") == "tools"


def test_when_env_uses_either_form_then_pairs_are_read():
    df = parse('FROM python:3.13-slim\nENV PATH /opt/venv/bin:$PATH\nENV A=1 B="two words" C=\nARG X Y=2\n')
    assert df.instructions[1].pairs() == (("PATH", "/opt/venv/bin:$PATH"),)
    assert df.instructions[2].pairs() == (("A", "1"), ("B", "two words"), ("C", ""))
    assert df.instructions[3].pairs() == (("X", None), ("Y", "2"))


def test_when_asking_for_the_environment_of_a_run_then_env_is_inherited_and_args_end_with_their_stage():
    df = parse(
        "ARG GLOBAL=g\nFROM python:3.13-slim AS base\nARG GLOBAL\nARG LOCAL=l\nENV KEEP=1 LOCAL=env\n"
        "FROM base\nARG LATE=z\nRUN echo\n",
        build_args={"LATE": "override"},
    )
    base_env = df.env_at(df.stages[0].instructions[-1])
    assert base_env == {"GLOBAL": "g", "LOCAL": "l"}
    final_env = df.env_at(df.final_stage.instructions[-1])
    assert final_env == {"KEEP": "1", "LOCAL": "env", "LATE": "override"}
