"""The probes that run beside the main thread: always joined, stopped on demand, errors surfaced (pure)."""

from __future__ import annotations

import threading

import pytest

from checker.grading import pipeline


def test_stop_sets_cancel_calls_the_registered_aborts_and_the_thread_ends():
    aborted = []

    def work(task):
        task.aborts.append(lambda: aborted.append(True))
        task.cancel.wait(30)
        return "stopped" if task.cancel.is_set() else "ran out"

    task = pipeline._Background("waits", work)
    while not task.aborts:
        threading.Event().wait(0.01)
    task.stop()
    assert task.join() == "stopped" and aborted == [True]
    assert not task.thread.is_alive()


def test_what_the_work_raises_is_raised_again_by_join_in_the_joining_thread():
    def work(task):
        raise LookupError("a bug in a probe")

    task = pipeline._Background("fails", work)
    with pytest.raises(LookupError, match="a bug in a probe"):
        task.join()


def test_an_abort_that_fails_does_not_keep_the_others_from_running():
    calls = []

    def work(task):
        task.aborts.extend([lambda: 1 / 0, lambda: calls.append("second")])
        task.cancel.wait(30)

    task = pipeline._Background("aborts", work)
    while len(task.aborts) < 2:
        threading.Event().wait(0.01)
    task.stop()
    task.join()
    assert calls == ["second"]
