"""Checking a signed ACME request (RFC 8555 §6.2-§6.5) with josepy.

Every POST carries a flattened JWS (``application/jose+json``) whose protected header names
``alg``, ``nonce``, ``url`` and exactly one of ``jwk`` (newAccount, revokeCert by certificate
key) or ``kid`` (the account URL, everywhere else). The checks, each answered with the RFC's
error type: the media type, the shape (one signature, no unprotected header), the algorithm
(asymmetric only: badSignatureAlgorithm with the list we accept), the ``url`` against the URL
requested (unauthorized), the account behind ``kid`` (accountDoesNotExist; a deactivated one is
unauthorized), the signature (malformed, as §6.2 says), and then the nonce (badNonce), spent
only by a request whose signature holds, so a forged request cannot burn nonces.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, cast

from django.http import HttpRequest
from josepy.errors import DeserializationError
from josepy.errors import Error as JoseError
from josepy.jwk import JWK
from josepy.jws import JWS

from acme_server.models import AccountStatus, AcmeAccount
from acme_server.nonces import spend_nonce
from acme_server.problems import AcmeProblem
from acme_server.urls_of import account_id_from_url
from profiles.models import Profile

MEDIA_TYPE = "application/jose+json"
MAX_BODY_BYTES = 64 * 1024  # a CSR of an RSA 8192 key inside a JWS is under 10 KiB
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


@dataclass
class Signed:
    """A checked request: its payload (None for POST-as-GET, §6.3), header and key."""

    payload: dict[str, Any] | None
    protected: dict[str, Any]
    key: JWK
    account: AcmeAccount | None
    raw_payload: bytes


def b64url_decode(text: Any) -> bytes:
    if not isinstance(text, str) or "=" in text:
        raise ValueError("not base64url without padding")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_from_json(value: Any) -> JWK:
    """A JWK from its JSON (josepy types the answer as its JSON base class)."""
    return cast(JWK, JWK.from_json(value))


def thumbprint(key: JWK) -> str:
    """RFC 7638 SHA-256 thumbprint of a JWK, base64url (the key authorization's second part,
    RFC 8555 §8.1)."""
    return b64url_encode(key.thumbprint())


def parse_flattened(body: bytes) -> tuple[dict[str, Any], JWS]:
    """The protected header and the josepy JWS of a flattened JWS body."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise AcmeProblem("malformed", "the body is not JSON") from None
    if not isinstance(document, dict) or set(document) != {"protected", "payload", "signature"}:
        raise AcmeProblem(
            "malformed",
            "expected a flattened JWS with protected, payload and signature only (RFC 8555 §6.2)",
        )
    if not all(isinstance(value, str) for value in document.values()):
        raise AcmeProblem("malformed", "the JWS members must be base64url strings")
    try:
        protected = json.loads(b64url_decode(document["protected"]))
        jws = JWS.from_json(document)
    except (ValueError, UnicodeDecodeError, DeserializationError, TypeError, KeyError):
        # josepy raises TypeError/KeyError for header members of the wrong type (an alg
        # that is a list, or null).
        raise AcmeProblem("malformed", "the JWS or its protected header cannot be read") from None
    if not isinstance(protected, dict):
        raise AcmeProblem("malformed", "the protected header is not a JSON object")
    return protected, jws


def read_jwk(value: Any) -> JWK:
    if not isinstance(value, dict):
        raise AcmeProblem("malformed", "jwk must be a JSON object")
    if value.get("kty") == "oct" or "d" in value:
        raise AcmeProblem("badPublicKey", "jwk must be a public key (RSA or EC)")
    try:
        return jwk_from_json(value)
    except (DeserializationError, ValueError, TypeError, KeyError) as exc:
        raise AcmeProblem("badPublicKey", f"the jwk cannot be read: {exc}") from None


def verify_signature(jws: JWS, key: JWK) -> None:
    try:
        valid = jws.verify(key)
    except (JoseError, ValueError, TypeError):
        valid = False
    if not valid:
        raise AcmeProblem("malformed", "the JWS signature does not verify with its key")


def check_request(
    request: HttpRequest, profile: Profile, url: str, *, key_from: str = "kid"
) -> Signed:
    """The checked request for ``url`` (this very endpoint's absolute URL). ``key_from``:
    ``kid`` (an account signs), ``jwk`` (a new key signs) or ``either`` (revokeCert)."""
    content_type = request.content_type or ""
    if content_type != MEDIA_TYPE:
        raise AcmeProblem(
            "malformed", f"Content-Type must be {MEDIA_TYPE} (RFC 8555 §6.2)", status=415
        )
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise AcmeProblem("malformed", "the request is too large", status=413)
    protected, jws = parse_flattened(body)
    alg = protected.get("alg")
    if alg not in ALGORITHMS:
        raise AcmeProblem(
            "badSignatureAlgorithm",
            f"alg {alg!r} is not accepted",
            algorithms=list(ALGORITHMS),
        )
    if protected.get("url") != url:
        raise AcmeProblem(
            "unauthorized", "the JWS url header does not match the URL requested (§6.4)"
        )
    has_jwk, has_kid = "jwk" in protected, "kid" in protected
    if has_jwk == has_kid:
        raise AcmeProblem("malformed", "the protected header needs exactly one of jwk and kid")
    account = None
    if has_kid:
        if key_from == "jwk":
            raise AcmeProblem("malformed", "this request is signed with a jwk, not a kid")
        account = account_of(profile, protected["kid"], request)
        key = jwk_from_json(account.jwk)
    else:
        if key_from == "kid":
            raise AcmeProblem("malformed", "this request is signed by an account: use kid")
        key = read_jwk(protected["jwk"])
    verify_signature(jws, key)
    nonce = protected.get("nonce")
    if not spend_nonce(nonce if isinstance(nonce, str) else ""):
        raise AcmeProblem("badNonce", "the nonce is unknown, spent or expired; use a fresh one")
    raw = jws.payload
    payload: dict[str, Any] | None = None
    if raw != b"":
        try:
            payload = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            raise AcmeProblem("malformed", "the payload is not JSON") from None
        if not isinstance(payload, dict):
            raise AcmeProblem("malformed", "the payload must be a JSON object")
    return Signed(payload, protected, key, account, raw)


def account_of(profile: Profile, kid: Any, request: HttpRequest) -> AcmeAccount:
    """The account a ``kid`` (its URL) names, on this profile."""
    account_id = account_id_from_url(request, profile, kid)
    account = (
        AcmeAccount.objects.filter(pk=account_id, profile=profile)
        .select_related("user", "team", "profile")
        .first()
        if account_id is not None
        else None
    )
    if account is None:
        raise AcmeProblem("accountDoesNotExist", "no account has this kid on this directory")
    if account.status != AccountStatus.VALID:
        # §7.3.6: requests signed by a deactivated account get 401 Unauthorized.
        raise AcmeProblem("unauthorized", f"this account is {account.status}", status=401)
    if account.user is not None and not account.user.is_active:
        # The portal user it acts for was disabled: as their login and API keys, it stops.
        raise AcmeProblem("unauthorized", "the portal user of this account is disabled")
    return account
