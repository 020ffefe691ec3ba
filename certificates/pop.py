"""Proof of possession: Horizon's ``X-JWT-CERT-POP`` header.

A caller proves that it holds the private key of a certificate in the portal's inventory, and
may then renew, revoke or update that certificate — that one only, and only the workflows its
profile allows by ``selfPopRenew``, ``selfPopRevoke`` and ``selfPopUpdate`` — without an
account. This is how EverTrust's Ansible collection renews or revokes a machine's certificate
with nothing but the certificate and its key.

**The token** is a compact JWS (RFC 7515) carrying JWT claims (RFC 7519):

- ``sub``: the certificate, PEM;
- signed with the certificate's key, by an algorithm that fits the key: RS256/384/512 or
  PS256/384/512 for RSA, ES256 for P-256, ES384 for P-384, ES512 (or "ES521", the name the
  collection uses) for P-521, EdDSA for Ed25519 and Ed448. Never ``none``, never an HMAC;
- fresh, one of two ways: ``iat`` and ``exp`` (NumericDate) at most ``MAX_LIFETIME`` apart
  with now in ``[iat - LEEWAY, exp + LEEWAY]``; or a ``nonce`` this portal issued less than
  ``NONCE_LIFETIME`` ago, whatever the caller's clock says;
- used once: a digest of what the key signed (the JWS header and payload — not the signature,
  which anyone can re-randomize for an ECDSA token without the key), or of the certificate's
  thumbprint and ``jti`` when the token has one, is recorded until the token would be stale
  anyway; a nonce is recorded when used, so it is single-use too. The record is a row of
  ``raportal.models.SpentToken`` (insert-or-fail on its primary key), seen by every worker and
  every server; the hourly housekeeping deletes expired rows. Two tokens with the same claims
  signed in the same second are one token: a client that needs two calls in a second sets
  ``jti``, or retries with the nonce it is given.

**The certificate** must be in the inventory (by SHA-256 thumbprint), issued by a CA that has a
CA entry trusted for client authentication (``CaEntry.trusted_for_client_authentication``,
Horizon's ``trustedForClientAuthentication``), within its validity, and not revoked.

**Refusals** are problems (application/problem+json): a malformed token, an algorithm that
does not fit the key, a signature that does not verify → 400 SEC-AUTH-010 "Invalid Jwt
Token"; a certificate the portal does not know, or whose CA is not trusted for client
authentication → 403 SEC-AUTH-003; expired (or not yet valid) → 403 SEC-AUTH-004; revoked →
403 SEC-AUTH-005. A token refused for freshness or replay (too old, from the future, living
longer than ``MAX_LIFETIME``, used already, a nonce forged, expired or used) → 400
SEC-AUTH-010 with a fresh ``Replay-Nonce`` header: the client retries once with that nonce in
its token, which then works even when its clock is off.

**Nonces** are stateless: base64url of 8 bytes of issue time (seconds), 16 random bytes, and
an HMAC-SHA256 of those 24 bytes keyed from ``SECRET_KEY``. Issuing one stores nothing; only
its use is recorded.

**Who the caller is.** The header is read by the submit endpoint (``POST
/api/v1/requests/submit``) only; everywhere else it is ignored, so a proof opens nothing to
read. Without other credentials the caller is a ``PopPrincipal``: no account, named by the
certificate's DN (the request's ``requester``), holding ``perform`` on the proven
certificate for the workflows its profile allows and nothing anywhere else
(profiles/access.py decides). With API credentials (or a browser session) as
well, the account is the caller, and a valid proof adds those same self-PoP rights on the
proven certificate to the account's own; an invalid proof refuses the call.
"""

import base64
import datetime as dt
import hashlib
import math
import os
import struct
import time
from dataclasses import dataclass

import jwt
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework import authentication

from certificates.models import CaEntry, Certificate
from certificates.pki.fingerprints import thumbprint
from certificates.pki.keys import SIGNING_PUBLIC_KEY_CLASSES
from certificates.trust_chain import issued_by
from profiles.access import PROOF_ATTRIBUTE
from raportal.errors import DomainError
from raportal.models import SpentToken

HEADER = "X-JWT-CERT-POP"
META_KEY = "HTTP_X_JWT_CERT_POP"
NONCE_HEADER = "Replay-Nonce"

MAX_LIFETIME = 300  # seconds between iat and exp: the collection signs tokens for 5 s
LEEWAY = 60  # seconds of clock skew tolerated either way
NONCE_LIFETIME = 300  # seconds a nonce stays usable after it was issued
MAX_TOKEN_LENGTH = 16_384  # a certificate with a large key, twice base64-encoded, fits

RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGORITHMS = {
    "secp256r1": ("ES256",),
    "secp384r1": ("ES384",),
    "secp521r1": ("ES512", "ES521"),  # RFC 7518 says ES512; the collection writes ES521
}
EDDSA_ALGORITHMS = ("EdDSA",)

NONCE_SALT = "certificates.pop.nonce"
_NONCE_TIME = struct.Struct(">Q")
_NONCE_RANDOM = 16
_NONCE_MAC = 32
_NONCE_LENGTH = _NONCE_TIME.size + _NONCE_RANDOM + _NONCE_MAC


# --- what a verified token gives -----------------------------------------------------------


@dataclass(frozen=True)
class PopProof:
    """A verified proof: the inventory row of the certificate whose key signed the token."""

    certificate: Certificate


class PopPrincipal:
    """The caller of a request authenticated by proof of possession alone. It has no account:
    no grants, no teams, nothing it owns; its one right is what the proven certificate's
    profile grants to proofs (profiles/access.py). Named by the certificate's DN,
    as Horizon names certificate-authenticated principals by default."""

    pk = None
    id = None
    is_authenticated = True  # the proof authenticates this one call (DRF's IsAuthenticated)
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, proof: PopProof):
        self.pop_proof = proof

    @property
    def identifier(self) -> str:
        return self.pop_proof.certificate.dn

    def get_username(self) -> str:
        return self.identifier

    @property
    def audit_principal(self) -> dict:
        """Who acted, for audit events (raportal.models.record): no account to point at."""
        certificate = self.pop_proof.certificate
        return {
            "principal": self.identifier,
            "authentication": "proof of possession",
            "proofCertificate": certificate.serial,
        }

    def __str__(self) -> str:
        return f"{self.identifier} (proof of possession)"


def proof_of(principal) -> PopProof | None:
    """The proof of possession the caller brought with this request, if any (the access
    policy reads the same attribute: profiles/access.py ``proven_certificate_id``)."""
    return getattr(principal, PROOF_ATTRIBUTE, None)


# --- refusals ------------------------------------------------------------------------------


def invalid(detail: str) -> DomainError:
    return DomainError("SEC-AUTH-010", f"{HEADER}: {detail}")


def stale(detail: str) -> DomainError:
    """A refusal the caller can recover from by retrying with the fresh nonce it carries."""
    return DomainError(
        "SEC-AUTH-010",
        f"{HEADER}: {detail}; retry with a new token whose nonce is the {NONCE_HEADER} header "
        "of this answer",
        headers={NONCE_HEADER: new_nonce(), "Cache-Control": "no-store"},
    )


# --- nonces --------------------------------------------------------------------------------


def _nonce_mac(body: bytes) -> bytes:
    return salted_hmac(NONCE_SALT, body, algorithm="sha256").digest()


def new_nonce(now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    body = _NONCE_TIME.pack(issued) + os.urandom(_NONCE_RANDOM)
    return base64.urlsafe_b64encode(body + _nonce_mac(body)).rstrip(b"=").decode()


def nonce_bytes(nonce) -> bytes | None:
    """The nonce's bytes when this portal issued it (its MAC checks), else None."""
    if not isinstance(nonce, str) or len(nonce) > 2 * _NONCE_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != _NONCE_LENGTH:
        return None
    body, mac = raw[:-_NONCE_MAC], raw[-_NONCE_MAC:]
    return raw if constant_time_compare(mac, _nonce_mac(body)) else None


def nonce_expiry(raw: bytes) -> float:
    (issued,) = _NONCE_TIME.unpack(raw[: _NONCE_TIME.size])
    return issued + NONCE_LIFETIME


# --- verification ----------------------------------------------------------------------------


def algorithms_for(public_key) -> tuple[str, ...]:
    """The JWS algorithms a key of this kind signs with (RFC 7518 §3, RFC 8037)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return RSA_ALGORITHMS
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return EC_ALGORITHMS.get(public_key.curve.name, ())
    if isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return EDDSA_ALGORITHMS
    return ()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _numeric_date(claims: dict, name: str) -> float | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _signed_certificate(token: str) -> tuple[x509.Certificate, dict]:
    """The certificate in ``sub`` and the claims, once the signature verifies with its key."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise invalid("not a compact JWS (header.payload.signature)")
    try:
        unverified = jwt.decode_complete(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise invalid(f"not a readable JWT ({exc})") from None
    subject = unverified["payload"].get("sub")
    if not isinstance(subject, str) or "-----BEGIN CERTIFICATE-----" not in subject:
        raise invalid("sub must be the certificate, PEM")
    try:
        certificate = x509.load_pem_x509_certificate(subject.strip().encode())
        public_key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise invalid("sub does not hold a usable X.509 certificate") from None
    allowed = algorithms_for(public_key)
    algorithm = unverified["header"].get("alg")
    if algorithm not in allowed:
        raise invalid(
            f"alg {algorithm!r} does not fit the certificate's key "
            f"(expected {' or '.join(allowed) or 'a supported key'})"
        )
    if not isinstance(public_key, SIGNING_PUBLIC_KEY_CLASSES):  # algorithms_for gave none
        raise invalid("the certificate's key does not sign")
    try:
        claims = jwt.decode(
            token,
            key=public_key,
            algorithms=[algorithm],
            # Freshness is checked below, with a nonce as the alternative to the clock.
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidSignatureError:
        raise invalid("the signature does not verify with the certificate's key") from None
    except jwt.PyJWTError as exc:
        raise invalid(f"the token does not verify ({exc})") from None
    return certificate, claims


def _trusted(row: Certificate, certificate: x509.Certificate) -> bool:
    """Issued by a CA whose CA entry is trusted for client authentication: the CA that issued
    it here, or (an imported certificate) the entry's CA whose key signed it."""
    entries = CaEntry.objects.trusted_for_client_authentication()
    if row.ca_id is not None and entries.filter(authority_id=row.ca_id).exists():
        return True
    for entry in entries.select_related("authority"):
        authority = entry.authority.certificate
        if authority.subject == certificate.issuer and issued_by(certificate, authority):
            return True
    return False


def _known_certificate(certificate: x509.Certificate, now: dt.datetime) -> Certificate:
    row = Certificate.objects.filter(thumbprint=thumbprint(certificate)).first()
    if row is None:
        raise DomainError("SEC-AUTH-003", f"{HEADER}: the certificate is not one this portal knows")
    if not _trusted(row, certificate):
        raise DomainError(
            "SEC-AUTH-003",
            f"{HEADER}: the certificate's CA is not trusted for client authentication",
        )
    if row.not_after <= now:
        raise DomainError("SEC-AUTH-004", f"{HEADER}: the certificate expired")
    if row.not_before > now:
        raise DomainError("SEC-AUTH-004", f"{HEADER}: the certificate is not valid yet")
    if row.revoked:
        raise DomainError("SEC-AUTH-005", f"{HEADER}: the certificate is revoked")
    return row


def _spend(token: str, claims: dict, row: Certificate, now: float) -> None:
    """Checks freshness (by the clock, or by a nonce) and uses the token (and nonce) up."""
    nonce = claims.get("nonce") or None  # "" is no nonce
    nonce_key = None
    if nonce is not None:
        # The portal's own nonce vouches for freshness: the caller's clock does not matter.
        raw = nonce_bytes(nonce)
        if raw is None:
            raise stale("the nonce is not one this portal issued")
        until = nonce_expiry(raw)
        nonce_key = _digest("pop-nonce", raw.hex())
        if until <= now:
            raise stale(f"the nonce is more than {NONCE_LIFETIME} s old")
    else:
        issued_at, expires = _numeric_date(claims, "iat"), _numeric_date(claims, "exp")
        if issued_at is None or expires is None:
            raise stale("the token needs iat and exp (NumericDate), or a nonce")
        if expires < issued_at:
            raise invalid("exp is before iat")
        if expires - issued_at > MAX_LIFETIME:
            raise stale(f"the token lives {expires - issued_at:.0f} s, more than {MAX_LIFETIME} s")
        if now < issued_at - LEEWAY:
            raise stale("the token was issued in the future: check the clock")
        if now > expires + LEEWAY:
            raise stale("the token expired")
        until = expires + LEEWAY
    jti = claims.get("jti")
    signed = token.rsplit(".", 1)[0]  # header.payload: what the key signed
    key = _digest("pop-jti", row.thumbprint, jti) if jti else _digest("pop-token", signed)
    expiry = dt.datetime.fromtimestamp(until, dt.UTC)
    if not SpentToken.objects.spend(key, expiry):
        raise stale("this token was used already: sign a new one for every call")
    if nonce_key is not None and not SpentToken.objects.spend(nonce_key, expiry):
        raise stale("this nonce was used already")


def verify_token(token: str, now: float | None = None) -> PopProof:
    """The proof a token carries, or a DomainError saying why it is refused (see above).
    Order: the signature first (a caller without the key learns nothing about the
    certificate), then the certificate, then freshness, and only then is the token spent."""
    now = time.time() if now is None else now
    certificate, claims = _signed_certificate(token)
    row = _known_certificate(certificate, dt.datetime.fromtimestamp(now, dt.UTC))
    _spend(token, claims, row, now)
    return PopProof(row)


def request_proof(request) -> PopProof | None:
    """The verified proof of the request's ``X-JWT-CERT-POP`` header, None without one. A
    token is single-use: it is verified once per request and the result kept on it."""
    django_request = getattr(request, "_request", request)
    if not hasattr(django_request, "_raportal_pop_proof"):
        token = django_request.META.get(META_KEY)
        django_request._raportal_pop_proof = verify_token(token.strip()) if token else None
    return django_request._raportal_pop_proof


def with_proof(request):
    """The caller of an API call that accepts proofs: the account that other credentials
    identified, carrying the verified proof if the call brought one too; or, with the proof
    alone, its PopPrincipal (set by PopAuthentication)."""
    user = request.user
    proof = request_proof(request)
    if proof is not None and proof_of(user) is None:
        user.pop_proof = proof
    return user


class PopAuthentication(authentication.BaseAuthentication):
    """DRF authentication by ``X-JWT-CERT-POP`` alone. Listed after the API key and session
    authentications of the views that accept proofs: when those identify an account, the
    account is the caller (see ``with_proof``)."""

    def authenticate(self, request):
        proof = request_proof(request)
        if proof is None:
            return None
        return PopPrincipal(proof), proof
