"""Housekeeping, to run daily (cron, systemd timer): deletes requests past their removeAt and
wipes the sealed secrets of pending requests that expired (they can never be approved)."""

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from requests_app.models import Request, Status


class Command(BaseCommand):
    help = "Delete requests past their removeAt date; wipe secrets of expired pending requests."

    def handle(self, *args, **options):
        now = timezone.now()
        wiped = (
            Request.objects.filter(status=Status.PENDING, expires_at__lte=now)
            .filter(
                Q(sealed_password__isnull=False)
                | Q(sealed_pkcs12__isnull=False)
                | Q(sealed_key__isnull=False)
            )
            .update(sealed_password=None, sealed_pkcs12=None, sealed_key=None)
        )
        deleted, _ = Request.objects.filter(remove_at__lte=now).delete()
        self.stdout.write(f"{deleted} request(s) deleted, {wiped} expired request(s) wiped")
