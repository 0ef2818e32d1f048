"""Subcommands of ``lean-check``: one module each, exposing ``add_parser(subparsers)`` and ``run(args) -> int``."""
