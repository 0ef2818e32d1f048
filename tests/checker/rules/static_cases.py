"""Fixture discovery and expectation markers for the static checker's tests.

Fixture layout: ``tests/fixtures/rules/<RULE_ID>/good-<what>.Dockerfile`` passes the rule,
``bad-<what>.Dockerfile`` fails it; an optional ``<stem>.dockerignore`` beside it is the build
context's .dockerignore (without one, the context has none). Markers, each on its own comment line:

* ``# expect: LPI005`` - the rule flags the instruction that starts on the next line;
* ``# expect: LPI007:info`` - the same, and the finding has that severity;
* ``# expect@1: LPI015`` - the rule flags line 1 (for lines a comment cannot precede);
* ``# expect-file: LPI013`` - the rule flags the file or context as a whole (line 0);
* ``# build-arg: NAME=VALUE`` - build with that argument.

A bad fixture also pins what the learner reads: ``<stem>.messages`` beside it lists every
finding of its rule as ``LINE: message``, one a line, in the order the rule reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checker.dockerfile import parse
from checker.rules import Context

TESTS = Path(__file__).resolve().parents[2]
FIXTURES = TESTS / "fixtures" / "rules"
LEARNERS = Path(__file__).resolve().parent / "learners"
MARKER_RE = re.compile(r"^\s*#\s*expect(?:@(\d+))?(-file)?:\s*(LPI\d{3})(?::(\w+))?\s*$")
BUILD_ARG_RE = re.compile(r"^\s*#\s*build-arg:\s*([A-Za-z_]\w*)=(\S*)\s*$")
GOOD_DOCKERIGNORE = ".git\n.venv\nvenv\n**/__pycache__\n**/*.pyc\n.pytest_cache\n"


@dataclass(frozen=True)
class FixtureCase:
    rule: str
    stem: str
    dockerfile: Path
    dockerignore: Path | None

    @property
    def good(self) -> bool:
        return self.stem.startswith("good-")

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.stem}"

    def build_args(self) -> dict[str, str]:
        args = {}
        for line in self.dockerfile.read_text().splitlines():
            match = BUILD_ARG_RE.match(line)
            if match:
                args[match.group(1)] = match.group(2)
        return args

    def context(self) -> Context:
        ignore = self.dockerignore.read_text() if self.dockerignore else None
        model = parse(self.dockerfile.read_bytes(), build_args=self.build_args())
        return Context(dockerfile=model, dockerignore=ignore, context_known=True, build_args=self.build_args())

    @property
    def messages_file(self) -> Path:
        """``<stem>.messages``: the findings a learner reads, as ``LINE: message`` lines."""
        return self.dockerfile.with_name(f"{self.stem}.messages")

    def expected_messages(self) -> list[str]:
        """The pinned ``LINE: message`` lines (empty when the fixture pins none)."""
        if not self.messages_file.exists():
            return []
        return [line for line in self.messages_file.read_text(encoding="utf-8").splitlines() if line]

    def expected(self) -> dict[int, str | None]:
        """Expected flagged lines for this case's rule -> expected severity (None: any)."""
        expected: dict[int, str | None] = {}
        text = self.dockerfile.read_text()
        starts = sorted(instruction.line for instruction in parse(text, build_args=self.build_args()).instructions)
        for number, line in enumerate(text.splitlines(), 1):
            match = MARKER_RE.match(line)
            if not match or match.group(3) != self.rule:
                continue
            if match.group(2):
                target = 0
            elif match.group(1):
                target = int(match.group(1))
            else:
                target = next(start for start in starts if start > number)
            expected[target] = match.group(4)
        if self.dockerignore is not None:
            for line in self.dockerignore.read_text().splitlines():
                match = MARKER_RE.match(line)
                if match and match.group(3) == self.rule:
                    expected[0] = match.group(4)
        return expected


def fixture_cases() -> list[FixtureCase]:
    cases = []
    for rule_dir in sorted(path for path in FIXTURES.iterdir() if path.is_dir()):
        for dockerfile in sorted(rule_dir.glob("*.Dockerfile")):
            stem = dockerfile.name.removesuffix(".Dockerfile")
            ignore = rule_dir / f"{stem}.dockerignore"
            cases.append(FixtureCase(rule_dir.name, stem, dockerfile, ignore if ignore.exists() else None))
    return cases
