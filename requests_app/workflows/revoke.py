"""WebRA revoke: end a certificate's validity before its expiry (RFC 5280 §5.3.1 reasons);
the revoked serial is in its CA's next CRL."""

from typing import Any

from cryptography import x509

from certificates.models import Certificate, RevocationReason
from certificates.services import revoke_certificate
from profiles.models import Profile
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.api.inputs import RevokeSubmitInput, RevokeTemplateInput, parse
from requests_app.models import Request
from requests_app.workflows.base import Body, Prepared, Secrets, Target
from requests_app.workflows.fitness import refuse_authorities
from requests_app.workflows.on_certificate import CertificateWorkflow


class RevokeWorkflow(CertificateWorkflow):
    name = "revoke"
    submit_serializer = RevokeSubmitInput
    missing = "WEBRA-REVOKE-001"
    unknown = "WEBRA-REVOKE-004"
    invalid = "WEBRA-REVOKE-005"
    # ACME certificates are revoked as WebRA ones are (RFC 8555 revokeCert files this too);
    # they are renewed by ordering again.
    profile_modules = ("webra", "acme")

    def check_applies(self, certificate: Certificate, profile: Profile) -> None:
        check_revocable(certificate)

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        if data.get("template") is None:
            raise DomainError("WEBRA-REVOKE-006", "template.revocationReason is required")
        reason = _reason(data["template"].get("revocationReason"))
        certificate = target.certificate
        assert certificate is not None, "resolve names the certificate"
        check_revocable(certificate)
        return Prepared(target.profile, certificate, {"reason": reason})

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        assert prepared.certificate is not None, "prepared on a named certificate"
        self.describe_certificate(request, prepared.certificate)
        request.template = {"revocationReason": prepared.data["reason"]}

    def prepare_approval(self, request: Request, data: Body, approver: Principal) -> Prepared:
        certificate = self.stored_certificate(request)
        self.check_still_on(certificate, request.profile_id)
        check_revocable(certificate)
        edits = parse(RevokeTemplateInput, data.get("template") or {})
        reason = request.template["revocationReason"]
        if edits.get("revocationReason"):  # the approver may correct the reason
            reason = _reason(edits["revocationReason"])
        return Prepared(request.profile, certificate, {"reason": reason})

    def execute(self, request: Request, prepared: Prepared, actor: Principal) -> Secrets | None:
        assert prepared.certificate is not None, "prepared on a named certificate"
        certificate = self.locked(prepared.certificate, request.profile_id)
        check_revocable(certificate)
        revoke_certificate(certificate, prepared.data["reason"], actor)
        request.certificate = certificate
        return None

    def describe(self, target: Target, user: Principal, data: Body) -> dict[str, Any]:
        return {"revocationReason": None, "reasons": RevocationReason.values}

    def template_json(self, request: Request) -> dict[str, Any]:
        return {"revocationReason": request.template.get("revocationReason")}


def _reason(value: str | None) -> str:
    reason = (value or RevocationReason.UNSPECIFIED).lower()
    if reason not in RevocationReason.values:
        raise DomainError(
            "WEBRA-REVOKE-003",
            f"revocationReason {value!r} is not one of {', '.join(RevocationReason.values)}",
        )
    return reason


def check_revocable(certificate: Certificate) -> None:
    if certificate.revoked:
        raise DomainError(
            "WEBRA-REVOKE-005", f"Certificate is already revoked (serial {certificate.serial})"
        )
    if certificate.ca_id is None:
        raise DomainError(
            "WEBRA-REVOKE-005",
            "this certificate was not issued by this portal's CAs: revoke it at its own CA",
        )
    refuse_authorities(
        x509.load_pem_x509_certificate(certificate.pem.encode()), code="WEBRA-REVOKE-005"
    )
