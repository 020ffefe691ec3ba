"""Background tasks of triggers (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from triggers import runner


@shared_task
def run_trigger(run_id: str) -> str | None:
    """One attempt of a trigger run (queued after the event's commit, or for its retry)."""
    return runner.execute(run_id)


@shared_task
def run_due_triggers() -> int:
    """Every due attempt: retries whose time came, runs a broker outage dropped (each
    minute)."""
    return runner.run_due()
