"""Triggers (what to send, on which event) and their runs (each execution, its retries and its
outcome: a request's or a certificate's ``triggerResults``)."""

import json
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from raportal.crypto import open_sealed, seal


class TriggerType(models.TextChoices):
    EMAIL = "email", "Email"
    REST = "rest", "REST webhook"


class Trigger(models.Model):
    """One notification, in Horizon's shape: an email (EmailNotification) or a sequence of
    HTTP calls (REST). ``definition`` holds the rest of the shape (``emailTemplate`` and its
    attachment flags, or ``sequence``) with every header value replaced by a reference to
    ``sealed_headers``: header values (credentials, tokens) are kept sealed at rest."""

    name = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=8, choices=TriggerType.choices)
    event = models.CharField(max_length=40)
    retries = models.PositiveSmallIntegerField(default=3)
    run_period = models.CharField(max_length=32, blank=True)
    run_on_renewed = models.BooleanField(null=True)
    definition = models.JSONField(default=dict)
    sealed_headers = models.BinaryField(null=True, editable=False)
    # Signs every REST call (X-RAPortal-Signature): the receiver checks body and time with it.
    sealed_signing_secret = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.type}, {self.event})"

    def _context(self, what: str) -> str:
        return f"trigger-{what}:{self.pk}"

    def set_header_values(self, values: list[str]) -> None:
        self.sealed_headers = (
            seal(json.dumps(values).encode(), self._context("headers")) if values else None
        )

    def header_values(self) -> list[str]:
        if not self.sealed_headers:
            return []
        return json.loads(open_sealed(bytes(self.sealed_headers), self._context("headers")))

    def set_signing_secret(self, secret: str) -> None:
        self.sealed_signing_secret = seal(secret.encode(), self._context("signing"))

    def signing_secret(self) -> str | None:
        if not self.sealed_signing_secret:
            return None
        return open_sealed(bytes(self.sealed_signing_secret), self._context("signing")).decode()


class RunStatus(models.TextChoices):
    # Waiting for its first attempt, or for a retry (next_execution_at).
    PENDING = "pending", "Waiting"
    SUCCESS = "success", "Succeeded"
    FAILURE = "failure", "Failed"  # out of retries: an operator may run it again


class TriggerRunQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(status=RunStatus.PENDING, next_execution_at__lte=now or timezone.now())

    def of_request(self, request_id) -> "TriggerRunQuerySet":
        return self.filter(request_id=str(request_id))

    def of_certificate(self, certificate_id) -> "TriggerRunQuerySet":
        return self.filter(certificate_id=str(certificate_id))


class TriggerRun(models.Model):
    """One trigger run for one event on one request and/or certificate. Written in the same
    transaction as the event (a durable outbox: a run is never lost when the process dies
    after commit), executed after commit by the background worker, retried with
    exponential backoff, and shown as a ``triggerResult``.

    ``dictionary`` is the event's data as the templates see it (``request.dn`` …), taken when
    the event happened; it never holds a secret. ``dedupe_key`` makes scheduled events
    (expiry, pending reminders) fire once per period, whatever runs the scan."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trigger = models.ForeignKey(Trigger, null=True, on_delete=models.SET_NULL, related_name="runs")
    name = models.CharField(max_length=100)
    trigger_type = models.CharField(max_length=8, choices=TriggerType.choices)
    event = models.CharField(max_length=40)
    # Requests and certificates are named by id (no foreign key: a request is purged after
    # its retention, and this app sits below the request app).
    request_id = models.CharField(max_length=36, blank=True, db_index=True)
    certificate_id = models.CharField(max_length=36, blank=True, db_index=True)
    dictionary = models.JSONField(default=dict)
    # NULL for events that are not deduplicated (many NULLs may coexist under UNIQUE).
    dedupe_key = models.CharField(max_length=200, null=True, unique=True)  # noqa: DJ001
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    retries_left = models.PositiveSmallIntegerField(default=0)
    next_execution_at = models.DateTimeField(null=True)
    last_execution_at = models.DateTimeField(null=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TriggerRunQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["next_execution_at"],
                condition=Q(status="pending"),
                name="trigger_run_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.event}: {self.status}"
