"""Shell words and simple commands: the splitting the rules lean on."""

from __future__ import annotations

from checker.dockerfile.shell import comments, split_commands, split_words


def _words(script: str) -> list[tuple[str, ...]]:
    return [command.words for command in split_commands(script)]


def test_when_a_script_chains_commands_then_it_splits_on_every_operator_but_not_inside_quotes():
    script = 'apt-get update && apt-get install -y x || true; echo "a && b" | tee log & wait'
    assert _words(script) == [
        ("apt-get", "update"), ("apt-get", "install", "-y", "x"), ("true",),
        ("echo", "a && b"), ("tee", "log"), ("wait",),
    ]


def test_when_commands_have_prefixes_redirections_and_comments_then_only_the_command_words_remain():
    commands = split_commands("DEBIAN_FRONTEND=noninteractive sudo -E apt-get install -y gcc 2>/dev/null >> log # note\nenv A=1 pip install x")
    assert commands[0].words == ("apt-get", "install", "-y", "gcc")
    assert commands[0].assignments == ("DEBIAN_FRONTEND=noninteractive",)
    assert commands[1].words == ("pip", "install", "x")


def test_when_quotes_are_unbalanced_then_splitting_still_answers():
    assert _words("pip install 'broken && echo after")[0][:2] == ("pip", "install")


def test_when_words_are_split_then_quotes_are_honoured_and_unbalanced_quotes_fall_back_to_whitespace():
    assert split_words("""pip install 'a b' "c" d""") == ["pip", "install", "a b", "c", "d"]
    assert split_words("echo 'unclosed word") == ["echo", "'unclosed", "word"]


def test_when_a_command_is_read_then_program_is_the_file_name_and_text_joins_the_words():
    (command,) = split_commands("/opt/venv/bin/pip install 'a b'")
    assert command.program == "pip"
    assert command.text == "/opt/venv/bin/pip install a b"


def test_when_a_hash_starts_a_word_then_the_comment_runs_to_the_end_of_the_line_past_any_operator():
    # A RUN's continuation lines reach the shell as one line, so `# note` swallows the `&& rm`.
    assert _words("apt-get install -y foo # note && rm -rf /var/lib/apt/lists/*") == [("apt-get", "install", "-y", "foo")]
    assert _words("apk add libpq ;# comment ; rm -rf /var/cache/apk/*\nrm -f x") == [("apk", "add", "libpq"), ("rm", "-f", "x")]


def test_when_a_hash_is_quoted_escaped_or_inside_a_word_then_it_starts_no_comment():
    assert _words('echo "#a" \'#b\' \\#c d#e && rm x') == [("echo", "#a", "#b", "#c", "d#e"), ("rm", "x")]
    assert comments('echo "#a" \\# && x') == ()
    assert comments("a # one\nb # two") == ((2, "# one"), (10, "# two"))
