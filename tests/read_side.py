"""Helpers for the read-side tests: request rows in any state, issued certificates, and
searches through the API."""

import datetime as dt

from django.utils import timezone

from certificates.pki import names
from certificates.pki.keys import generate_private_key
from certificates.services import issue_certificate
from requests_app.models import Request


def make_request(
    requester,
    profile,
    *,
    status: str = "pending",
    workflow: str = "enroll",
    team=None,
    dn: str = "CN=web.example.com",
    comment: str = "",
    created_at: dt.datetime | None = None,
    expires_in: dt.timedelta = dt.timedelta(days=7),
    certificate=None,
) -> Request:
    """A request row as the lifecycle would leave it (no workflow runs)."""
    created_at = created_at or timezone.now()
    return Request.objects.create(
        module=profile.module,
        workflow=workflow,
        status=status,
        profile=profile,
        requester=requester,
        team=team,
        dn=dn,
        requester_comment=comment,
        created_at=created_at,
        updated_at=created_at,
        expires_at=created_at + expires_in,
        remove_at=created_at + expires_in + dt.timedelta(days=90),
        certificate=certificate,
    )


def make_certificate(
    profile, cn: str = "web.example.com", *, owner=None, team=None, escrow: bool = False
):
    """A certificate signed by the profile's CA, recorded like the enroll workflow does."""
    key = generate_private_key("ec-secp256r1")
    row, _ = issue_certificate(
        profile=profile,
        public_key=key.public_key(),
        subject=names.build_name([("cn.1", cn)]),
        sans=[("DNSNAME", cn)],
        owner=owner,
        team=team,
        private_key_to_escrow=key if escrow else None,
    )
    return row


def search_requests(api, **body) -> tuple[int, dict]:
    return api.post("/api/v1/requests/search", body)


def search_certificates(api, **body) -> tuple[int, dict]:
    return api.post("/api/v1/certificates/search", body)


def ids_of(body: dict) -> set[str]:
    return {item["_id"] for item in body["results"]}
