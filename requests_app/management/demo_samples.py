"""Sample certificates and requests for the demo (manage.py seed_demo), so that the home
dashboard has something to chart for each account: certificates expiring within a week, a
month, three months and later, on each protocol's profile; requests waiting for approval
for some hours or days; requests approved and denied over the last days.

Every sample is found again by its name (``*.sample.example``) and made only when absent:
running seed_demo again changes nothing. Certificates are signed now, by the profile's CA,
with a lifetime chosen per sample (the demo's CA is new: nothing can predate it). Requests go
through the request services, then their dates are moved back to give them an age."""

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.auth.models import User
from django.utils import timezone

from certificates.ca_keys import ca_private_key
from certificates.models import Certificate
from certificates.pki import names, signing
from certificates.pki.keys import generate_private_key
from certificates.services import record_certificate, revoke_certificate
from profiles.models import Profile, Team
from raportal.models import record
from requests_app import services
from requests_app.models import Request
from requests_app.workflows import handler_for

DOMAIN = "sample.example"
DAY = dt.timedelta(days=1)

# name, profile, owner (a demo account or None), shared with the demo team, lifetime in days,
# revoked
CERTIFICATES: list[tuple[str, str, str | None, bool, int, bool]] = [
    ("api", "webra-demo", "requester", False, 5, False),
    ("intranet", "webra-demo", "requester", True, 21, False),
    ("mail", "webra-renewable", "requester", False, 20, False),
    ("vpn", "webra-demo", "requester", True, 60, False),
    ("shop", "webra-demo", "requester", False, 365, False),
    ("old-shop", "webra-demo", "requester", False, 365, True),
    ("build", "webra-demo", "approver", True, 45, False),
    ("printer-1", "est-demo", None, True, 365, False),
    ("camera-2", "est-demo", None, True, 12, False),
    ("router-1", "scep-demo", None, True, 80, False),
    ("www", "acme-demo", None, False, 90, False),
    ("blog", "acme-demo", None, False, 30, False),
]

# name, profile, age (how long it has waited, in hours)
PENDING: list[tuple[str, str, int]] = [
    ("new-app", "webra-demo", 2),
    ("partner", "webra-demo", 30),
    ("reports", "webra-alt", 50),
    ("legacy", "webra-alt", 100),
    ("lab", "webra-renewable", 130),
]

# name, profile, decision ("approve" or "deny"), decided how many days ago
DECIDED: list[tuple[str, str, str, int]] = [
    ("docs", "webra-demo", "approve", 0),
    ("status", "webra-demo", "approve", 1),
    ("metrics", "webra-alt", "approve", 3),
    ("chat", "webra-demo", "deny", 3),
    ("wiki", "webra-demo", "approve", 6),
    ("games", "webra-demo", "deny", 9),
]


def seed_samples(users: dict[str, User], team: Team) -> int:
    """Makes the samples that are missing; returns how many it made."""
    made = 0
    for name, profile, owner, shared, days, revoked in CERTIFICATES:
        cn = f"{name}.{DOMAIN}"
        if not Certificate.objects.filter(dn=f"CN={cn}").exists():
            row = _certificate(
                Profile.objects.get(name=profile),
                cn,
                owner=users[owner] if owner else None,
                team=team if shared else None,
                days=days,
            )
            if revoked:
                revoke_certificate(row, "superseded", actor=users["admin"])
            made += 1
    for name, profile, hours in PENDING:
        cn = f"{name}.{DOMAIN}"
        if not Request.objects.filter(dn=f"CN={cn}").exists():
            request = _submit(users["requester"], profile, cn)
            _move_back(request, dt.timedelta(hours=hours))
            made += 1
    for name, profile, decision, days_ago in DECIDED:
        cn = f"{name}.{DOMAIN}"
        if not Request.objects.filter(dn=f"CN={cn}").exists():
            request = _submit(users["requester"], profile, cn)
            if decision == "approve":
                services.request_approve(users["approver"], request.pk)
            else:
                services.request_deny(
                    users["approver"], request.pk, approver_comment="Use the shared name."
                )
            # Submitted a day before it was decided, decided ``days_ago`` days ago.
            _move_back(request, days_ago * DAY + DAY, decided=days_ago * DAY)
            made += 1
    return made


def _certificate(profile: Profile, cn: str, *, owner, team, days: int) -> Certificate:
    """A certificate of ``profile`` for ``cn``, valid ``days`` from now, as the profile's CA
    issues them (certificates/services.issue_certificate) but for its lifetime."""
    ca = profile.ca
    key = generate_private_key(profile.default_key_type or "ec-secp256r1")
    certificate = signing.sign_leaf(
        ca_cert=ca.certificate,
        ca_key=ca_private_key(ca),
        public_key=key.public_key(),
        subject=names.build_name([("cn.1", cn)]),
        sans=[names.general_name("DNSNAME", cn)],
        validity=days * DAY,
        backdate=ca.backdate,
        ekus=profile.extended_key_usages,
        crl_url=ca.crl_url(),
        ca_issuers_url=ca.certificate_url(),
        ocsp_url=ca.ocsp_url() if profile.ocsp_in_aia else None,
    )
    row = record_certificate(certificate, ca=ca, profile=profile, owner=owner, team=team)
    record(None, "certificate.issue", row, serial=row.serial, dn=row.dn, profile=profile.name)
    return row


def _submit(requester: User, profile: str, cn: str) -> Request:
    """An enrollment ``requester`` asks for with a CSR of their own (it waits: the demo's
    requester holds ``request``)."""
    key = generate_private_key("ec-secp256r1")
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(names.build_name([("cn.1", cn)]))
        .sign(key, hashes.SHA256())
    )
    body: dict[str, Any] = {
        "module": "webra",
        "workflow": "enroll",
        "profile": profile,
        "template": {
            "csr": csr.public_bytes(Encoding.PEM).decode(),
            "subject": [{"element": "cn.1", "value": cn}],
            "sans": [{"type": "DNSNAME", "value": [cn]}],
        },
    }
    return services.request_submit(requester, handler_for("webra", "enroll"), body).request


def _move_back(request: Request, age: dt.timedelta, decided: dt.timedelta | None = None) -> None:
    """Submitted ``age`` ago (its expiry and removal dates follow), last changed ``decided``
    ago (the decision) or when submitted."""
    request.refresh_from_db()
    now = timezone.now()
    created = now - age
    Request.objects.filter(pk=request.pk).update(
        created_at=created,
        updated_at=now - decided if decided is not None else created,
        expires_at=request.expires_at - age,
        remove_at=request.remove_at - age,
    )
