"""Probe results kept by what determines them (pure: no engine)."""

from __future__ import annotations

import pytest

from checker.grading import facts


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    facts.forget_memory()
    yield tmp_path
    facts.forget_memory()


def test_a_result_is_computed_once_for_the_same_parts_and_again_for_other_parts():
    calls = []
    compute = lambda: calls.append(1) or {"bytes": len(calls)}

    first, reused_first = facts.remembered("filesystem", ("chain-a", "/usr/bin"), compute, budget_bytes=10**6)
    facts.forget_memory()  # the next process: only the disk copy is left
    second, reused_second = facts.remembered("filesystem", ("chain-a", "/usr/bin"), compute, budget_bytes=10**6)
    other, reused_other = facts.remembered("filesystem", ("chain-b", "/usr/bin"), compute, budget_bytes=10**6)

    assert (first, second, other) == ({"bytes": 1}, {"bytes": 1}, {"bytes": 2})
    assert (reused_first, reused_second, reused_other) == (False, True, False)


def test_a_result_judged_not_worth_keeping_is_computed_again_next_time():
    calls = []
    for _ in range(2):
        facts.remembered("runtime", ("chain",), lambda: calls.append(1) or "timed out", keep_if=lambda v: False,
                         budget_bytes=10**6)
    assert len(calls) == 2


def test_what_compute_raises_goes_up_and_nothing_is_kept():
    def broken():
        raise RuntimeError("engine hiccup")

    with pytest.raises(RuntimeError):
        facts.remembered("runtime", ("chain",), broken, budget_bytes=10**6)
    assert facts.remembered("runtime", ("chain",), lambda: "fine", budget_bytes=10**6) == ("fine", False)


def test_the_probes_code_is_part_of_the_key():
    import checker.grading.cache_probe as one
    import checker.grading.run as other

    assert facts.code_digest(one) != facts.code_digest(other)
    assert facts.key("k", facts.code_digest(one)) != facts.key("k", facts.code_digest(other))


def test_the_kept_results_stay_within_their_budget(cache_home):
    for number in range(8):
        facts.remembered("filesystem", (number,), lambda: "x" * 200, budget_bytes=700)
    kept = list((cache_home / "lean-python-images" / "facts" / "filesystem").iterdir())
    assert 0 < len(kept) < 8 and sum(path.stat().st_size for path in kept) <= 700


def test_a_damaged_kept_result_is_recomputed_not_a_crash(cache_home):
    facts.remembered("filesystem", ("chain",), lambda: "good", budget_bytes=10**6)
    for path in (cache_home / "lean-python-images" / "facts" / "filesystem").iterdir():
        path.write_bytes(b"not a pickle")
    facts.forget_memory()
    assert facts.remembered("filesystem", ("chain",), lambda: "again", budget_bytes=10**6) == ("again", False)
