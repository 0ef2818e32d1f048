"""``lean-check rules``: the course rules' table, read from the catalogue (the README includes it)."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``rules`` subcommand on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "rules",
        help="list the course's rules",
        description="Print every course rule with its severity, why it matters and how to fix it.",
    )
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown", help="output format (default: markdown)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the rules as a Markdown table or a JSON list; always exit 0."""
    from checker import catalog

    if args.format == "json":
        print(json.dumps([entry.to_dict() for entry in catalog.by_kind("static")], indent=2))
    else:
        print(catalog.rules_table())
    return 0
