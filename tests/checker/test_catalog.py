"""The catalogue of checks: one view of course rules, dynamic checks and hadolint (pure)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import checker.checks
import checker.rules
from checker import catalog
from checker.checks import REGISTRY as DYNAMIC_REGISTRY
from checker.checks import dynamic_check
from checker.rules import all_rules, rule

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"


def test_every_rule_and_dynamic_check_has_a_unique_id_rationale_fix_lesson_link_and_rules_have_fixtures():
    entries = catalog.entries()
    ids = [entry.id for entry in entries]
    assert len(ids) == len(set(ids)), "ids are unique across all kinds"
    assert {e.id for e in entries if e.kind == "static"} == {r.id for r in all_rules()}
    assert {e.id for e in entries if e.kind == "dynamic"} == set(DYNAMIC_REGISTRY)
    for entry in entries:
        assert entry.kind in catalog.KINDS, entry.id
        assert entry.title and entry.rationale and len(entry.fix) > 20, entry.id
        stem, _, anchor = entry.lesson.removeprefix("notebooks/").partition("#")
        assert entry.lesson.startswith("notebooks/"), entry.id
        assert stem.removesuffix(".ipynb") in catalog.LESSONS, entry.id
        assert anchor or entry.kind == "hadolint", f"{entry.id}: the lesson link names a section"
        assert (entry.severity is not None) == (entry.kind == "static"), entry.id
        if entry.kind == "static":
            stems = [path.name for path in (FIXTURES / entry.id).glob("*.Dockerfile")]
            assert any(name.startswith("good-") for name in stems), f"{entry.id} has no good fixture"
            assert any(name.startswith("bad-") for name in stems), f"{entry.id} has no bad fixture"


def test_when_an_id_is_looked_up_then_its_entry_comes_back_and_an_unknown_id_raises_key_error():
    assert catalog.get("LPI012").kind == "static" and catalog.get("LPI012").severity == "error"
    assert catalog.get("builds").kind == "dynamic" and catalog.get("builds").needs == ("build",)
    assert catalog.get("image_size").params["max_ratio_to_reference"] == 1.25
    assert catalog.get("pyc_kept").kind == "dynamic", "the exercises' checks are in the catalogue too"
    assert catalog.get("hadolint") is catalog.HADOLINT
    with pytest.raises(KeyError):
        catalog.get("no_such_check")
    with pytest.raises(ValueError):
        catalog.by_kind("nonsense")


def test_the_catalogue_lists_rules_by_id_then_dynamic_checks_in_registration_order_then_hadolint():
    kinds = [entry.kind for entry in catalog.entries()]
    assert kinds == sorted(kinds, key=["static", "dynamic", "hadolint"].index)
    assert [e.id for e in catalog.by_kind("dynamic")] == list(DYNAMIC_REGISTRY)
    assert [e.id for e in catalog.by_kind("hadolint")] == ["hadolint"]


def test_hadolint_text_lives_in_the_catalogue():
    entry = catalog.HADOLINT
    assert entry.title == "hadolint finds no problems"
    assert entry.fix == "Read each hadolint finding and its wiki page (DLxxxx)."
    assert dict(entry.params) == {"fail_on": ["error"]}


def test_each_rule_module_is_named_after_its_one_rule():
    for module in pkgutil.iter_modules(checker.rules.__path__):
        if re.fullmatch(r"lpi\d{3}", module.name):
            loaded = importlib.import_module(f"checker.rules.{module.name}")
            owned = [r.id for r in all_rules() if r.predicate.__module__ == loaded.__name__]
            assert owned == [module.name.upper()], module.name
    assert all(f"checker.rules.{r.id.lower()}" == r.predicate.__module__ for r in all_rules())


def test_importing_the_checks_package_imports_every_module_of_it():
    for module in pkgutil.iter_modules(checker.checks.__path__):
        assert f"checker.checks.{module.name}" in sys.modules, f"checker/checks/__init__.py does not import {module.name}"


def test_the_docstring_parser_reads_title_why_and_fix_and_refuses_a_docstring_without_them():
    doc = """Keep it lean.

    Why it matters:
        Bytes cost
        time.
    How to fix:
        Remove them.
    """
    assert catalog.doc_sections(doc, "x") == ("Keep it lean", "Bytes cost time.", "Remove them.")
    with pytest.raises(ValueError, match="x: the docstring needs"):
        catalog.doc_sections("Only a title.", "x")
    with pytest.raises(ValueError, match="unknown lesson"):
        catalog.lesson_link("99_nowhere.ipynb#x", "x")
    assert catalog.lesson_link("02_multi_stage.ipynb#x", "x") == "notebooks/02_multi_stage.ipynb#x"


def test_a_dynamic_check_is_validated_at_registration_like_a_rule():
    def judge(evidence, params):
        """Title.

        Why it matters:
            Because.
        How to fix:
            Like this.
        """

    with pytest.raises(ValueError, match="unknown lesson"):
        dynamic_check("test_only_bad_lesson", lesson="99_nowhere.ipynb#x", needs=("build",))(judge)
    with pytest.raises(ValueError, match="needs must name evidence"):
        dynamic_check("test_only_bad_needs", lesson="02_multi_stage.ipynb#x", needs=("vibes",))
    with pytest.raises(ValueError, match="snake_case"):
        dynamic_check("Bad-Id", lesson="02_multi_stage.ipynb#x", needs=("build",))
    with pytest.raises(ValueError, match="registered twice"):
        dynamic_check("builds", lesson="02_multi_stage.ipynb#x", needs=("build",))(judge)
    assert "test_only_bad_lesson" not in DYNAMIC_REGISTRY


def test_a_rule_outside_its_own_module_is_refused():
    def predicate(ctx):
        """Title.

        Why it matters:
            Because.
        How to fix:
            Like this.
        """
        return iter(())

    predicate.__module__ = "checker.rules.lpi001"
    with pytest.raises(ValueError, match="must be defined in checker/rules/lpi099.py"):
        rule("LPI099", severity="info", lesson="02_multi_stage.ipynb#x", family="test")(predicate)


def test_the_rules_table_reads_the_catalogue():
    table = catalog.rules_table().splitlines()
    assert table[0].startswith("| Rule | Title | Severity")
    assert len(table) == 2 + len(catalog.by_kind("static"))
    assert "[LPI012](notebooks/06_safer_images.ipynb#run-as-a-non-root-user)" in table[2 + 11]
