"""docs/checker.md carries the dynamic checks table generated from the registry (pure)."""

from __future__ import annotations

import os
import re

from checker import catalog

from tests.checker.support import REPO

DOC = REPO / "docs" / "checker.md"
START, END = "<!-- dynamic-checks:start -->", "<!-- dynamic-checks:end -->"


def test_the_dynamic_checks_table_in_the_docs_is_generated_from_the_checks():
    text = DOC.read_text(encoding="utf-8")
    block = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, re.DOTALL)
    assert block, f"{DOC} lacks the {START} ... {END} markers"
    table = catalog.checks_table()
    if os.environ.get("LPI_UPDATE_GOLDEN") == "1":
        DOC.write_text(text[: block.start(1)] + table + text[block.end(1):], encoding="utf-8")
        return
    assert block.group(1) == table, "the table is stale: run the tests with LPI_UPDATE_GOLDEN=1 to regenerate it"


def test_the_docs_name_every_exit_code_and_every_json_field_of_the_interface():
    text = DOC.read_text(encoding="utf-8")
    for field in ("`score`", "`max_score`", "`passed`", "`checks`", "`findings`", "`build`", "`image`", "`base_images`"):
        assert field in text, field
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in text
