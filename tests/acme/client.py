"""A small ACME client over Django's test client, for protocol tests that need to send what
certbot never would: JWS built with josepy and certbot's ``acme.jws``, every field under the
test's control."""

import json
from dataclasses import dataclass, field
from typing import Any

import josepy as jose
from acme import jws as acme_jws
from cryptography.hazmat.primitives.asymmetric import ec

from acme_server.jws import b64url_decode

HOST = "http://testserver"


def new_key() -> jose.JWKEC:
    return jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))


@dataclass
class AcmeClient:
    django_client: Any
    profile: str
    key: jose.JWK = field(default_factory=new_key)
    kid: str | None = None

    def url(self, name: str) -> str:
        return self.directory()[name]

    def directory(self) -> dict[str, Any]:
        response = self.django_client.get(f"/acme/{self.profile}/directory")
        assert response.status_code == 200, response.content
        return response.json()

    def nonce(self) -> str:
        response = self.django_client.head(f"/acme/{self.profile}/new-nonce")
        return response["Replay-Nonce"]

    def jws(
        self,
        url: str,
        payload: Any,
        *,
        key: jose.JWK | None = None,
        kid: str | bool | None = True,
        nonce: str | None = None,
        alg: jose.JWASignature = jose.ES256,
    ) -> bytes:
        """A flattened JWS; ``payload`` None is POST-as-GET; ``kid=False`` signs with a jwk;
        ``nonce=""`` leaves the nonce out (keyChange's inner JWS)."""
        raw = b"" if payload is None else json.dumps(payload).encode()
        use_kid = self.kid if kid is True else (kid or None)
        signed = acme_jws.JWS.sign(
            raw,
            key=key or self.key,
            alg=alg,
            nonce=None if nonce == "" else b64url_decode(nonce or self.nonce()),
            url=url,
            kid=use_kid,
        )
        return signed.json_dumps().encode()

    def post(self, url: str, payload: Any = None, **options: Any):
        body = self.jws(url, payload, **options)
        path = url.removeprefix(HOST)
        return self.django_client.generic("POST", path, body, content_type="application/jose+json")

    def register(self, **payload: Any):
        payload.setdefault("termsOfServiceAgreed", True)
        response = self.post(self.url("newAccount"), payload, kid=False)
        if response.status_code in (200, 201):
            self.kid = response["Location"]
        return response

    def order(self, *names: str):
        identifiers = [{"type": "dns", "value": name} for name in names]
        return self.post(self.url("newOrder"), {"identifiers": identifiers})


def problem_type(response) -> str:
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()["type"].removeprefix("urn:ietf:params:acme:error:")
