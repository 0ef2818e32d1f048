"""What the classic builder cannot build, decided from the Dockerfile's text (pure) and from its own error words."""

from __future__ import annotations

import pytest

from checker.grading.summary import classic_cannot_build
from checker.rules.buildkit import classic_refusal, needs_buildkit

FROM = "FROM python:3.13-slim\n"

BUILDKIT_ONLY = [
    ("RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n", (2, "RUN --mount")),
    ("RUN --mount=type=secret,id=token,required=true cat /run/secrets/token\n", (2, "RUN --mount")),
    ("run --mount=type=bind,source=.,target=/src true\n", (2, "RUN --mount")),
    ("RUN \\\n    --mount=type=cache,target=/root/.cache pip install x\n", (2, "RUN --mount")),
    ("RUN --network=none pip install --no-index x\n", (2, "RUN --network")),
    ("RUN --security=insecure true\n", (2, "RUN --security")),
    ("RUN <<EOF\nset -e\npip install x\nEOF\n", (2, "heredoc (RUN <<EOF)")),
    ("RUN python3 <<PY\nprint('hello')\nPY\n", (2, "heredoc (RUN <<PY)")),
    ("RUN <<-EOT bash\n\techo one\n\tEOT\n", (2, "heredoc (RUN <<EOT)")),
    ("COPY <<EOF /etc/app.conf\nport=8000\nEOF\n", (2, "heredoc (COPY <<EOF)")),
    ("COPY --chmod=755 entrypoint.sh /usr/local/bin/\n", (2, "COPY --chmod")),
    ("COPY --link requirements.txt .\n", (2, "COPY --link")),
    ("COPY --parents src/*/app.py /app/\n", (2, "COPY --parents")),
    ("COPY --exclude=*.md . /app\n", (2, "COPY --exclude")),
    ("ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.org/x.tgz /x\n",
     (2, "ADD --checksum")),
    ("ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.10.1 /buildkit\n", (2, "ADD --keep-git-dir")),
]

CLASSIC_BUILDS = [
    "RUN echo --mount=type=cache,target=/x\n",                         # an argument of echo, not a flag
    'RUN echo "--mount=type=cache" && pip install --no-cache-dir x\n',  # inside a shell string
    'RUN sh -c "pip install x --mount=type=cache"\n',
    'CMD ["echo", "--mount=type=cache"]\n',                             # exec form: arguments, never flags
    'RUN echo "<<EOF"\n',                                               # a heredoc marker inside quotes
    "RUN cat > /tmp/x <<EOF\n",                                         # a shell heredoc with no body lines
    "COPY --chown=1000:1000 requirements.txt .\n",                      # flags the classic builder knows
    "COPY --from=python:3.13-slim /usr/local/bin/python3 /usr/bin/\n",
    "ADD --chown=1000 app.tar.gz /app\n",
    "# RUN --mount=type=cache,target=/x true\nRUN true\n",               # a comment
    "ENV FLAGS=--mount\nRUN echo $FLAGS\n",
]


@pytest.mark.parametrize("text,expected", BUILDKIT_ONLY, ids=[expected[1] + f"#{i}" for i, (_, expected) in enumerate(BUILDKIT_ONLY)])
def test_when_a_line_uses_buildkit_only_syntax_then_needs_buildkit_names_that_line_and_syntax(text, expected):
    assert needs_buildkit(FROM + text) == [expected]


@pytest.mark.parametrize("text", CLASSIC_BUILDS)
def test_when_buildkit_words_appear_only_as_arguments_strings_or_comments_then_nothing_needs_buildkit(text):
    assert needs_buildkit(FROM + text) == []


@pytest.mark.parametrize("said,expected", [
    # Docker 20.10.24's classic builder, measured (DOCKER_BUILDKIT=0 docker build)
    ("the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build "
     "images with BuildKit enabled", (None, "--mount")),
    ("the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/", (None, "--chmod")),
    ("Error response from daemon: dockerfile parse error line 2: Unknown flag: link", (2, "--link")),
    ("dockerfile parse error line 7: Unknown flag: checksum", (7, "--checksum")),
    ("dockerfile parse error line 3: Unknown flag: network", (3, "--network")),
    ("dockerfile parse error line 4: Unknown flag: keep-git-dir", (4, "--keep-git-dir")),
    # Docker 28.5.2's classic builder, measured (DOCKER_BUILDKIT=0 docker build on modern-containerd)
    ("Error response from daemon: dockerfile parse error on line 2: unknown flag: --parents", (2, "--parents")),
    ("the --network option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/", (None, "--network")),
])
def test_when_the_classic_builder_refuses_a_buildkit_flag_then_its_words_are_recognised(said, expected):
    assert classic_refusal(said) == expected


@pytest.mark.parametrize("said", [
    "dockerfile parse error line 2: Unknown flag: chwon",   # a typo: BuildKit refuses it too, the learner's to fix
    "dockerfile parse error on line 2: unknown flag: --chwon",
    "dockerfile parse error line 4: unknown instruction: SET",
    "The command '/bin/sh -c pip install x' returned a non-zero code: 1",
    "",
])
def test_when_the_error_is_the_dockerfiles_own_then_it_is_no_classic_refusal(said):
    assert classic_refusal(said) is None


def test_when_the_classic_builder_cannot_build_then_the_message_names_the_lines_the_engine_and_what_to_do():
    facts = {"version": "20.10.24+dfsg1", "builders": ["classic"]}
    said = classic_cannot_build([(4, "RUN --mount"), (7, "heredoc (RUN <<EOF)")], facts)
    assert "line 4: RUN --mount; line 7: heredoc (RUN <<EOF)" in said
    assert "Docker 20.10.24+dfsg1 builds with the classic builder only" in said
    assert "not a fault of your Dockerfile" in said and "--builder buildkit" in said
    assert "python -m checker engines list" in said and "modern-containerd" in said
    forced = classic_cannot_build([(4, "RUN --mount")], {"version": "28.5.2", "builders": ["classic", "buildkit"]},
                                  asked_classic=True)
    assert "the classic builder was asked for" in forced and "Docker 28.5.2" in forced
    # this engine offers BuildKit: the way out is dropping the request, not another engine
    assert "drop `--builder classic`" in forced and "engines list" not in forced
    forced_classic_only = classic_cannot_build([(4, "RUN --mount")], facts, asked_classic=True)
    assert "drop `--builder classic`" not in forced_classic_only and "engines list" in forced_classic_only
    no_plugin = classic_cannot_build([(0, "--link")], {"version": "28.5.2", "builders": ["classic", "buildkit"]})
    assert "(--link)" in no_plugin and "no docker-buildx CLI plugin" in no_plugin


def test_when_the_classic_builder_names_no_line_then_the_step_or_the_first_instruction_carrying_the_flag_gives_it():
    from checker.dockerfile import parse
    from checker.grading.pipeline import _line_of

    model = parse("FROM python:3.13-slim\nRUN echo --link\nCOPY --link a b\nCOPY --link c d\n")
    assert _line_of(model, "--link", "COPY --link c d") == 4   # the step the classic builder printed
    assert _line_of(model, "--link", None) == 3                 # a flag, not the echo's argument on line 2
    assert _line_of(model, "--mount", None) == 0
