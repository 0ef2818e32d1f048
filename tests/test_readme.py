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


def test_the_generated_sections_are_filled_and_an_empty_one_would_be_filled_too():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import update_readme
    finally:
        sys.path.pop(0)
    readme = (REPO / "README.md").read_text()
    assert "[LPI001]" in readme.split("<!-- BEGIN GENERATED: rules -->")[1].split("<!-- END GENERATED: rules -->")[0]
    assert "### Goals" in readme.split("<!-- BEGIN GENERATED: bench -->")[1].split("<!-- END GENERATED: bench -->")[0]
    empty = "a\n<!-- BEGIN GENERATED: rules -->\n<!-- END GENERATED: rules -->\n<!-- BEGIN GENERATED: bench -->\n<!-- END GENERATED: bench -->\nz\n"
    rendered = update_readme.render(empty)
    assert "[LPI001]" in rendered and "### Goals" in rendered and rendered.endswith("<!-- END GENERATED: bench -->\nz\n")


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in readme
    assert [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))] == ["make test"]
