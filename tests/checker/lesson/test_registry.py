"""The one registry the lessons' self-checks and predictions are defined in."""

from __future__ import annotations

import pytest

from checker.lesson.registry import Registry


def test_builders_come_back_by_name_in_order_and_a_taken_or_unknown_name_is_refused_with_the_known_ones():
    things: Registry[str] = Registry("widget")

    @things.register("first")
    def _first(value: int = 1) -> str:
        return f"first {value}"

    things.register("second")(lambda: "second")
    assert things.names() == ["first", "second"]
    assert things.build("first", 3) == "first 3" and things.build("second") == "second"
    with pytest.raises(ValueError, match="two widgets are named 'first'"):
        things.register("first")(lambda: "again")
    with pytest.raises(KeyError, match="no widget named 'third'; there are first, second"):
        things.build("third")
    with pytest.raises(TypeError):
        things.build("second", "unexpected")
