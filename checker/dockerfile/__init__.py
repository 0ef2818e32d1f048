"""Dockerfile text -> stages and instructions, and the shell helpers the rules read RUN with.

One module per idea:

* :mod:`.parser` -- :func:`parse`: directives, continuations, heredocs, flags, exec form, stages;
* :mod:`.model` -- what it returns: :class:`Dockerfile`, :class:`Stage`, :class:`Instruction`,
  :class:`ArgDef`, :class:`Heredoc`, and :class:`ParseError`;
* :mod:`.syntax` -- the words of a line: flags, ``key=value`` pairs, heredoc markers,
  variable substitution (:func:`substitute`), the instruction names;
* :mod:`.shell` -- shell words and simple commands (:class:`Command`, :func:`split_commands`);
* :mod:`.packages` -- package-manager installs in those commands (:class:`PackageInstall`,
  :func:`package_installs`);
* :mod:`.refs` -- image references (:class:`ImageRef`, :func:`parse_image_ref`).

Callers import from ``checker.dockerfile``; the names below are its public surface.
"""

from __future__ import annotations

from .model import ArgDef, Dockerfile, Heredoc, Instruction, ParseError, Stage
from .packages import PackageInstall, package_installs
from .parser import MAX_BYTES, parse
from .refs import ImageRef, parse_image_ref
from .shell import Command, split_commands
from .syntax import INSTRUCTIONS, substitute

__all__ = [
    "ArgDef", "Command", "Dockerfile", "Heredoc", "INSTRUCTIONS", "ImageRef", "Instruction", "MAX_BYTES",
    "PackageInstall", "ParseError", "Stage", "package_installs", "parse",
    "parse_image_ref", "split_commands", "substitute",
]
