"""The parser: continuations, directives, encodings, FROM arguments, flags, exec form, heredocs, errors."""

from __future__ import annotations

import random

import pytest

from checker.dockerfile.parser import MAX_BYTES, parse
from checker.dockerfile.model import ParseError


def test_when_a_run_continues_over_comments_and_blank_lines_then_it_is_one_instruction_with_its_line_span():
    df = parse(
        "FROM python:3.13-slim\n"
        "RUN apt-get update \\\n"
        "    # a comment inside the continuation\n"
        "\n"
        "    && apt-get install -y --no-install-recommends libpq5 \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "USER 1000\n"
    )
    run = df.instructions[1]
    assert (run.keyword, run.line, run.end_line) == ("RUN", 2, 6)
    assert "comment" not in run.args
    assert df.empty_continuation_lines == (4,), "the blank line it dropped is recorded (LPI023), the comment is not"
    assert parse("FROM python:3.13-slim\n\nRUN true\n\n").empty_continuation_lines == (), "blank lines between instructions are fine"
    assert [c.words[:2] for c in run.commands] == [("apt-get", "update"), ("apt-get", "install"), ("rm", "-rf")]
    assert df.instructions[2].line == 7


def test_when_the_escape_directive_picks_a_backtick_then_backslashes_are_literal_and_backticks_continue():
    df = parse("# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir C:\\ `\n    && echo done\n")
    assert df.escape == "`"
    run = df.instructions[1]
    assert (run.line, run.end_line) == (3, 4)
    assert "C:\\" in run.args and "echo done" in run.args


def test_when_a_directive_comes_after_a_comment_then_it_is_only_a_comment():
    df = parse("# hello\n# escape=`\nFROM python:3.13-slim\nRUN echo \\\n  hi\n")
    assert df.escape == "\\" and "escape" not in df.directives
    assert df.instructions[1].end_line == 5


def test_when_the_file_has_a_bom_and_crlf_line_ends_then_it_parses_with_the_same_line_numbers():
    df = parse(b"\xef\xbb\xbfFROM python:3.13-slim AS base\r\nRUN echo a \\\r\n  && echo b\r\nUSER 1000\r\n")
    assert [(i.keyword, i.line) for i in df.instructions] == [("FROM", 1), ("RUN", 2), ("USER", 4)]
    assert df.stages[0].alias == "base"
    assert "\r" not in df.text


def test_when_from_uses_global_args_then_defaults_and_build_args_are_substituted():
    text = "ARG PY=3.12\nARG VARIANT\nARG DISTRO=bookworm\nFROM python:${PY}-${VARIANT:-slim}-$DISTRO AS build\nFROM python:${PY}${SUFFIX:+-alpine}\n"
    df = parse(text)
    assert df.stages[0].base == "python:${PY}-${VARIANT:-slim}-$DISTRO"
    assert df.stages[0].base_resolved == "python:3.12-slim-bookworm"
    assert [a.name for a in df.global_args] == ["PY", "VARIANT", "DISTRO"]
    overridden = parse(text, build_args={"PY": "3.13", "VARIANT": "alpine"})
    assert overridden.stages[0].base_resolved == "python:3.13-alpine-bookworm"


def test_when_a_from_variable_has_no_value_then_the_stage_records_it_as_unresolved():
    df = parse("ARG PY\nFROM python:${PY}-slim\n")
    assert df.stages[0].base_resolved == "python:-slim"
    assert df.stages[0].unresolved == ("PY",)


def test_when_instructions_carry_flags_then_they_are_parsed_and_kept_out_of_the_arguments():
    df = parse(
        "FROM --platform=linux/amd64 python:3.13-slim\n"
        "RUN --mount=type=cache,target=/root/.cache/pip --mount=type=secret,id=npm pip install x\n"
        "COPY --chown=app:app --link src/ /app/\n"
    )
    run, copy = df.instructions[1], df.instructions[2]
    assert df.stages[0].platform == "linux/amd64"
    assert run.flag_values("mount") == ("type=cache,target=/root/.cache/pip", "type=secret,id=npm")
    assert run.args == "pip install x"
    assert copy.flag("chown") == "app:app" and copy.flag("link") == "true"
    assert copy.sources_and_dest() == (("src/",), "/app/")


def test_when_a_command_is_a_json_array_then_it_is_exec_form_and_a_shell_test_is_not():
    df = parse('FROM python:3.13-slim\nCMD ["python", "-m", "app"]\nRUN [ -f /etc/os-release ] && echo ok\nENTRYPOINT []\n')
    cmd, run, entry = df.instructions[1:]
    assert cmd.exec_form and cmd.json == ("python", "-m", "app") and cmd.form == "exec"
    assert not run.exec_form and run.form == "shell"
    assert entry.exec_form and entry.json == ()


def test_when_a_run_uses_heredocs_then_bodies_are_recorded_and_their_lines_belong_to_the_instruction():
    df = parse(
        "FROM python:3.13-slim\n"
        "RUN <<EOF\npip install --no-cache-dir flask\nuseradd app\nEOF\n"
        "COPY <<-'CONF' /etc/app.conf\n\tport = 8000\n\tCONF\n"
        "USER app\n"
    )
    run, copy, user = df.instructions[1:]
    assert (run.line, run.end_line) == (2, 5)
    assert run.heredocs[0].delimiter == "EOF" and "useradd app" in run.heredocs[0].body
    assert [i.names for i in run.installs] == [("flask",)]
    assert copy.heredocs[0].strip_tabs and copy.heredocs[0].body == "port = 8000\n"
    assert copy.sources_and_dest() == ((), "/etc/app.conf")
    assert user.line == 9


def test_when_double_angle_brackets_are_quoted_or_arithmetic_then_they_are_not_heredocs():
    df = parse("FROM python:3.13-slim\nRUN echo $((1<<X)) \"<<EOF\" '<<EOF'\nUSER 1000\n")
    assert [(i.keyword, i.heredocs) for i in df.instructions] == [("FROM", ()), ("RUN", ()), ("USER", ())]


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("", None, "empty"),
        ("  \n# only a comment\n\n", None, "empty"),
        ("ARG PY=3.13\n", 1, "no FROM"),
        ("FROM python:3.13-slim\nFORM python\n", 2, "Did you mean FROM?"),
        ("RUN echo hi\nFROM python:3.13-slim\n", 1, "before the first FROM"),
        ("FROM python:3.13-slim\n\nCMD ['python', 'app.py']\n", 3, "double quotes"),
        ('FROM python:3.13-slim\nENTRYPOINT ["python", 3]\n', 2, "array of strings"),
        ("FROM python:3.13-slim\nSHELL /bin/bash -c\n", 2, "SHELL needs the JSON form"),
        ("FROM python:3.13-slim AS a\nFROM python:3.13-slim AS A\n", 2, "Two stages"),
        ("FROM python:3.13-slim AS 1st\n", 1, "not a valid stage name"),
        ("FROM python:3.13-slim\nRUN <<EOF\necho never closed\n", 3, "line 2 starts a heredoc with << that is never closed"),
        ("FROM\n", 1, "needs a base image"),
        ("FROM python:3.13-slim\nUSER\n", 2, "needs an argument"),
        ("# escape=|\nFROM python:3.13-slim\n", 1, "escape"),
    ],
)
def test_when_the_text_is_not_a_dockerfile_then_a_parse_error_names_the_line_and_the_problem(source, line, words):
    with pytest.raises(ParseError) as caught:
        parse(source)
    assert caught.value.line == line
    assert words in caught.value.message


def test_when_the_bytes_are_not_utf8_then_the_error_points_at_the_line():
    with pytest.raises(ParseError) as caught:
        parse(b"FROM python:3.13-slim\nLABEL a=b\nLABEL author=\xe9t\xe9\n")
    assert caught.value.line == 3 and "UTF-8" in caught.value.message


def test_when_the_file_holds_nul_bytes_then_it_is_rejected_as_binary():
    with pytest.raises(ParseError) as caught:
        parse(b"FROM python:3.13-slim\n\x00\x01\x02")
    assert caught.value.line == 2 and "binary" in caught.value.message


def test_when_the_file_is_larger_than_the_limit_then_it_is_rejected_before_parsing():
    with pytest.raises(ParseError) as caught:
        parse("FROM python:3.13-slim\n" + "# padding\n" * (MAX_BYTES // 10 + 1))
    assert "larger than" in caught.value.message


def test_when_random_bytes_are_parsed_then_the_only_failure_is_a_parse_error():
    rng = random.Random(20241126)
    alphabet = list(b"FROM RUN COPY ARG [\"]\\`\n\r#$={}<>-: \t") + [0xE9, 0xFF, 0x00]
    for _ in range(400):
        blob = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        try:
            parse(blob)
        except ParseError as error:
            assert str(error)
