"""`python -m checker clean`: remove every container and image the checker and the course created."""

from __future__ import annotations

import argparse
import sys

from .. import engine, images
from ..engine import cgroups
from ..grading import cache as grading_cache
from .. import settings as course_settings


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``clean`` subcommand and its options to ``subparsers``; returns its parser."""
    parser = subparsers.add_parser(
        "clean",
        help="remove all containers and images the checker created, and the engine's unused build cache "
             "(base images stay unless --standins)",
    )
    parser.add_argument("--standins", action="store_true", help="also remove the provisioned stand-in base images")
    parser.add_argument("--run", dest="run_prefix", metavar="PREFIX", default=None,
                        help="remove only the containers and images of the runs whose id starts with PREFIX "
                             "(a grade-class run id: class-..., printed by grade-class); images kept as the grading "
                             "build cache stay (it says how many) unless --with-cache; nothing else is touched")
    parser.add_argument("--with-cache", action="store_true",
                        help="with --run: also remove those runs' images kept as the grading build cache")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Remove what the checker created (and stand-ins with ``--standins``); 0, or 2 on an engine error."""
    if args.run_prefix is not None:
        return _clean_runs(args.run_prefix, with_cache=args.with_cache)
    if args.with_cache:
        print("error: --with-cache goes with --run PREFIX (clean without --run removes the cache anyway)", file=sys.stderr)
        return 2
    owner = f"{course_settings.LABEL_OWNER}={course_settings.OWNER_VALUE}"
    try:
        containers = engine.remove_containers(owner) + engine.reap_expired_containers()
        # Build steps an engine restart left behind (they carry the base image's owner label).
        containers += engine.remove_stopped_containers(course_settings.LABEL_OWNER)
        # Graded builds kept as cache: their final images and the untagged stage images under them.
        removed = grading_cache.remove_grading_images()
        removed += engine.remove_images(owner)
        # Steps of builds the engine cut off (a restart): untagged, with the base image's owner label.
        removed += engine.prune_dangling_images(course_settings.LABEL_OWNER)
        if args.standins:
            removed += images.remove_standins()
        # BuildKit's cache (its records carry no labels: the engine's whole unused build cache) and
        # the cgroups that limited BuildKit's RUN steps.
        reclaimed = engine.prune_build_cache()
        cgroups.remove_all()
    except engine.EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"removed {containers} container(s) and {removed} image(s); {reclaimed / 1e6:.0f} MB of build cache freed")
    return 0


def _clean_runs(prefix: str, *, with_cache: bool = False) -> int:
    """Remove what the runs under ``prefix`` left; 0, or 2 on an empty prefix or an engine error."""
    if not prefix.strip():
        print("error: --run needs a run id prefix (for example class-20261130T093000-ab12cd)", file=sys.stderr)
        return 2
    try:
        removed = engine.remove_by_run_prefix(prefix, with_cache=with_cache)
        kept = engine.kept_by_run_prefix(prefix)
    except engine.EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"removed {removed} container(s) and image(s) of runs {prefix}*"
          + (f"; {kept} image(s) of these runs stay, kept as the grading build cache (within LPI_CACHE_BUDGET): "
             f"`python -m checker clean --run {prefix} --with-cache` removes them too" if kept else ""))
    return 0
