"""``lean-check rules``: the rule table, generated from the registry (the README includes it)."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "rules",
        help="list the course's rules",
        description="Print every course rule with its severity, why it matters and how to fix it.",
    )
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown", help="output format (default: markdown)")
    parser.set_defaults(run=run)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table() -> str:
    from checker.rules import all_rules

    lines = [
        "| Rule | Title | Severity | Why it matters | How to fix |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in all_rules():
        lines.append(f"| [{rule.id}]({rule.lesson}) | {_cell(rule.title)} | {rule.severity} | {_cell(rule.rationale)} | {_cell(rule.fix)} |")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from checker.rules import all_rules

    if args.format == "json":
        print(json.dumps([rule.to_dict() for rule in all_rules()], indent=2))
    else:
        print(markdown_table())
    return 0
