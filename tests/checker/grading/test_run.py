"""A grading run's names, and SIGTERM turned into KeyboardInterrupt so clean-up runs."""

from __future__ import annotations

import os
import signal

import pytest

from checker.grading import interruptible, new_run_id, repository_for


def test_a_run_id_becomes_a_valid_repository_name():
    assert repository_for("class-20260101T000000-abc-Ada Lovelace") == "lpi-grade/class-20260101t000000-abc-ada-lovelace"
    assert repository_for("///") == "lpi-grade/run"


def test_a_given_run_id_is_kept_safe_and_a_missing_one_is_fresh(monkeypatch):
    monkeypatch.setenv("LPI_RUN_ID", "class-1-ada lovelace/x")
    assert new_run_id() == "class-1-ada-lovelace-x"
    monkeypatch.delenv("LPI_RUN_ID")
    assert new_run_id() != new_run_id()


def test_when_sigterm_arrives_inside_then_it_is_a_keyboard_interrupt_and_the_handler_is_restored():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with interruptible():
            os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


def test_build_slots_let_no_more_builds_run_at_once_than_there_are_slots(tmp_path, monkeypatch):
    import threading
    import time

    from checker.grading.run import ENV_BUILD_SLOTS, ENV_BUILD_SLOTS_DIR, build_slot

    monkeypatch.setenv(ENV_BUILD_SLOTS_DIR, str(tmp_path))
    monkeypatch.setenv(ENV_BUILD_SLOTS, "2")
    inside, most = [0], [0]
    lock = threading.Lock()

    def build() -> None:
        with build_slot(poll_s=0.01):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.1)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=build) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 2


def test_without_build_slots_a_build_starts_at_once(monkeypatch):
    from checker.grading.run import ENV_BUILD_SLOTS_DIR, build_slot

    monkeypatch.delenv(ENV_BUILD_SLOTS_DIR, raising=False)
    with build_slot():
        pass
