"""Background tasks of the ACME server (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from acme_server import validation_jobs
from acme_server.nonces import purge_expired_nonces


@shared_task
def validate_challenge(challenge_id: str) -> str | None:
    """One validation attempt (queued when the client responds, and for each retry)."""
    return validation_jobs.attempt(challenge_id)


@shared_task
def validate_due_challenges() -> int:
    """Attempts a lost task or a dead worker left due (each minute)."""
    return validation_jobs.validate_due()


@shared_task
def purge_acme_nonces() -> int:
    """Nonces handed out and never used (hourly)."""
    return purge_expired_nonces()
