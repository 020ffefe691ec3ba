"""Tasks for the outbox's tests: one that notes each run, one that fails a given number of
times first. Module-level (the outbox finds a task by its dotted name)."""

import threading
import time

from celery import shared_task

runs: list[tuple[str, object]] = []
_lock = threading.Lock()
failures_left = {"count": 0}


@shared_task
def note(value: object, pause: float = 0.0) -> None:
    """Notes ``value`` and the thread that ran it."""
    if pause:
        time.sleep(pause)  # long enough for two claimers to overlap
    with _lock:
        runs.append((threading.current_thread().name, value))


@shared_task
def flaky(value: object) -> None:
    """Raises while ``failures_left`` lasts, then notes ``value``."""
    with _lock:
        if failures_left["count"] > 0:
            failures_left["count"] -= 1
            raise ConnectionError("the receiver is away")
        runs.append((threading.current_thread().name, value))
