"""The course's rules, one per module: ``checker/rules/lpi012.py`` holds LPI012.

Each rule registers itself with :func:`~checker.rules.base.rule`; importing this package's
modules (done on first use, by :func:`all_rules`) registers every rule, so adding a rule never
means editing a list. Helpers shared by several rules live beside them: :mod:`.base` (the
registry and the :class:`Context` a rule reads), :mod:`.facts` (facts about a Dockerfile),
:mod:`.buildkit` (BuildKit-only syntax), :mod:`.context` (the .dockerignore matcher) and
:mod:`.installed` (what a stage's layers keep installed).

Public entry points: :func:`all_rules`, :func:`get_rule`, :class:`Context`, :class:`Flag`,
:class:`Rule`, :func:`rule`.
"""

from __future__ import annotations

import importlib
import pkgutil

from checker.rules.base import REGISTRY, Context, Flag, Rule, rule

_loaded = False


def _load_rules() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True


def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, ordered by id."""
    _load_rules()
    return tuple(REGISTRY[key] for key in sorted(REGISTRY))


def get_rule(rule_id: str) -> Rule:
    """The rule with this id (``LPI012``); raises :class:`KeyError` for an unknown id."""
    _load_rules()
    return REGISTRY[rule_id]


__all__ = ["Context", "Flag", "Rule", "all_rules", "get_rule", "rule"]
