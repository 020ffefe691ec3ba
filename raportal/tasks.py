"""Background tasks of the portal's plumbing (Celery autodiscovers this module)."""

import logging

from celery import shared_task

from raportal import auth_alerts, housekeeping, outbox
from raportal.events import current_anchor

logger = logging.getLogger(__name__)


@shared_task
def mail_failure_alert(
    user_id: int, name: str, kind: str, failures: int, window: int, address: str
) -> int:
    """Mails an account's owner that its account-wide failure threshold was crossed."""
    return auth_alerts.send_failure_alert(user_id, name, kind, failures, window, address)


@shared_task
def run_outbox_message(message_id: int) -> bool | None:
    """Runs one outbox message (sent after its commit, or again by the sweep); None when it
    is not due or another worker has it."""
    return outbox.run_message(message_id)


@shared_task
def sweep_outbox() -> int:
    """Sends again the outbox messages still due a minute after their time (each minute)."""
    return outbox.sweep()


@shared_task
def purge_events() -> int:
    """Deletes audit events past RAPORTAL_EVENT_RETENTION_DAYS behind a sealed checkpoint
    (daily); the same as ``manage.py purge_events``."""
    return housekeeping.purge_events().purged


@shared_task
def log_event_anchor() -> str:
    """Logs the audit chain's head (hourly) as an anchor kept outside the database, wherever
    the logs are shipped: ``manage.py verify_events --expect <anchor>`` then tells whether
    events were wiped or cut off since."""
    anchor = str(current_anchor())
    logger.info("audit chain anchor: %s", anchor)
    return anchor
