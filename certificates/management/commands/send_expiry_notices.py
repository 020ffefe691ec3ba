"""Mails the expiry notices due: one digest per recipient, each (certificate, threshold) once,
even run twice or beside the hourly Celery beat task (certificates.tasks.send_expiry_notices).
Without a Celery worker and scheduler, run this hourly (cron, systemd timer)."""

from django.core.management.base import BaseCommand, CommandError

from certificates.expiry_notices import send_expiry_notices


class Command(BaseCommand):
    help = "Mail the certificate expiry notices that are due (once per threshold, as digests)."

    def handle(self, *args, **options):
        summary = send_expiry_notices()
        self.stdout.write(
            f"{summary.sent} notice(s) sent in {summary.mails} mail(s), "
            f"{summary.failed} failed (retried at the next run), "
            f"{summary.skipped} distant threshold(s) skipped"
        )
        if summary.mail_failures:
            raise CommandError(f"{summary.mail_failures} mail(s) could not be sent (see the log)")
