"""lean-check: the course's command line. Thin: parse arguments, call the library, exit code.

Each subcommand lives in ``checker/commands/<name>.py`` with ``add_parser(subparsers)`` and
``run(args) -> int``; adding one means adding its name to :data:`COMMANDS`. Only the module of the
command being run is imported, so ``lean-check lint`` never pays for (or trips over) the engine
code that ``grade`` needs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

#: Every subcommand, in the order ``--help`` lists them; each is a module of :mod:`checker.commands`.
COMMANDS: tuple[str, ...] = ("lint", "rules", "images", "clean", "grade", "check", "grade-class", "engines")


def _module_name(command: str) -> str:
    """The module of a subcommand: ``grade-class`` -> ``checker.commands.grade_class``."""
    return f"checker.commands.{command.replace('-', '_')}"


def _add_unavailable(subparsers: argparse._SubParsersAction, command: str, error: Exception) -> None:  # type: ignore[type-arg]
    """Register ``command`` as one that says why it cannot start (its module failed to import) and exits 2."""
    reason = f"{type(error).__name__}: {error}"
    parser = subparsers.add_parser(command, help=f"(unavailable: {reason})")
    parser.add_argument("rest", nargs=argparse.REMAINDER)

    def run(_args: argparse.Namespace) -> int:
        print(f"lean-check {command}: this command cannot start here ({reason}).", file=sys.stderr)
        return 2

    parser.set_defaults(run=run)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``lean-check`` argument parser; with ``only`` (a name in :data:`COMMANDS`), just that command's module is imported.

    A command whose module cannot be imported is still listed, and running it says why and exits 2.
    """
    parser = argparse.ArgumentParser(
        prog="lean-check",
        description="Check Dockerfiles for the Lean Python Images course.",
    )
    from .reporters.located import tool_version

    parser.add_argument("--version", action="version", version=f"lean-check {tool_version()}",
                        help="print the installed version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(_module_name(command))
        except ImportError as error:
            _add_unavailable(subparsers, command, error)
            continue
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand with ``argv`` (default: ``sys.argv[1:]``); returns its exit code.

    130 after Ctrl-C, 0 when stdout's reader went away; argparse itself raises SystemExit(2) on a
    usage error.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    first = next((word for word in argv if not word.startswith("-")), None)
    args = build_parser(first if first in COMMANDS else None).parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("lean-check: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): not an error of ours. Silence the final flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
