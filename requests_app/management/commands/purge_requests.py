"""Housekeeping: closes the pending requests past their expiration date (status ``expired``,
their sealed secrets wiped: they can never be approved) and deletes the finished requests
past their removeAt (secrets overwritten first). With a Celery worker and scheduler
running, the beat schedule does the same (requests_app.tasks.expire_requests hourly,
requests_app.tasks.purge_requests daily); without them, run this daily (cron, systemd timer)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from requests_app.housekeeping import expire_requests, purge_requests, purge_spent_tokens


class Command(BaseCommand):
    help = "Expire pending requests past their expiration date; delete finished ones past removeAt."

    def handle(self, *args, **options):
        now = timezone.now()
        expired = expire_requests(now)
        deleted = purge_requests(now)
        forgotten = purge_spent_tokens(now)
        self.stdout.write(
            f"{deleted} request(s) deleted, {expired} pending request(s) expired, "
            f"{forgotten} spent proof-of-possession token(s) forgotten"
        )
