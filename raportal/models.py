"""Core models: API credentials and the audit log."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone


def hash_api_key(key: str) -> str:
    # API keys are 256-bit random strings: a single SHA-256 is enough to keep them useless if
    # the table leaks, and costs microseconds instead of a password hash's ~300 ms per call.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiCredentialQuerySet(models.QuerySet):
    def active(self):
        """Keys that authenticate now: enabled, of an active account, not expired."""
        return self.filter(enabled=True, user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ApiCredential(models.Model):
    """An ``X-API-ID`` / ``X-API-KEY`` pair acting as one user. The key is stored hashed and
    shown once, when it is created."""

    api_id = models.CharField("API ID", max_length=150, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_credentials"
    )
    description = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: the key does not expire."
    )

    objects = ApiCredentialQuerySet.as_manager()

    class Meta:
        verbose_name = "API credential"

    def __str__(self) -> str:
        return f"{self.api_id} → {self.user}"

    def set_key(self, key: str | None = None) -> str:
        """Sets a new key (random unless given) and returns it; only its hash is kept."""
        key = key or secrets.token_urlsafe(32)
        self.key_hash = hash_api_key(key)
        return key

    def check_key(self, key: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_api_key(key))


class AuditEvent(models.Model):
    """Who did what to which object. Written in the same transaction as the change itself,
    so the log never claims something that was rolled back."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.object_type}"


def record(actor, action: str, obj, **detail) -> AuditEvent:
    """Appends an audit event. ``detail`` must never contain a secret.

    An actor without an account (a caller who proved possession of a certificate's key,
    certificates/pop.py) is named in the detail by its ``audit_principal`` instead."""
    account = actor if getattr(actor, "pk", None) else None
    if account is None and getattr(actor, "audit_principal", None):
        detail = {**actor.audit_principal, **detail}
    return AuditEvent.objects.create(
        actor=account,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        detail=detail,
    )


class PageVisit(models.Model):
    """When a user last opened a page, for "new since your last visit" marks (the requester's
    list shows the decisions made since)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.CharField(max_length=32)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "page"], name="uniq_page_visit")]

    def __str__(self) -> str:
        return f"{self.user} saw {self.page} at {self.seen_at:%Y-%m-%d %H:%M}"

    @classmethod
    def previous(cls, user, page: str, *, mark_at=None):
        """The time of the previous visit (None before the first); with ``mark_at``, records
        this visit too."""
        visit = cls.objects.filter(user=user, page=page).first()
        if mark_at is not None and visit is not None:
            cls.objects.filter(pk=visit.pk).update(seen_at=mark_at)
        elif mark_at is not None:
            cls.objects.get_or_create(user=user, page=page, defaults={"seen_at": mark_at})
        return visit.seen_at if visit else None


class SpentTokenQuerySet(models.QuerySet):
    def spend(self, digest: str, until) -> bool:
        """Marks a single-use value (by its digest) as used until ``until``: True the first
        time, False ever after. Insert-or-fail on the primary key, so every worker and every
        server sees it, and of two concurrent uses exactly one succeeds."""
        try:
            with transaction.atomic():  # a savepoint when the caller holds a transaction
                self.create(digest=digest, expires_at=until)
        except IntegrityError:
            return False
        return True

    def purge(self, now=None) -> int:
        """Forgets values past their expiry: they are refused as stale by then anyway."""
        deleted, _ = self.filter(expires_at__lte=now or timezone.now()).delete()
        return deleted


class SpentToken(models.Model):
    """A single-use credential that was used: a proof-of-possession token or a nonce the
    portal issued (certificates/pop.py). Only a digest is kept, and only until the credential
    would be refused as stale anyway; the hourly housekeeping deletes older rows."""

    digest = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = SpentTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.digest[:12]}… until {self.expires_at:%Y-%m-%d %H:%M:%S}"
