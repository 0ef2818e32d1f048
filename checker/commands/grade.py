"""``python -m checker grade DOCKERFILE --context DIR``: build, probe and score one Dockerfile.

Exit status: 0 passed; 1 graded below the pass mark (a Dockerfile that does not parse or build
included: score 0 with the reason); 2 grading could not happen (no engine, a base image that is
not available, a missing file, a bad rubric), with one sentence on stderr and nothing on stdout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATS = ("text", "json", "junit", "classroom", "html", "markdown")


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "grade",
        help="build a Dockerfile on the engine, look inside the image, run it, and score it against a rubric",
        description=(
            "Grade DOCKERFILE built in DIR: the static rules, then a real build (with a deadline), the image's "
            "filesystem, its interpreter (ldd, imports), GET /health, a cache-reuse rebuild and its size next to the "
            "exercise's reference solution. Without --exercise or --rubric the sample app's default rubric applies."
        ),
    )
    parser.add_argument("dockerfile", metavar="DOCKERFILE", type=Path, help="the Dockerfile to grade")
    parser.add_argument("--context", metavar="DIR", type=Path, default=None,
                        help="the build context (default: the Dockerfile's folder)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--exercise", metavar="NAME", help="grade with exercises/*NAME*/rubric.toml")
    which.add_argument("--rubric", metavar="FILE", type=Path, help="grade with this rubric file")
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument("--output", metavar="FILE", type=Path, default=None,
                        help="write the report to FILE instead of standard output")
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=None,
                        help="wall-clock limit of each build of the submission (default: LPI_BUILD_TIMEOUT or 900)")
    parser.add_argument("--no-keep", action="store_true",
                        help="remove the built images afterwards instead of keeping them as build cache")
    parser.add_argument("--quiet", action="store_true", help="no progress on standard error")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from .. import grading
    from ..reporters import render, terminal

    if args.timeout is not None and args.timeout <= 0:
        print("lean-check grade: --timeout must be a positive number of seconds.", file=sys.stderr)
        return 2
    show_progress = not args.quiet and sys.stderr.isatty()
    progress = terminal.Progress() if show_progress else None
    kwargs = dict(context=args.context, exercise=args.exercise, rubric=args.rubric, timeout=args.timeout,
                  keep_cache=not args.no_keep)
    if progress is not None:
        with progress:
            report = grading.grade(args.dockerfile, on_line=progress.on_line, on_phase=progress.on_phase, **kwargs)
    else:
        report = grading.grade(args.dockerfile, **kwargs)
    if report.status == "error":
        print(f"lean-check grade: {report.error}", file=sys.stderr)
        return report.exit_code
    if args.format == "text":
        text = terminal.render(report) if (args.output or not sys.stdout.isatty()) else None
        if text is None:
            terminal.show(report)
        else:
            _write(args.output, text)
    else:
        _write(args.output, render(report, args.format))
    return report.exit_code


def _write(path: Path | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    tmp.replace(path)
