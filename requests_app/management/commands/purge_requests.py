"""Housekeeping: deletes requests past their removeAt and wipes the sealed secrets of pending
requests that expired (they can never be approved). With a Celery worker and scheduler
running, the beat schedule does the same (requests_app.tasks.expire_requests hourly,
requests_app.tasks.purge_requests daily); without them, run this daily (cron, systemd timer)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from requests_app.housekeeping import expire_requests, purge_requests, purge_spent_tokens


class Command(BaseCommand):
    help = "Delete requests past their removeAt date; wipe secrets of expired pending requests."

    def handle(self, *args, **options):
        now = timezone.now()
        wiped = expire_requests(now)
        deleted = purge_requests(now)
        forgotten = purge_spent_tokens(now)
        self.stdout.write(
            f"{deleted} request(s) deleted, {wiped} expired request(s) wiped, "
            f"{forgotten} spent proof-of-possession token(s) forgotten"
        )
