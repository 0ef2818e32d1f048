"""The README's generated tables match their sources (rule registry, bench results)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_readme_generated_sections_are_up_to_date():
    completed = subprocess.run(
        [sys.executable, "scripts/update_readme.py", "--check"], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert completed.returncode == 0, completed.stderr


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in readme
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == ["make test"]
