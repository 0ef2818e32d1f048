"""A named catalogue of builders, filled by a decorator: the lessons' self-checks and predictions.

Each widget a lesson shows by name (``lesson.self_check("using-cache")``, ``lesson.prediction(...)``)
is defined once, out of the learner's sight, by a function registered under that name. This is
the one registry both kinds use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

_T = TypeVar("_T")


class Registry(Generic[_T]):
    """Builders of ``_T`` by name, in the order they were registered (the lessons' order).

    ``kind`` names the things in error messages (``"self-check"``).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._builders: dict[str, Callable[..., _T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
        """A decorator registering a builder as ``name``; raises ``ValueError`` when the name is taken."""
        def register(build: Callable[..., _T]) -> Callable[..., _T]:
            if name in self._builders:
                raise ValueError(f"two {self.kind}s are named {name!r}")
            self._builders[name] = build
            return build

        return register

    def names(self) -> list[str]:
        """Every registered name, in registration order."""
        return list(self._builders)

    def build(self, name: str, *args) -> _T:
        """A fresh ``_T`` from the builder ``name`` called with ``args``.

        Raises ``KeyError`` naming the known ones when ``name`` is not registered (and whatever the
        builder raises, e.g. ``TypeError`` when ``args`` do not fit it).
        """
        try:
            builder = self._builders[name]
        except KeyError:
            raise KeyError(f"no {self.kind} named {name!r}; there are {', '.join(self._builders)}") from None
        return builder(*args)
