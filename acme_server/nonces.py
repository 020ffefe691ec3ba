"""Anti-replay nonces (RFC 8555 §6.5): every answer carries a fresh ``Replay-Nonce``; a
signed request must bring one the server handed out and nobody used. A nonce is a row,
deleted by the request that spends it (one DELETE: two requests racing with the same nonce
cannot both see it), and expires unused after RAPORTAL_ACME_NONCE_LIFETIME seconds."""

import datetime as dt
import secrets

from django.conf import settings
from django.utils import timezone

from acme_server.models import AcmeNonce


def new_nonce() -> str:
    value = secrets.token_urlsafe(24)
    lifetime = dt.timedelta(seconds=settings.RAPORTAL_ACME_NONCE_LIFETIME)
    AcmeNonce.objects.create(value=value, expires_at=timezone.now() + lifetime)
    return value


def spend_nonce(value: str) -> bool:
    """Whether ``value`` was a live nonce; it is not any more."""
    if not value or len(value) > 64:
        return False
    deleted, _ = AcmeNonce.objects.filter(value=value, expires_at__gt=timezone.now()).delete()
    return deleted == 1


def purge_expired_nonces() -> int:
    deleted, _ = AcmeNonce.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
