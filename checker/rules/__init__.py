"""The course's rules. Each family module registers its rules with ``@rule``; importing this
package imports every family, so adding a rule never means editing a list.

Public entry points: :func:`all_rules`, :func:`get_rule`, :func:`run_rules`, :class:`Context`.
"""

from __future__ import annotations

import importlib
import pkgutil

from checker.findings import Finding
from checker.rules.base import REGISTRY, Context, Flag, Rule, rule

_loaded = False


def _load_families() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.name != "base" and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True


def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, ordered by id."""
    _load_families()
    return tuple(REGISTRY[key] for key in sorted(REGISTRY))


def get_rule(rule_id: str) -> Rule:
    _load_families()
    return REGISTRY[rule_id]


def run_rules(ctx: Context) -> dict[str, list[Finding]]:
    """Run every rule on one context: ``{rule_id: findings}`` (an empty list means it passed)."""
    return {r.id: r.check(ctx) for r in all_rules()}


__all__ = ["Context", "Flag", "Rule", "all_rules", "get_rule", "rule", "run_rules"]
