"""lean-check: the course's command line. Thin: parse arguments, call the library, exit code.

Each subcommand lives in ``checker/commands/<name>.py`` with ``add_parser(subparsers)`` and
``run(args) -> int``; adding one means adding its name to :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: tuple[str, ...] = ("lint", "rules", "grade-class")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lean-check",
        description="Check Dockerfiles for the Lean Python Images course.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"checker.commands.{name.replace('-', '_')}")
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns its exit code (argparse itself exits 2 on a usage error)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("lean-check: interrupted.", file=sys.stderr)
        return 130
