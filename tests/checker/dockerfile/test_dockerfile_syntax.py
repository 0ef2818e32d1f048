"""The words of a line: variable substitution, flags, key=value pairs, heredoc markers."""

from __future__ import annotations

from checker.dockerfile.syntax import heredoc_markers, key_value_pairs, parse_flags, substitute, without_heredoc_markers


def test_when_substituting_then_the_dockerfile_forms_behave_like_docker():
    values = {"SET": "x", "EMPTY": ""}
    assert substitute("${SET:-d} ${EMPTY:-d} ${NONE:-d} ${EMPTY-d} ${NONE-d}", values)[0] == "x d d  d"
    assert substitute("${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|$SET|\\$SET", values)[0] == "alt||alt|x|$SET"
    assert substitute("${NONE:-${SET}}", values)[0] == "x"


def test_when_substituting_then_the_names_without_a_value_are_listed_once_in_order():
    assert substitute("$B ${A} ${B:?set B} ${C:-$D}", {"A": "a"}) == (" a  ", ("B", "D"))


def test_when_an_instruction_starts_with_flags_then_they_are_split_off_unquoted_in_order():
    flags, rest = parse_flags('--mount=type=cache,target=/c --chown="app:app" --link --From=Build src/ /app/')
    assert flags == (("mount", "type=cache,target=/c"), ("chown", "app:app"), ("link", "true"), ("from", "Build"))
    assert rest == "src/ /app/"
    assert parse_flags("pip install --no-cache-dir x") == ((), "pip install --no-cache-dir x")


def test_when_label_or_arg_words_are_read_then_quotes_go_and_other_keywords_have_no_pairs():
    assert key_value_pairs("LABEL", 'a=1 "b c"=d e') == (("a", "1"), ("b c", "d"), ("e", None))
    assert key_value_pairs("RUN", "A=1 echo") == ()


def test_when_heredoc_markers_are_found_then_quoted_text_is_ignored_and_the_markers_can_be_removed():
    assert heredoc_markers("<<EOF <<-'CONF' /etc/x \"<<NOT\"") == [(False, "EOF"), (True, "CONF")]
    assert without_heredoc_markers("<<-'CONF' /etc/app.conf").split() == ["/etc/app.conf"]
