"""Background tasks about requests. Each one calls the function the management commands and
the services use (one implementation): ``requests_app.housekeeping`` for expiry and
retention, ``requests_app.notifications`` for mail. Periodic ones are scheduled in
settings.CELERY_BEAT_SCHEDULE."""

from celery import shared_task

from requests_app import housekeeping, notifications


@shared_task
def expire_requests() -> int:
    """Wipes the secrets of pending requests past their expiration date (hourly), and
    forgets the spent proof-of-possession tokens that expired. Returns the requests wiped."""
    housekeeping.purge_spent_tokens()
    return housekeeping.expire_requests()


@shared_task
def purge_requests() -> int:
    """Deletes requests past their removeAt date (daily)."""
    return housekeeping.purge_requests()


@shared_task
def notify_request_pending(request_id: str) -> int:
    """Mails the approvers of a request that waits for a decision."""
    return notifications.send_pending_notice(request_id)


@shared_task
def notify_request_decided(request_id: str) -> int:
    """Mails the requester the decision on their request."""
    return notifications.send_decision_notice(request_id)


@shared_task
def fire_pending_reminders() -> int:
    """Profiles' onPending triggers for requests still waiting (every 10 minutes)."""
    from requests_app.trigger_events import fire_pending_reminders as fire

    return fire()
