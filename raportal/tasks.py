"""Background tasks of the portal's plumbing (Celery autodiscovers this module)."""

from celery import shared_task

from raportal import auth_alerts, housekeeping


@shared_task
def mail_failure_alert(
    user_id: int, name: str, kind: str, failures: int, window: int, address: str
) -> int:
    """Mails an account's owner that its account-wide failure threshold was crossed."""
    return auth_alerts.send_failure_alert(user_id, name, kind, failures, window, address)


@shared_task
def purge_events() -> int:
    """Deletes audit events past RAPORTAL_EVENT_RETENTION_DAYS behind a sealed checkpoint
    (daily); the same as ``manage.py purge_events``."""
    return housekeeping.purge_events().purged
