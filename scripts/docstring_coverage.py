"""List the public functions and classes that have no docstring.

    python scripts/docstring_coverage.py                       # all of checker/
    python scripts/docstring_coverage.py checker/report.py checker/reporters

Public means: no leading underscore, and either defined at module level or a method of a public
module-level class (properties included). Nested functions and private names are not counted.
Modules under a folder are found recursively (``*.py``). The check reads the source with
:mod:`ast`, so nothing is imported.

Prints one ``path:line: kind name`` line per missing docstring, then a count. Exit status: 0
when every public function and class has a docstring, 1 when some have none, 2 when a path
does not exist or a file does not parse.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = (REPO / "checker",)

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _top_level(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, looking inside ``if``/``try`` blocks (``if TYPE_CHECKING:``...)."""
    for node in body:
        if isinstance(node, ast.If):
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(handler.body for handler in node.handlers)):
                yield from _top_level(block)
        else:
            yield node


def missing_docstrings(source: str) -> list[tuple[int, str, str]]:
    """The public functions and classes of one module's ``source`` that have no docstring.

    Returns ``(line, kind, name)`` triples in source order: ``kind`` is ``function``, ``class``
    or ``method``; a method's ``name`` is ``Class.method``. Raises :class:`SyntaxError` when
    ``source`` is not Python.
    """
    found: list[tuple[int, str, str]] = []
    for node in _top_level(ast.parse(source).body):
        if isinstance(node, _FUNCTIONS) and not node.name.startswith("_"):
            if ast.get_docstring(node) is None:
                found.append((node.lineno, "function", node.name))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            if ast.get_docstring(node) is None:
                found.append((node.lineno, "class", node.name))
            for member in node.body:
                if isinstance(member, _FUNCTIONS) and not member.name.startswith("_") and ast.get_docstring(member) is None:
                    found.append((member.lineno, "method", f"{node.name}.{member.name}"))
    return sorted(found)


def python_files(paths: Iterable[Path]) -> list[Path]:
    """The ``.py`` files named or found under ``paths``, sorted; raises FileNotFoundError for a missing path."""
    files: set[Path] = set()
    for path in paths:
        if path.is_dir():
            files.update(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        elif path.is_file():
            files.add(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return sorted(files)


def main(argv: list[str] | None = None) -> int:
    """Report missing docstrings under the paths in ``argv`` (default: checker/); returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: checker/)")
    args = parser.parse_args(argv)
    try:
        files = python_files(args.paths or DEFAULT_PATHS)
    except FileNotFoundError as error:
        print(f"docstring_coverage: {error}", file=sys.stderr)
        return 2
    missing = 0
    for file in files:
        try:
            found = missing_docstrings(file.read_text(encoding="utf-8"))
        except SyntaxError as error:
            print(f"docstring_coverage: {file} does not parse: {error}", file=sys.stderr)
            return 2
        for line, kind, name in found:
            print(f"{file}:{line}: {kind} {name} has no docstring")
        missing += len(found)
    print(f"{missing} public function(s)/class(es) without a docstring in {len(files)} file(s)")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
