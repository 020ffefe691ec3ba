"""ACME (RFC 8555) state: accounts, their External Account Binding keys, orders,
authorizations, challenges and nonces.

An account lives on one ACME profile (its directory is the profile's) and acts for a portal
principal: the user or team of the EAB key it was created with, or nobody (an *unbound*
account, where the profile lets such accounts order: Profile.acme_unbound_level). An order
becomes a portal request when it is finalized (acme_server/orders.py): the request's lifecycle —
grants, approval, holder limits, issuance — is the portal's, the order only mirrors it.
"""

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from profiles.models import Profile, Team


def random_token() -> str:
    """128 bits, base64url without padding (RFC 8555 §8.1: tokens of at least 128 bits)."""
    return secrets.token_urlsafe(16)


class AccountStatus(models.TextChoices):
    VALID = "valid"
    DEACTIVATED = "deactivated"
    REVOKED = "revoked"


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    READY = "ready"
    PROCESSING = "processing"
    VALID = "valid"
    INVALID = "invalid"


class AuthorizationStatus(models.TextChoices):
    PENDING = "pending"
    VALID = "valid"
    INVALID = "invalid"
    DEACTIVATED = "deactivated"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ChallengeStatus(models.TextChoices):
    PENDING = "pending"
    PROCESSING = "processing"
    VALID = "valid"
    INVALID = "invalid"


class ExternalAccountKey(models.Model):
    """An External Account Binding key (RFC 8555 §7.3.4): a key identifier and an HMAC key,
    made in the portal for a user or a team on one ACME profile and shown once; it binds one
    ACME account, which then acts as that user or team."""

    kid = models.CharField(max_length=64, unique=True, default=random_token)
    sealed_hmac_key = models.BinaryField(editable=False)
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="acme_eab_keys")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="acme_eab_keys",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="acme_eab_keys"
    )
    comment = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) ^ models.Q(team__isnull=True),
                name="acme_eab_for_user_or_team",
            )
        ]

    def __str__(self) -> str:
        return self.kid

    @property
    def holder_name(self) -> str:
        if self.team_id is not None:
            return f"team {self.team}"
        return f"user {self.user}"


class AccountQuerySet(models.QuerySet["AcmeAccount"]):
    def valid(self) -> "AccountQuerySet":
        return self.filter(status=AccountStatus.VALID)


class AcmeAccount(models.Model):
    """An ACME account (§7.1.2): a public key (JWK) on one profile's directory."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="acme_accounts")
    # RFC 7638 thumbprint (SHA-256, base64url) of the account key: how newAccount finds it.
    thumbprint = models.CharField(max_length=64)
    jwk = models.JSONField()
    status = models.CharField(
        max_length=16, choices=AccountStatus.choices, default=AccountStatus.VALID
    )
    contact = models.JSONField(default=list, blank=True)
    terms_agreed = models.BooleanField(default=False)
    eab_key = models.OneToOneField(
        ExternalAccountKey,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account",
    )
    # The principal the account acts for (copied from the EAB key when it binds). Deleting
    # the user or team deletes the account: set to nothing, it would become an unbound
    # account, with the rights of those (Profile.acme_unbound_level).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="acme_accounts",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="acme_accounts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_from = models.GenericIPAddressField(null=True, blank=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "thumbprint"], name="acme_one_account_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"ACME account {self.pk} on {self.profile.name}"

    @property
    def bound(self) -> bool:
        return self.user_id is not None or self.team_id is not None


class AcmeOrder(models.Model):
    """An order (§7.1.3). Once finalized it points at the portal request it became, whose
    outcome it mirrors (acme_server/orders.py refresh_order)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(AcmeAccount, on_delete=models.CASCADE, related_name="orders")
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    identifiers = models.JSONField()  # [{"type": "dns", "value": "…"}], as ordered
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    error = models.JSONField(null=True, blank=True)
    request = models.OneToOneField(
        "requests_app.Request",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="acme_order",
    )
    certificate = models.ForeignKey(
        "certificates.Certificate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="acme_orders",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ACME order {self.pk}"

    def names(self) -> list[str]:
        return [identifier["value"] for identifier in self.identifiers]


class AcmeAuthorization(models.Model):
    """An authorization (§7.1.4) of one identifier for one order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(AcmeOrder, on_delete=models.CASCADE, related_name="authorizations")
    identifier_type = models.CharField(max_length=8, default="dns")
    identifier_value = models.CharField(max_length=253)
    wildcard = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16,
        choices=AuthorizationStatus.choices,
        default=AuthorizationStatus.PENDING,
    )
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["identifier_value"]

    def __str__(self) -> str:
        return f"authorization of {self.identifier_value}"

    def identifier(self) -> dict[str, Any]:
        return {"type": self.identifier_type, "value": self.identifier_value}


class AcmeChallenge(models.Model):
    """A challenge (§7.1.5, §8) of an authorization. Validation attempts run in the
    background (acme_server/validation_jobs.py): ``next_attempt_at`` says when the next is due."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authorization = models.ForeignKey(
        AcmeAuthorization, on_delete=models.CASCADE, related_name="challenges"
    )
    type = models.CharField(max_length=16)
    token = models.CharField(max_length=64, default=random_token)
    status = models.CharField(
        max_length=16, choices=ChallengeStatus.choices, default=ChallengeStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["type"]

    def __str__(self) -> str:
        return f"{self.type} challenge"


class AcmeNonce(models.Model):
    """A nonce handed out in ``Replay-Nonce`` (§7.2): each is accepted once, until it
    expires."""

    value = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return "nonce"
