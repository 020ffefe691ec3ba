"""Proof-of-possession tokens for the tests, and the fixtures that give a test a certificate
with its key on a profile that allows proofs. Tokens are made with PyJWT the way Horizon's clients
make them: the certificate (PEM) in ``sub``, ``iat``/``exp`` a few seconds apart, an optional
``nonce``, signed with the certificate's key (RS256 for RSA, ES256/ES384/ES521 by curve,
EdDSA). Written here from the header's description (certificates/pop.py), not copied from any
client."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from rest_framework.test import APIClient

from certificates.models import CaEntry
from profiles.models import Profile
from tests.conftest import _json
from tests.factories import make_csr

DEFAULT_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES521"}
CURVE_ORDERS = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
        16,
    ),
}


def algorithm_for(key) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return DEFAULT_ALGORITHMS[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return "EdDSA"
    raise ValueError(f"no JWS algorithm for {type(key).__name__}")


def pop_token(
    certificate_pem: str,
    key,
    *,
    algorithm: str | None = None,
    now: float | None = None,
    lifetime: float = 5,
    nonce: str | None = None,
    **claims,
) -> str:
    """A token proving possession of ``key``, the key of ``certificate_pem``. ``claims`` adds
    or overrides claims (``iat=None`` leaves a claim out)."""
    issued = int(time.time() if now is None else now)
    payload = {"sub": certificate_pem, "iat": issued, "exp": issued + int(lifetime)}
    if nonce is not None:
        payload["nonce"] = nonce
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key, algorithm=algorithm or algorithm_for(key))


def unsigned_token(certificate_pem: str) -> str:
    """``alg: none``: a token anyone can write."""
    issued = int(time.time())
    return jwt.encode(
        {"sub": certificate_pem, "iat": issued, "exp": issued + 5}, None, algorithm="none"
    )


def hmac_token(certificate_pem: str) -> str:
    """HS256 with the certificate itself as the secret: the classic algorithm confusion (a
    verifier that feeds its public "key" to HMAC accepts it). Written by hand: PyJWT rightly
    refuses to make one."""
    issued = int(time.time())
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(
        json.dumps({"sub": certificate_pem, "iat": issued, "exp": issued + 5}).encode()
    )
    signature = hmac.new(
        certificate_pem.encode(), f"{header}.{payload}".encode(), hashlib.sha256
    ).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def malleated(token: str, curve: str = "secp256r1") -> str:
    """The same ECDSA token with its signature's s replaced by n - s: another valid
    signature of the same content, made without the key (ECDSA signatures are malleable)."""
    signed, signature = token.rsplit(".", 1)
    raw = unb64url(signature)
    half = len(raw) // 2
    r, s = int.from_bytes(raw[:half]), int.from_bytes(raw[half:])
    other = CURVE_ORDERS[curve] - s
    der = encode_dss_signature(r, other)
    r2, s2 = decode_dss_signature(der)
    return f"{signed}.{b64url(r2.to_bytes(half) + s2.to_bytes(half))}"


class PopApi:
    """A caller with nothing but proofs of possession (no account), or beside an account's
    API credentials (``headers``). ``.submit`` returns (status, body, response)."""

    def __init__(self, headers: dict | None = None):
        self.client = APIClient()
        self.headers = dict(headers or {})

    def submit(self, body: dict, token: str | None):
        extra = dict(self.headers)
        if token is not None:
            extra["HTTP_X_JWT_CERT_POP"] = token
        response = self.client.post("/api/v1/requests/submit", body, format="json", **extra)
        return response.status_code, _json(response), response

    def get(self, path: str, token: str | None = None):
        extra = dict(self.headers)
        if token is not None:
            extra["HTTP_X_JWT_CERT_POP"] = token
        response = self.client.get(path, **extra)
        return response.status_code, _json(response)


# --- fixtures (import them into a test module by name) ------------------------------------


@pytest.fixture
def pop_profile(profile, pki):
    """The demo-like profile as EverTrust's suite sets its own up: selfPop permissions on,
    certificates renewable at once, any team the policy allows, and its issuing CA listed
    as trusted for client authentication."""
    Profile.objects.filter(pk=profile.pk).update(
        self_pop_renew=True,
        self_pop_revoke=True,
        self_pop_update=True,
        renewal_period_days=400,
        team_members_only=False,
    )
    CaEntry.objects.update_or_create(
        authority=pki["issuing"],
        defaults={"name": pki["issuing"].name, "trusted_for_client_authentication": True},
    )
    profile.refresh_from_db()
    return profile


@pytest.fixture
def held(issue, pop_profile):
    """Issues a certificate from a CSR of ours: (the contract's Certificate, its key)."""

    def make(key_type: str = "ec-secp256r1", cn: str = "host.example.com", **template):
        csr, key = make_csr(key_type, subject=[("cn.1", cn)])
        return issue(cn, csr=csr, **template), key

    return make
