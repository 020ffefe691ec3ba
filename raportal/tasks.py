"""Background tasks of the portal's plumbing (Celery autodiscovers this module)."""

from celery import shared_task

from raportal import auth_alerts


@shared_task
def mail_failure_alert(
    user_id: int, name: str, kind: str, failures: int, window: int, address: str
) -> int:
    """Mails an account's owner that its account-wide failure threshold was crossed."""
    return auth_alerts.send_failure_alert(user_id, name, kind, failures, window, address)
