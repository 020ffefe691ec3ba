"""WebRA renew: a new certificate for the same holder — same subject, SANs, owner, team and
labels — inside the profile's renewal period before the old one expires. The two are linked
by their metadata (previous_certificate_id / renewed_certificate_id)."""

import datetime as dt
import uuid
from typing import Any

from cryptography import x509
from django.utils import timezone
from django.utils.html import format_html

from certificates.models import Certificate
from certificates.pki.csr import csr_pem
from certificates.pki.keys import PrivateKey, key_type_of
from certificates.renewal import PREVIOUS, RENEWED, linked_id, mark_renewed
from certificates.services import ensure_ca_can_issue, issue_certificate
from profiles.models import Profile
from raportal import identifiers
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.api.inputs import RenewSubmitInput
from requests_app.models import Request
from requests_app.workflows import keys
from requests_app.workflows import template_description as describe
from requests_app.workflows.base import Body, Prepared, Secrets, Target, filed_profile
from requests_app.workflows.fitness import check_fits, refuse_authorities
from requests_app.workflows.holder_limit import enforce_holder_limit
from requests_app.workflows.on_certificate import CertificateWorkflow

INVALID = "WEBRA-RENEW-001"


class RenewWorkflow(CertificateWorkflow):
    name = "renew"
    submit_serializer = RenewSubmitInput
    missing = INVALID
    unknown = "REQ-009"
    invalid = INVALID
    unusable_profile = "WEBRA-RENEW-003"

    def check_applies(self, certificate: Certificate, profile: Profile) -> None:
        check_renewable(certificate, profile)

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        certificate = self.named_certificate(target.certificate)
        profile = filed_profile(target.profile)
        check_renewable(certificate, profile)
        ensure_ca_can_issue(profile.ca)
        default = (
            certificate.key_type
            if certificate.key_type in profile.authorized_key_types
            else profile.default_key_type
        )
        csr, key_type = keys.choose_key_material(
            data.get("template") or {}, profile, default_key_type=default, invalid_code=INVALID
        )
        password = keys.pkcs12_password(
            data, profile, produces_pkcs12=csr is None, invalid_code=INVALID
        )
        return Prepared(
            profile, certificate, {"csr": csr, "key_type": key_type, "password": password}
        )

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        certificate = self.named_certificate(prepared.certificate)
        self.describe_certificate(request, certificate)
        csr = prepared.data["csr"]
        request.template = {
            "keyType": prepared.data["key_type"],
            "csr": csr_pem(csr) if csr is not None else None,
            PREVIOUS: str(certificate.pk),
        }
        request.seal_password(prepared.data["password"])

    def prepare_approval(self, request: Request, data: Body, approver: Principal) -> Prepared:
        certificate = self.stored_certificate(request)
        profile = filed_profile(request.profile)
        self.check_still_on(certificate, request.profile_id)
        check_renewable(certificate, profile)
        ensure_ca_can_issue(profile.ca)
        stored = request.template
        keys.check_mode_still_allowed(profile, with_csr=bool(stored.get("csr")))
        csr = keys.load_request_csr(stored["csr"]) if stored.get("csr") else None
        keys.check_key_type(key_type_of(csr.public_key()) if csr else stored["keyType"], profile)
        password = keys.approval_password(
            request, profile, produces_pkcs12=csr is None, invalid_code=INVALID
        )
        return Prepared(
            profile,
            certificate,
            {"csr": csr, "key_type": stored.get("keyType"), "password": password},
        )

    def prepare_material(self, prepared: Prepared) -> None:
        if prepared.data["csr"] is None and prepared.data.get("key") is None:
            prepared.data["key"] = keys.new_private_key(prepared.data["key_type"])

    def execute(self, request: Request, prepared: Prepared, actor: Principal) -> Secrets | None:
        profile = filed_profile(prepared.profile)
        old = self.locked(self.named_certificate(prepared.certificate), request.profile_id)
        check_renewable(old, profile)
        self.prepare_material(prepared)
        key: PrivateKey | None = prepared.data.get("key")
        public_key = key.public_key() if key else prepared.data["csr"].public_key()
        # The old certificate stays valid until it expires, and counts once with its successor.
        enforce_holder_limit(profile, old.holder_id, actor, replacing=old)
        previous = x509.load_pem_x509_certificate(old.pem.encode())
        row, certificate = issue_certificate(
            profile=profile,
            public_key=public_key,
            subject=previous.subject,
            sans=[(san["sanType"], san["value"]) for san in old.sans],
            owner=old.owner,
            team=old.team,
            contact_email=old.contact_email,
            labels=old.labels,
            metadata=[{"key": PREVIOUS, "value": str(old.pk)}],
            private_key_to_escrow=key if key is not None and profile.escrow else None,
            actor=actor,
        )
        mark_renewed(old, row)
        request.certificate = row
        if key is None:
            return None
        return keys.deliver_pkcs12(
            key=key,
            certificate=certificate,
            ca=profile.ca,
            profile=profile,
            password=prepared.data["password"],
            serial=row.serial,
        )

    def stored_certificate(self, request: Request) -> Certificate:
        previous = Certificate.objects.filter(pk=request.template.get(PREVIOUS)).first()
        if previous is None:
            raise DomainError(self.unknown, "the certificate to renew no longer exists")
        return previous

    def describe(self, target: Target, user: Principal, data: Body) -> dict[str, Any]:
        profile = filed_profile(target.profile)
        return {
            "capabilities": describe.capabilities(profile),
            "passwordPolicy": profile.effective_password_policy().as_json(),
        }

    def template_json(self, request: Request) -> dict[str, Any]:
        return {
            "keyType": request.template.get("keyType"),
            "csr": request.template.get("csr"),
            "capabilities": describe.capabilities(filed_profile(request.profile)),
        }


def check_renewable(certificate: Certificate, profile: Profile) -> None:
    """Renewing signs the old names again: they must be names this profile may issue now (an
    imported or migrated certificate, or a profile whose rules changed, may hold others)."""
    if not profile.renewal_enabled:
        raise DomainError("WEBRA-RENEW-004", f"profile {profile.name} does not allow renewals")
    parsed = x509.load_pem_x509_certificate(certificate.pem.encode())
    refuse_authorities(parsed, code="WEBRA-RENEW-003")
    check_fits(parsed, profile, code="WEBRA-RENEW-003")
    if certificate.revoked:
        raise DomainError("WEBRA-RENEW-006", "a revoked certificate cannot be renewed")
    renewed = linked_id(certificate, RENEWED)
    if renewed:
        raise already_renewed(renewed)
    now = timezone.now()
    if certificate.not_after <= now:
        raise DomainError(
            "WEBRA-RENEW-006", "an expired certificate cannot be renewed: enroll a new one"
        )
    opens = certificate.not_after - dt.timedelta(days=profile.renewal_period_days)
    if now < opens:
        raise DomainError(
            "WEBRA-RENEW-005",
            f"renewal opens {profile.renewal_period_days} days before expiry, on "
            f"{opens:%Y-%m-%d %H:%M} UTC",
        )


def already_renewed(successor_id: str) -> DomainError:
    """WEBRA-RENEW-006 naming the certificate that renewed this one: its CN and serial (for
    the API), linked to its page (for the pages)."""
    successor = (
        Certificate.objects.filter(pk=successor_id).only("pk", "dn", "serial").first()
        if _is_uuid(successor_id)
        else None
    )
    if successor is None:
        return DomainError("WEBRA-RENEW-006", "this certificate was already renewed")
    name = identifiers.common_name(successor.dn) or successor.dn or "the certificate"
    error = DomainError(
        "WEBRA-RENEW-006",
        f"this certificate was already renewed by {name} (serial {successor.serial})",
    )
    error.html = format_html(
        "this certificate was already renewed by {}",
        identifiers.certificate_link(successor.pk, successor.dn, successor.serial),
    )
    return error


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True
