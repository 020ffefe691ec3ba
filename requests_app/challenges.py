"""Spending a challenge: a device enrolls over EST (RFC 7030) or SCEP (RFC 8894) with the
one-time challenge an EST/SCEP enroll request created (requests_app/workflows/challenge.py).

The request waits ``approved`` with the challenge's password hash until a device brings the
password. ``redeem_challenge`` is that transition: under a row lock, the device's CSR is
checked against the profile exactly as a WebRA enrollment's would be (subject and SAN rules,
key types, the DN the challenge is bound to, the holder limit), the certificate is issued, and
the request becomes ``completed`` with it, the hash wiped: a second use finds nothing.

A challenge is valid until the request's expiration date (``enroll_request_expiry_days`` of
the profile, counted from the submission).
"""

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from certificates.models import Certificate
from certificates.pki import names
from certificates.pki.keys import key_type_of
from certificates.services import issue_certificate
from profiles import template_rules as rules
from profiles.models import Profile, Workflow
from raportal.control_characters import control_character
from raportal.crypto import open_sealed, seal
from raportal.errors import DomainError
from raportal.models import record
from requests_app import notifications
from requests_app.models import Request, Status, challenge_tag
from requests_app.workflows.challenge import BOUND, WAITING
from requests_app.workflows.holder_limit import enforce_holder_limit
from requests_app.workflows.requested_template import csr_sans, identity_of

ENROLLMENT = "enrollment"  # the template's record of how the device enrolled


class EnrollmentRefused(Exception):
    """Why a device may not enroll. ``kind``: ``unauthorized`` (no such challenge, a wrong or
    spent one), ``invalid`` (the CSR does not fit the profile) or ``unavailable`` (the CA
    cannot issue now). Protocols answer in their own form (EST: 401/400/503)."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class DevicePrincipal:
    """A device enrolling over EST or SCEP: it has no account; audit events name the
    protocol, the address it came from and the credential it used (a challenge, or the
    certificate it re-enrolls with)."""

    pk = None
    id = None
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, protocol: str, address: str, credential: dict[str, str]):
        self.protocol = protocol
        self.address = address
        self.credential = credential

    def get_username(self) -> str:
        return f"{self.protocol} device ({self.address or 'unknown address'})"

    @property
    def audit_principal(self) -> dict[str, Any]:
        return {
            "principal": self.get_username(),
            "authentication": f"{self.protocol} " + ", ".join(self.credential),
            **self.credential,
        }

    def __str__(self) -> str:
        return self.get_username()


@dataclass(frozen=True)
class Enrollment:
    request: Request
    row: Certificate
    certificate: x509.Certificate


def open_challenges(
    profile: Profile, module: str, now: dt.datetime, *, waiting: bool = False
) -> QuerySet[Request]:
    """The challenges of ``profile`` a device may still spend; with ``waiting``, also those
    still waiting for an approver (a manual password the requester already knows)."""
    statuses = [Status.APPROVED, Status.PENDING] if waiting else [Status.APPROVED]
    return Request.objects.filter(
        profile=profile,
        module=module,
        workflow=Workflow.ENROLL,
        status__in=statuses,
        expires_at__gt=now,
    ).exclude(challenge_hash="")


def find_challenge(
    profile: Profile,
    module: str,
    password: str,
    *,
    identifier: str | None = None,
    dn: str | None = None,
    waiting: bool = False,
) -> Request:
    """The open challenge whose password this is, found by the password's tag (one slow hash
    checked, found or not: the answer's timing tells nothing, and any number of open
    challenges costs the same). ``identifier`` (EST's Basic user name) narrows to the
    request's id or its DN, as Horizon accepts; ``dn`` (a SCEP CSR's subject) to the
    challenges bound to that DN and those bound to none. EnrollmentRefused("unauthorized")
    when none matches."""
    if not password or len(password) > 1024:
        raise EnrollmentRefused("unauthorized", "a challenge password is required")
    candidates = open_challenges(profile, module, timezone.now(), waiting=waiting).filter(
        challenge_tag=challenge_tag(password)
    )
    if identifier:
        if len(identifier) > 1024 or control_character(identifier):
            candidates = candidates.none()
        else:
            try:
                candidates = candidates.filter(pk=uuid.UUID(identifier))
            except ValueError:
                candidates = candidates.filter(dn=_dn_string(identifier))
    if dn is not None:
        bound = Q(dn="") | Q(dn=dn)
        candidates = candidates.none() if control_character(dn) else candidates.filter(bound)
    found = candidates.order_by("-created_at").first()
    matches = check_password(password, found.challenge_hash if found else _DUMMY_HASH())
    if found is not None and matches:
        return found
    raise EnrollmentRefused("unauthorized", "no open challenge matches these credentials")


def hold_for_approval(
    request: Request, csr: x509.CertificateSigningRequest, *, transaction_id: str
) -> None:
    """A device brought the password of a challenge an approver has not decided yet: keep its
    CSR (sealed: it carries the password) and transaction on the request, for its poll once
    the request is approved. Changes nothing else (the approver decides on the request as
    filed)."""
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        if locked.status != Status.PENDING:
            return
        sealed = seal(csr.public_bytes(Encoding.DER), _waiting_context(locked))
        locked.template = {
            **locked.template,
            WAITING: {
                "transactionId": transaction_id,
                "sealedCsr": base64.b64encode(sealed).decode(),
            },
        }
        locked.save(update_fields=["template"])


def waiting_transaction(
    profile: Profile, module: str, transaction_id: str
) -> tuple[Request, x509.CertificateSigningRequest | None] | None:
    """The request a device's transaction waits on (CertPoll), with the CSR it holds."""
    request = (
        Request.objects.filter(profile=profile, module=module, workflow=Workflow.ENROLL)
        .filter(**{f"template__{WAITING}__transactionId": transaction_id})
        .select_related("certificate")
        .order_by("-created_at")
        .first()
    )
    if request is None:
        return None
    stored = request.template.get(WAITING) or {}
    if not stored.get("sealedCsr"):
        return request, None
    der = open_sealed(base64.b64decode(stored["sealedCsr"]), _waiting_context(request))
    return request, x509.load_der_x509_csr(der)


def _waiting_context(request: Request) -> str:
    return f"scep-waiting-csr:{request.pk}"


def _dn_string(text: str) -> str:
    """A DN as the requests store it (certificates.pki.names), or the text as given."""
    try:
        return names.name_string(x509.Name.from_rfc4514_string(text))
    except ValueError:
        return text


_dummy: list[str] = []


def _DUMMY_HASH() -> str:
    if not _dummy:
        _dummy.append(make_password(uuid.uuid4().hex))
    return _dummy[0]


def redeem_challenge(
    request: Request,
    csr: x509.CertificateSigningRequest,
    *,
    protocol: str,
    address: str,
) -> Enrollment:
    """Issues the certificate ``csr`` asks for on the challenge of ``request`` (found by
    find_challenge) and closes the request, in one transaction: a second use of the same
    challenge, even concurrent, is refused as unauthorized with nothing issued."""
    with transaction.atomic():
        locked = (
            Request.objects.select_for_update(of=("self",))
            .select_related("profile", "profile__ca", "owner", "team")
            .get(pk=request.pk)
        )
        if (
            locked.status != Status.APPROVED
            or not locked.challenge_hash
            or locked.expires_at <= timezone.now()
        ):
            raise EnrollmentRefused("unauthorized", "this challenge was used or has expired")
        profile = locked.profile
        if profile is None or not profile.enabled:
            raise EnrollmentRefused("unauthorized", "the challenge's profile is disabled")
        device = DevicePrincipal(protocol, address, {"challenge": str(locked.pk)})
        checked = _checked_names(locked, profile, csr)
        try:
            identity = identity_of(checked)
            enforce_holder_limit(profile, identity.holder_id, device)
            row, certificate = issue_certificate(
                profile=profile,
                public_key=csr.public_key(),
                subject=identity.subject,
                sans=checked.sans,
                owner=locked.owner,
                team=locked.team,
                contact_email=locked.contact_email,
                labels=locked.labels,
                actor=device,
            )
        except DomainError as exc:
            raise _refusal(exc) from None
        now = timezone.now()
        locked.certificate = row
        locked.status = Status.COMPLETED
        locked.spend_challenge()
        locked.dn = identity.dn
        locked.holder_id = identity.holder_id
        locked.updated_at = now
        locked.template = {
            **locked.template,
            "subject": [{"element": e, "value": v} for e, v in checked.subject],
            "sans": _grouped(checked.sans),
            **_waiting_without_csr(locked.template),
            ENROLLMENT: {
                "protocol": protocol,
                "clientAddress": address,
                "date": now.isoformat(),
            },
        }
        locked.save()
        record(
            device,
            "request.challenge.redeem",
            locked,
            status=locked.status,
            serial=row.serial,
            protocol=protocol,
            clientAddress=address,
        )
        notifications.request_carried_out(locked)
    return Enrollment(locked, row, certificate)


def _waiting_without_csr(template: dict[str, Any]) -> dict[str, Any]:
    """The waiting device's transaction, kept for its polls; its sealed CSR, spent, dropped."""
    waiting = template.get(WAITING)
    return {WAITING: {"transactionId": waiting["transactionId"]}} if waiting else {}


def _checked_names(
    request: Request, profile: Profile, csr: x509.CertificateSigningRequest
) -> rules.CheckedTemplate:
    """The subject and SANs to certify, checked by the profile's rules as for a requester:
    what the request already fixed (a bound DN, an approver's names) wins; the CSR fills in
    the rest. The CSR's key must be of a type the profile allows."""
    key_type = key_type_of(csr.public_key())
    if key_type not in profile.authorized_key_types:
        raise EnrollmentRefused(
            "invalid",
            f"key type {key_type} is not allowed by profile {profile.name} "
            f"(allowed: {', '.join(profile.authorized_key_types) or 'none'})",
        )
    csr_subject = [{"element": e, "value": v} for e, v in names.name_to_elements(csr.subject)]
    stored_subject = request.template.get("subject") or None
    if request.template.get(BOUND) and _pairs(csr_subject) != _pairs(stored_subject or []):
        raise EnrollmentRefused(
            "invalid",
            f"the CSR's subject ({names.name_string(csr.subject)}) is not the DN this "
            f"challenge is bound to ({request.dn})",
        )
    editable = {r.element for r in profile.subject_rules.all() if r.editable_by_requester}
    subject = stored_subject or [item for item in csr_subject if item["element"] in editable]
    sans = request.template.get("sans") or csr_sans(csr, profile)
    try:
        return rules.CheckedTemplate(
            subject=rules.check_subject(
                profile, subject, editor=rules.REQUESTER, current=rules.default_subject(profile)
            ),
            sans=rules.check_sans(profile, sans, editor=rules.REQUESTER, current=[]),
            labels=request.labels,
            owner=request.owner,
            team=request.team,
            contact_email=request.contact_email,
        )
    except DomainError as exc:
        raise _refusal(exc) from None


def _refusal(exc: DomainError) -> EnrollmentRefused:
    if exc.code == "WEBRA-ENROLL-011" or exc.status >= 500:  # the CA cannot issue now
        return EnrollmentRefused("unavailable", exc.detail or exc.message)
    return EnrollmentRefused("invalid", exc.detail or exc.message)


def _pairs(subject: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((item["element"], (item.get("value") or "").strip()) for item in subject)


def _grouped(sans: list[tuple[str, str]]) -> list[dict[str, Any]]:
    grouped: dict[str, list[str]] = {}
    for san_type, value in sans:
        grouped.setdefault(san_type, []).append(value)
    return [{"type": t, "value": v} for t, v in grouped.items()]
