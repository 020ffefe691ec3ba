"""How a device enrolled over EST (RFC 7030) or SCEP (RFC 8894), in words, for the request
page and the certificate page. Read from what the challenge and re-enrollment services store
in the request's template (requests_app/challenges.py ``ENROLLMENT`` and ``WAITING``,
requests_app/reenrollment.py): the protocol, the credential, the client's address and the
date. Never the device's CSR, nor the challenge's hash: only what identifies them."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from certificates.models import Certificate
from certificates.renewal import PREVIOUS
from profiles.models import Workflow
from requests_app.challenges import ENROLLMENT
from requests_app.models import Request, Status
from requests_app.workflows.challenge import WAITING

DEVICE_MODULES = ("est", "scep")


@dataclass(frozen=True)
class DeviceEnrollment:
    """``state``: ``used`` (a device enrolled), ``unused`` (an approved challenge no device
    has spent yet), ``waiting`` (a SCEP device brought the challenge before an approver
    decided, and polls: ``transaction_id``; once approved, its next poll spends it) or
    ``pending`` (no device yet, approval first)."""

    protocol: str  # "EST" or "SCEP"
    state: str
    challenge_id: str | None = None  # the request whose challenge was (or will be) spent
    previous_certificate_id: str | None = None  # a re-enrollment: the certificate renewed
    address: str = ""
    date: dt.datetime | None = None
    transaction_id: str = ""


def device_enrollment(req: Request) -> DeviceEnrollment | None:
    """How the device of an EST/SCEP request enrolled, or may still enroll; None for the
    requests of other modules."""
    if req.module not in DEVICE_MODULES:
        return None
    protocol = req.module.upper()
    record: dict[str, Any] = req.template.get(ENROLLMENT) or {}
    renewal = req.workflow == Workflow.RENEW
    challenge_id = None if renewal else str(req.pk)
    # A SCEP device that waited for the approval: its transaction stays (its CSR does not).
    waiting: dict[str, Any] = req.template.get(WAITING) or {}
    if record:
        return DeviceEnrollment(
            protocol=str(record.get("protocol") or req.module).upper(),
            state="used",
            challenge_id=challenge_id,
            previous_certificate_id=str(req.template.get(PREVIOUS) or "") or None,
            address=str(record.get("clientAddress") or ""),
            date=_date(record.get("date")),
            transaction_id=str(waiting.get("transactionId") or ""),
        )
    if req.status in (Status.PENDING, Status.APPROVED) and waiting:
        return DeviceEnrollment(
            protocol=protocol,
            state="waiting",
            challenge_id=challenge_id,
            transaction_id=str(waiting.get("transactionId") or ""),
        )
    if req.status == Status.APPROVED:
        return DeviceEnrollment(protocol=protocol, state="unused", challenge_id=challenge_id)
    if req.status == Status.PENDING:
        return DeviceEnrollment(protocol=protocol, state="pending", challenge_id=challenge_id)
    return None  # denied, canceled, failed: no device will use it


def certificate_enrollment(certificate: Certificate) -> DeviceEnrollment | None:
    """How a certificate came from a device: the completed request that issued it (an EST or
    SCEP enroll spending a challenge, or a device's re-enrollment), or None."""
    req = (
        Request.objects.filter(
            certificate=certificate,
            status=Status.COMPLETED,
            module__in=DEVICE_MODULES,
            workflow__in=[Workflow.ENROLL, Workflow.RENEW],
            template__has_key=ENROLLMENT,
        )
        .only("pk", "module", "workflow", "status", "template")
        .order_by("-created_at")
        .first()
    )
    return device_enrollment(req) if req is not None else None


def _date(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None
