"""``manage.py run_triggers``: what Celery beat does for triggers, for a site without a
broker (cron): records the due onExpire and onPending runs, then runs every due attempt
(retries included). Safe to run often and from several hosts: each run fires once."""

from django.core.management.base import BaseCommand

from certificates.expiry_triggers import fire_expiry_triggers
from requests_app.trigger_events import fire_pending_reminders
from triggers.runner import run_due


class Command(BaseCommand):
    help = "Fire the due expiry and pending triggers and run every due trigger attempt."

    def handle(self, *args, **options):
        expiring = fire_expiry_triggers()
        reminders = fire_pending_reminders()
        attempts = run_due()
        self.stdout.write(
            f"{expiring} expiry run(s) and {reminders} pending reminder(s) recorded; "
            f"{attempts} attempt(s) made"
        )
