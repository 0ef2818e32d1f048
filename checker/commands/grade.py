"""``python -m checker grade DOCKERFILE --context DIR``: build, probe and score one Dockerfile.

Exit status: 0 passed; 1 graded below the pass mark (a Dockerfile that does not parse or build
included: score 0 with the reason); 2 grading could not happen (no engine, a base image that is
not available, a missing file, a bad rubric), with one sentence on stderr and nothing on stdout;
with ``--output FILE`` that error report is written to FILE too, in the chosen format.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..reporters import FORMATS as REPORTER_FORMATS

#: The CLI's report formats: the reporters' own, ``text`` being the terminal view.
FORMATS = tuple(fmt for fmt in REPORTER_FORMATS if fmt != "terminal")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``grade`` on ``subparsers``; returns its parser."""
    parser = subparsers.add_parser(
        "grade",
        help="build a Dockerfile on the engine, look inside the image, run it, and score it against a rubric",
        description=(
            "Grade DOCKERFILE built in DIR: the static rules, then a real build (with a deadline), the image's "
            "filesystem, its interpreter (imports), its extensions' shared libraries, GET /health, a cache-reuse rebuild and its size next to the "
            "exercise's reference solution. Without --exercise or --rubric the sample app's default rubric applies."
        ),
    )
    parser.add_argument("dockerfile", metavar="DOCKERFILE", type=Path, help="the Dockerfile to grade")
    parser.add_argument("--context", metavar="DIR", type=Path, default=None,
                        help="the build context (default: the Dockerfile's folder)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--exercise", metavar="NAME", help="grade with exercises/*NAME*/rubric.toml")
    which.add_argument("--rubric", metavar="FILE", type=Path, help="grade with this rubric file")
    add_report_options(parser)
    parser.set_defaults(run=run)
    return parser


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """The options every grading command shares: ``--format --output --timeout --no-keep --quiet --builder``."""
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument("--output", metavar="FILE", type=Path, default=None,
                        help="write the report to FILE instead of standard output (also when grading could not happen)")
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=None,
                        help="wall-clock limit of each build of the submission (default: LPI_BUILD_TIMEOUT or 900)")
    parser.add_argument("--no-keep", action="store_true",
                        help="remove the built images afterwards instead of keeping them as build cache")
    parser.add_argument("--quiet", action="store_true", help="no progress on standard error")
    parser.add_argument("--builder", choices=("auto", "buildkit", "classic"), default=None,
                        help="which builder builds: BuildKit where the engine offers it (auto), or force one "
                             "(default: LPI_BUILDER or auto)")


def run(args: argparse.Namespace) -> int:
    """Grade ``args.dockerfile``; returns the exit status (0, 1 or 2)."""
    from .. import grading

    return grade_and_report(args, lambda **kwargs: grading.grade(
        args.dockerfile, context=args.context, exercise=args.exercise, rubric=args.rubric, **kwargs))


def grade_and_report(args: argparse.Namespace, grade) -> int:
    """Call ``grade(**options)`` with the shared options of ``args``, show or write the report.

    ``grade`` returns a :class:`checker.report.Report`; it receives ``timeout``, ``keep_cache``
    and, when progress is shown, ``on_line`` and ``on_phase``. Returns the report's exit code
    (2 with one sentence on stderr when grading could not happen; 2 for a bad ``--timeout``).
    """
    from ..reporters import render, terminal

    if args.timeout is not None and args.timeout <= 0:
        print(f"lean-check {args.command}: --timeout must be a positive number of seconds.", file=sys.stderr)
        return 2
    if getattr(args, "builder", None):
        os.environ["LPI_BUILDER"] = args.builder  # the settings, read from the environment, carry it everywhere
    progress = terminal.Progress() if not args.quiet and sys.stderr.isatty() else None
    options = dict(timeout=args.timeout, keep_cache=not args.no_keep)
    if progress is not None:
        with progress:
            report = grade(on_line=progress.on_line, on_phase=progress.on_phase, **options)
    else:
        report = grade(**options)
    if report.status == "error":
        print(f"lean-check {args.command}: {report.error}", file=sys.stderr)
        if args.output is not None:
            _write(args.output, terminal.render(report) if args.format == "text" else render(report, args.format))
        return report.exit_code
    if args.format == "text":
        if args.output is None and sys.stdout.isatty():
            terminal.show(report)
        else:
            _write(args.output, terminal.render(report))
    else:
        _write(args.output, render(report, args.format))
    return report.exit_code


def _write(path: Path | None, text: str) -> None:
    from ..files import write_atomic

    text = text if text.endswith("\n") else text + "\n"
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(path, text)
