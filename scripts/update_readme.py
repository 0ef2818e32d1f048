"""Fill the README's generated sections, so tables never drift from their sources.

    python scripts/update_readme.py          # rewrite README.md in place
    python scripts/update_readme.py --check  # exit 1 if README.md is out of date

Sections are marked <!-- BEGIN GENERATED: name --> ... <!-- END GENERATED: name -->.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"


def rules_table() -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "checker", "rules", "--format", "markdown"],
        capture_output=True, text=True, cwd=REPO, check=True,
    )
    return completed.stdout.strip()


def bench_table() -> str:
    results = REPO / "bench" / "RESULTS.md"
    if not results.exists():
        return "_No benchmark results yet: run `make bench`._"
    return results.read_text().strip()


GENERATORS = {"rules": rules_table, "bench": bench_table}


class MissingSection(Exception):
    pass


def render(text: str) -> str:
    for name, generate in GENERATORS.items():
        # An empty section (BEGIN right above END) must match too, or it would never be filled.
        pattern = re.compile(
            rf"(<!-- BEGIN GENERATED: {name} -->\n)(?:.*?\n)?(<!-- END GENERATED: {name} -->)", re.DOTALL
        )
        if not pattern.search(text):
            raise MissingSection(f"README.md has no <!-- BEGIN/END GENERATED: {name} --> section")
        body = generate()
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def main(argv: list[str]) -> int:
    current = README.read_text()
    try:
        wanted = render(current)
    except MissingSection as exc:
        print(exc, file=sys.stderr)
        return 1
    if "--check" in argv:
        if wanted != current:
            print("README.md is out of date: run `python scripts/update_readme.py`", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
