"""Background tasks about the built-in CAs (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from certificates import housekeeping


@shared_task
def refresh_crls() -> dict[str, int | None]:
    """Regenerates the CRLs that are stale or past half their validity (hourly); the same as
    ``manage.py refresh_crls``."""
    return housekeeping.refresh_crls()


@shared_task
def fire_expiry_triggers() -> int:
    """Profiles' onExpire triggers that came due (hourly): once per trigger and certificate."""
    from certificates.expiry_triggers import fire_expiry_triggers as fire

    return fire()
