"""External Account Binding keys (RFC 8555 §7.3.4): made in the portal, checked at
newAccount.

An administrator makes a key for a user or a team on one ACME profile (pages and API,
acme_server/eab_pages.py, eab_api.py); the HMAC key is shown once and kept sealed under the
KEK. At newAccount the client's ``externalAccountBinding`` — a JWS over the new account's
public key, MACed with that HMAC key, naming the key's ``kid`` and the newAccount URL — binds
the account to the key's user or team. A key binds one account, once.
"""

import hashlib
import hmac
import json
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from josepy.errors import DeserializationError

from acme_server.jws import (
    b64url_decode,
    b64url_encode,
    jwk_from_json,
    parse_flattened,
    thumbprint,
)
from acme_server.models import ExternalAccountKey
from acme_server.problems import AcmeProblem
from profiles.models import Profile, Team
from raportal.crypto import open_sealed, seal
from raportal.models import record

MAC_ALGORITHMS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _context(kid: str) -> str:
    return f"acme-eab:{kid}"


def create_eab_key(
    *, profile: Profile, user: Any = None, team: Team | None = None, comment: str = "", actor: Any
) -> tuple[ExternalAccountKey, str]:
    """A new key for ``user`` or ``team`` on ``profile``; returns it and the HMAC key
    (base64url), which nobody can read again."""
    if (user is None) == (team is None):
        raise ValueError("an EAB key is made for a user or for a team")
    hmac_key = secrets.token_bytes(32)
    with transaction.atomic():
        key = ExternalAccountKey(profile=profile, user=user, team=team, comment=comment[:200])
        key.sealed_hmac_key = seal(hmac_key, _context(key.kid))
        key.created_by = actor if getattr(actor, "pk", None) else None
        key.save()
        record(actor, "acme.eab.create", key, profile=profile.name, holder=key.holder_name)
    return key, b64url_encode(hmac_key)


def delete_eab_key(key: ExternalAccountKey, *, actor: Any) -> None:
    """Withdraws a key: an account it already bound keeps its binding (deactivate the
    account to stop it)."""
    with transaction.atomic():
        kid, profile, pk = key.kid, key.profile.name, key.pk
        key.delete()
        key.pk = pk  # delete() forgets it; the audit event names the row that was deleted
        record(actor, "acme.eab.delete", key, kid=kid, profile=profile)


def verify_binding(
    profile: Profile, binding: Any, account_jwk: dict[str, Any], new_account_url: str
) -> ExternalAccountKey:
    """The unused key the binding JWS proves (locked: the caller binds it in the same
    transaction). AcmeProblem when it does not."""
    if not isinstance(binding, dict):
        raise AcmeProblem("malformed", "externalAccountBinding must be a flattened JWS")
    protected, _ = parse_flattened(json.dumps(binding).encode())
    if set(protected) - {"alg", "kid", "url"} or "nonce" in protected:
        raise AcmeProblem("malformed", "the binding's header carries alg, kid and url only")
    algorithm = MAC_ALGORITHMS.get(str(protected.get("alg")))
    if algorithm is None:
        raise AcmeProblem(
            "badSignatureAlgorithm",
            "the binding must be MACed with HS256, HS384 or HS512",
            algorithms=list(MAC_ALGORITHMS),
        )
    if protected.get("url") != new_account_url:
        raise AcmeProblem("unauthorized", "the binding's url is not this newAccount URL")
    kid = protected.get("kid")
    key = (
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins to the
        # key's user and team; the key row is what must be locked.
        ExternalAccountKey.objects.select_for_update(of=("self",))
        .filter(kid=kid, profile=profile)
        .select_related("user", "team")
        .first()
        if isinstance(kid, str)
        else None
    )
    if key is None:
        raise AcmeProblem("unauthorized", "no External Account Binding key has this kid here")
    if key.used_at is not None:
        raise AcmeProblem("unauthorized", "this External Account Binding key is already bound")
    if key.user is not None and not key.user.is_active:
        raise AcmeProblem("unauthorized", "this key's portal user is disabled")
    hmac_key = open_sealed(bytes(key.sealed_hmac_key), _context(key.kid))
    signing_input = f"{binding['protected']}.{binding['payload']}".encode()
    expected = hmac.new(hmac_key, signing_input, algorithm).digest()
    try:
        signature = b64url_decode(binding["signature"])
        payload = json.loads(b64url_decode(binding["payload"]))
    except ValueError:
        raise AcmeProblem(
            "malformed", "the binding's payload or signature is not base64url"
        ) from None
    if not hmac.compare_digest(expected, signature):
        raise AcmeProblem("unauthorized", "the External Account Binding's MAC does not verify")
    if _thumb(payload) != _thumb(account_jwk):
        raise AcmeProblem("malformed", "the binding must sign the account's own key (jwk)")
    return key


def _thumb(jwk: Any) -> str:
    try:
        return thumbprint(jwk_from_json(jwk))
    except (DeserializationError, ValueError, TypeError, KeyError):
        raise AcmeProblem("malformed", "the binding's payload is not a JWK") from None


def mark_used(key: ExternalAccountKey) -> None:
    key.used_at = timezone.now()
    key.save(update_fields=["used_at"])
