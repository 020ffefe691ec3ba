"""Purges audit events older than RAPORTAL_EVENT_RETENTION_DAYS (or --days), behind a sealed
checkpoint (raportal/housekeeping.py). With a Celery worker and scheduler running, the beat
schedule does the same daily (raportal.tasks.purge_events); without them, run this daily."""

from django.core.management.base import BaseCommand

from raportal.housekeeping import purge_events


class Command(BaseCommand):
    help = "Delete audit events past the retention, writing a sealed checkpoint first."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            help="Keep this many days (default: RAPORTAL_EVENT_RETENTION_DAYS; 0 keeps all).",
        )

    def handle(self, *args, **options):
        result = purge_events(days=options["days"])
        if result.purged:
            self.stdout.write(
                f"{result.purged} event(s) purged; the chain resumes after sequence "
                f"{result.checkpoint} (checkpoint written)"
            )
        else:
            self.stdout.write("no event to purge")
