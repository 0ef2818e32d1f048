"""The report's sentences about images the engine lacks (pure: the parsed Dockerfile in, text out)."""

from __future__ import annotations

from checker.dockerfile import parse
from checker.grading.summary import missing_image_message


def test_when_a_copy_from_names_an_unpullable_image_then_the_message_names_that_copy_line_not_the_from_line():
    model = parse("FROM python:3.13-slim AS builder\nRUN true\n\nFROM python:3.13-slim\n"
                  "COPY --from=buidler /deps /deps\nUSER 10001\n")
    message = missing_image_message(model, "buidler")
    assert "COPY --from=buidler on line 5" in message and "Fix the --from value on line 5" in message
    assert "'builder'" in message, "the stages that exist are named"
    assert "FROM line" not in message and "base image" not in message


def test_when_an_unnamed_stage_precedes_the_copy_then_the_message_says_no_stage_has_a_name():
    model = parse("FROM python:3.13-slim\nRUN true\nFROM python:3.13-slim\nADD --from=ghcr.io/x/tools:1 /t /t\n")
    message = missing_image_message(model, "ghcr.io/x/tools:1")
    assert "ADD --from=ghcr.io/x/tools:1 on line 4" in message and "no stage before it has a name" in message


def test_when_a_from_line_names_the_missing_image_then_the_message_names_that_from_line():
    model = parse("FROM lpi-no-such-image:1.0 AS base\nFROM base\nCOPY --from=lpi-no-such-image:1.0 /a /a\n")
    message = missing_image_message(model, "lpi-no-such-image:1.0")
    assert message.startswith("The base image lpi-no-such-image:1.0 (FROM on line 1)") and "fix the FROM line" in message


def test_an_unreachable_index_is_one_sentence_and_a_certificate_error_is_not_sent_back_to_grade_again():
    from checker.grading.summary import unreachable_index

    dns = unreachable_index("Temporary failure resolving 'deb.debian.org'")
    assert "(the log says: Temporary failure resolving 'deb.debian.org')" in dns and "grade again later" in dns
    cert = unreachable_index("invalid peer certificate: UnknownIssuer")
    assert "not your Dockerfile's fault" in cert and "grade again later" not in cert
    assert "does not go away by grading again" in cert and "certificate authority" in cert
    assert "the log says" not in unreachable_index(None)
