"""Shell words and simple commands: the small tokenizer the rules use to read RUN scripts.

Not a shell: quotes are honoured, redirections and comments (to the end of their line) dropped, and unbalanced quotes fall
back to a whitespace split, so every script gets an answer.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&", "{", "}"})
_REDIRECTS = frozenset({">", ">>", "<", "<<", ">&", "<&", "&>", "&>>", ">|", "<<<", "<>"})
_PREFIX_WORDS = frozenset({"then", "do", "else", "elif", "if", "while", "until", "!", "time", "exec", "command", "nohup", "builtin"})
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Command:
    """A simple shell command: its words after ``VAR=value``, ``sudo``, ``env`` prefixes."""

    words: tuple[str, ...]
    """The program and its arguments, quotes removed, redirections and prefixes dropped."""
    assignments: tuple[str, ...] = ()
    """``VAR=value`` words written before the program (``DEBIAN_FRONTEND=noninteractive apt-get``)."""

    @property
    def program(self) -> str:
        """The program's file name without its directory (``pip`` for ``/opt/venv/bin/pip``); "" if none."""
        return posixpath.basename(self.words[0]) if self.words else ""

    @property
    def text(self) -> str:
        """The words joined by single spaces (quotes are not restored), for messages."""
        return " ".join(self.words)


def _strip_prefixes(words: list[str]) -> tuple[list[str], list[str]]:
    """Drop ``sudo``/``env``/``if``-style prefixes; return the remaining words and the ``VAR=value`` words."""
    assignments: list[str] = []
    while words:
        head = words[0]
        if head in _PREFIX_WORDS:
            words = words[1:]
        elif _ASSIGNMENT_RE.match(head):
            assignments.append(head)
            words = words[1:]
        elif head in {"sudo", "env", "nice", "doas"}:
            words = words[1:]
            while words and words[0].startswith("-"):
                takes_value = head == "sudo" and words[0] in {"-u", "-g", "-C", "-h", "-p", "-r", "-t", "-U"}
                words = words[2:] if takes_value else words[1:]
        else:
            break
    return words, assignments


_WORD_BREAKS = frozenset(" \t\n;&|()<>")


def comments(script: str) -> tuple[tuple[int, str], ...]:
    """The shell comments of ``script``: ``(offset, text)`` for each, ``text`` from ``#`` to the line's end.

    As a POSIX shell reads them: ``#`` starts a comment only at the start of a word (after
    whitespace or an operator such as ``;``/``&&``), outside quotes and not escaped, and the
    comment runs to the end of the line -- past any ``&&`` written after it. In a RUN whose
    lines were joined by ``\\`` continuations that is the end of the whole instruction, so
    ``apt-get install foo # note \\`` + ``&& rm -rf ...`` never runs the ``rm``. Never raises.
    """
    found: list[tuple[int, str]] = []
    quote = ""
    index = 0
    while index < len(script):
        char = script[index]
        if quote == "'":
            if char == "'":
                quote = ""
        elif char == "\\":
            index += 1  # the next character is literal (outside single quotes)
        elif quote == '"':
            if char == '"':
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or script[index - 1] in _WORD_BREAKS):
            end = script.find("\n", index)
            end = len(script) if end == -1 else end
            found.append((index, script[index:end]))
            index = end
            continue
        index += 1
    return tuple(found)


def strip_comments(script: str) -> str:
    """``script`` with every shell comment (see :func:`comments`) removed; newlines are kept."""
    parts: list[str] = []
    last = 0
    for offset, text in comments(script):
        parts.append(script[last:offset])
        last = offset + len(text)
    parts.append(script[last:])
    return "".join(parts)


def split_commands(script: str) -> tuple[Command, ...]:
    """Split shell text into simple commands on ``&&``, ``||``, ``;``, ``|``, ``&`` and newlines.

    A small tokenizer, not a shell: quotes are honoured, redirections are dropped, comments
    (``#`` at the start of a word, to the end of the line: :func:`comments`) are dropped with
    everything after them on their line, and unbalanced quotes fall back to a plain
    whitespace split instead of failing.
    """
    joined = " ; ".join(strip_comments(script).split("\n"))
    try:
        lexer = shlex.shlex(joined, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:
        tokens = re.findall(r"&&|\|\||[;|&()<>]|[^\s;|&()<>]+", joined)
    commands: list[Command] = []
    current: list[str] = []
    skip_next = False

    def flush() -> None:
        words, assignments = _strip_prefixes(current)
        if words or assignments:
            commands.append(Command(tuple(words), tuple(assignments)))
        current.clear()

    for token in tokens:
        if token in _SEPARATORS:
            skip_next = False
            flush()
            continue
        if skip_next:
            skip_next = False
            continue
        if token in _REDIRECTS:
            if current and current[-1].isdigit():
                current.pop()
            skip_next = True
            continue
        current.append(token)
    flush()
    return tuple(commands)


def split_words(text: str) -> list[str]:
    """Split ``text`` into words like a POSIX shell for simple words; never raises.

    Unbalanced quotes fall back to a plain whitespace split.
    """
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()
