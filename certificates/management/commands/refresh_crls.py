"""Regenerates the CRLs that are stale or past half their validity (the Celery beat schedule
runs the same every hour: certificates.tasks.refresh_crls)."""

from django.core.management.base import BaseCommand, CommandError

from certificates.housekeeping import refresh_crls


class Command(BaseCommand):
    help = "Regenerate every CA's CRL that is stale (after a revocation) or past half its validity."

    def handle(self, *args, **options):
        numbers = refresh_crls()
        for name, number in numbers.items():
            self.stdout.write(f"{name}: CRL #{number}" if number is not None else f"{name}: FAILED")
        if None in numbers.values():
            raise CommandError("some CRLs could not be refreshed (see the log)")
