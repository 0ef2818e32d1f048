"""`python -m checker images`: make the course's base images available (or list them)."""

from __future__ import annotations

import argparse
import json
import sys

from .. import engine, images
from .. import settings as course_settings


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``images`` subcommand and its options to ``subparsers``; returns its parser."""
    parser = subparsers.add_parser(
        "images",
        help="make the course's base images available: local, pulled, or provisioned stand-ins",
        description=(
            "Make each course base image available: use it if present, pull it if a registry answers, "
            "otherwise provision an honestly labelled stand-in from Debian's packages. A second run does nothing."
        ),
    )
    parser.add_argument("--list", action="store_true", help="only report what is present; change nothing")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--quiet", action="store_true", help="no build progress, only the summary")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """List or provision the base images; 0 when the slim and full images are there, 2 otherwise or on an engine error."""
    settings = course_settings.load()
    try:
        if args.list:
            results = [images.describe(ref) for ref in settings.course_images]
        else:
            progress = (lambda line: None) if args.quiet or args.format == "json" else (lambda line: print(line, flush=True))
            results = images.ensure_images(settings, progress=progress)
    except engine.EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps([result.to_dict() for result in results], indent=2))
    else:
        for result in results:
            kind = "stand-in" if result.standin else ("official" if result.available else "missing")
            size = f"{result.size_bytes / 1e6:7.0f} MB" if result.size_bytes else "          "
            print(f"{result.ref:24} {kind:9} {size}  {result.detail}")
    # Alpine cannot be provisioned offline; that is reported, not an error.
    required = {settings.slim_image, settings.full_image}
    return 0 if all(r.available for r in results if r.ref in required) else 2
