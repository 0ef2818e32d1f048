"""The Docker CLI command shown beside each lesson helper call: made from the real arguments, quoted
so that a shell reads back exactly the words the helper used. Pure: no engine (``engine.run`` is
replaced by a fake in the one test that checks run_in shows its command)."""

from __future__ import annotations

import shlex

from checker import engine
from checker.lesson import cli
from checker.lesson.context import SAMPLE_APP_DIR
from checker.lesson.probe import run_in
from checker.lesson.variants import variant


def test_a_variant_build_reads_its_dockerfile_from_standard_input_with_the_real_tag_and_build_args():
    text = variant("multi-stage").dockerfile()
    command = cli.docker_build(tag="lpi-lesson/multi-stage:latest", context=SAMPLE_APP_DIR, dockerfile_text=text,
                               build_args={"PYTHON_VERSION": "3.13"}, builder="buildkit")
    first, *body = command.text.splitlines()
    assert first == ("docker build -t lpi-lesson/multi-stage:latest --build-arg PYTHON_VERSION=3.13 "
                     "-f - sample_app <<'EOF'")
    assert "\n".join(body) == text.rstrip("\n") + "\nEOF", "the Dockerfile follows, as written, then the delimiter"
    assert command.note == "from the repository's top folder", "the paths are relative to it"


def test_a_variant_read_from_a_file_names_that_file_and_its_target():
    command = cli.docker_build(tag="lpi-lesson/bone-rootfs:latest", context=SAMPLE_APP_DIR,
                               dockerfile_path=SAMPLE_APP_DIR / "../solutions/08-to-the-bone/Dockerfile",
                               dockerfile_text="ignored when a path is given", target="rootfs", builder="buildkit")
    assert shlex.split(command.text) == ["docker", "build", "-t", "lpi-lesson/bone-rootfs:latest", "--target", "rootfs",
                                         "-f", "solutions/08-to-the-bone/Dockerfile", "sample_app"]


def test_the_classic_builder_is_asked_for_with_docker_buildkit_0():
    command = cli.docker_build(tag="t:latest", context=SAMPLE_APP_DIR, dockerfile_path=SAMPLE_APP_DIR / "Dockerfile",
                               builder="classic", nocache=True)
    assert command.text.startswith("DOCKER_BUILDKIT=0 docker build ")
    assert shlex.split(command.text)[1:] == ["docker", "build", "-t", "t:latest", "--no-cache", "-f",
                                             "sample_app/Dockerfile", "sample_app"]
    assert "DOCKER_BUILDKIT" not in cli.docker_build(tag="t", context=".", dockerfile_text="FROM scratch\n",
                                                     builder="buildkit").text


def test_the_network_the_build_used_is_in_the_command_since_it_is_part_of_the_run_cache_key():
    command = cli.docker_build(tag="t:latest", context=SAMPLE_APP_DIR, dockerfile_path=SAMPLE_APP_DIR / "Dockerfile",
                               builder="buildkit", network="host")
    assert shlex.split(command.text) == ["docker", "build", "-t", "t:latest", "--network", "host", "-f",
                                         "sample_app/Dockerfile", "sample_app"]
    assert "--network" not in cli.docker_build(tag="t", context=".", dockerfile_text="FROM scratch\n",
                                               builder="buildkit", network="default").text


def test_a_build_that_edited_its_context_or_skipped_dockerignore_says_so():
    command = cli.docker_build(tag="t", context=SAMPLE_APP_DIR, dockerfile_text="FROM scratch\n", edited=["main.py"],
                               dockerignore=False)
    assert "editing main.py" in command.note and ".dockerignore" in command.note


def test_a_heredoc_delimiter_never_collides_with_a_dockerfile_line():
    text = "FROM scratch\nEOF\n"
    command = cli.docker_build(tag="t", context=".", dockerfile_text=text, builder="buildkit")
    assert command.text.splitlines()[0].endswith("<<'EOF_'") and command.text.endswith("\nEOF_")


def test_a_multi_line_script_reaches_sh_as_one_argument_exactly_as_written():
    script = '\necho "gcc: $(gcc --version | head -n 1)"\necho \'it\'"\'"\'s\' | wc -l\n'
    command = cli.docker_run_script("lpi-lesson/full-single:latest", script)
    assert shlex.split(command.text) == ["docker", "run", "--rm", "lpi-lesson/full-single:latest", "sh", "-c",
                                         script.strip("\n")]
    assert repr(command).startswith("$ docker run --rm lpi-lesson/full-single:latest sh -c '")


def test_sizes_lists_and_history_have_their_commands():
    assert cli.image_size("python:3.13").commands == ("docker image inspect --format '{{.Size}}' python:3.13",
                                                      "docker history python:3.13")
    assert cli.image_ls(label="org.lean-python-images.keep=lesson").text == \
        "docker image ls --filter label=org.lean-python-images.keep=lesson"


def test_in_jupyter_the_command_is_a_collapsed_same_in_a_terminal_line():
    page = cli.docker_run_script("img", "echo '<b>'").__repr__(), cli.docker_run_script("img", "echo '<b>'")._repr_html_()
    plain, html = page
    assert plain == "$ docker run --rm img sh -c 'echo '\"'\"'<b>'\"'\"''"
    assert html.startswith("<details") and "<summary" in html and "Same in a terminal" in html
    assert "<b>" not in html.split("</summary>")[1], "the command is escaped, not rendered"
    assert " open" not in html.split(">")[0], "collapsed until the learner opens it"


def test_run_in_shows_its_command_once_before_running(monkeypatch, capsys):
    calls = []

    def fake_run(image, command, **options):
        calls.append(command)
        return engine.RunResult(0, "hello\n", "", 0.1)

    monkeypatch.setattr(engine, "run", fake_run)
    result = run_in("img", "echo hello")
    assert result.output == "hello" and len(calls) == 1
    assert capsys.readouterr().out.count("$ docker run --rm img sh -c 'echo hello'") == 1
    run_in("img", "echo hello", show=False)
    assert "docker run" not in capsys.readouterr().out
