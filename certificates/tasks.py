"""Background tasks about the built-in CAs (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from certificates import housekeeping


@shared_task
def refresh_crls() -> dict[str, int | None]:
    """Regenerates the CRLs that are stale or past half their validity (hourly); the same as
    ``manage.py refresh_crls``."""
    return housekeeping.refresh_crls()
