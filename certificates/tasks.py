"""Background tasks about the built-in CAs and the certificates (scheduled in
settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from certificates import expiry_notices, housekeeping, ocsp_responders


@shared_task
def refresh_crls() -> dict[str, int | None]:
    """Regenerates the CRLs that are stale or past half their validity (hourly); the same as
    ``manage.py refresh_crls``."""
    return housekeeping.refresh_crls()


@shared_task
def send_expiry_notices() -> dict[str, int]:
    """Mails the expiry notices due (hourly): one digest per recipient, each notice once; the
    same as ``manage.py send_expiry_notices``."""
    return expiry_notices.send_expiry_notices().as_dict()


@shared_task
def fire_expiry_triggers() -> int:
    """Profiles' onExpire triggers that came due (hourly): once per trigger and certificate."""
    from certificates.expiry_triggers import fire_expiry_triggers as fire

    return fire()


@shared_task
def renew_ocsp_responders() -> dict[str, str | None]:
    """OCSP responder certificates past two thirds of their life, renewed (hourly); each
    CA's current responder serial."""
    return ocsp_responders.renew_due_responders()
