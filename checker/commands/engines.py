"""`python -m checker engines up|down|list`: the default engine and the private modern ones beside it."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``engines`` subcommand and its actions to ``subparsers``; returns its parser."""
    parser = subparsers.add_parser(
        "engines",
        help="start (up), stop (down) or list the default and the modern Docker engines",
        description=(
            "up: fetch a modern Docker from Debian's mirror into a private prefix, start it with the containerd "
            "image store and with overlay2 beside the host's engine, copy the base images, and print one "
            "'NAME DOCKER_HOST' line per engine that answers. down: stop them and remove what they left. "
            "list: print the engines that answer, starting nothing."
        ),
    )
    parser.add_argument("action", choices=("up", "down", "list"))
    parser.add_argument("--no-images", action="store_true", help="up: do not copy the base images")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the action; 0 on success, 1 when an engine cannot be fetched, started or stopped (one sentence on stderr)."""
    from .. import modern_engines

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        if args.action == "down":
            modern_engines.down(progress=progress)
            return 0
        if args.action == "up":
            engines = modern_engines.up(images=not args.no_images, progress=progress)
        else:
            engines = modern_engines.available()
    except (PermissionError, modern_engines.FetchError, modern_engines.EngineStartError, modern_engines.TransferError) as exc:
        print(f"engines: {exc}", file=sys.stderr)
        return 1
    for engine in engines:
        print(engine.line(), flush=True)
    return 0
