"""WebRA recover: a new PKCS#12 of a certificate's escrowed key, for its entitled requester."""

from typing import Any

from cryptography import x509

from certificates.models import Certificate
from certificates.services import escrowed_private_key
from profiles.models import Profile
from raportal.callers import Principal
from raportal.errors import DomainError
from raportal.models import record
from requests_app.api.inputs import RecoverSubmitInput
from requests_app.models import Request
from requests_app.workflows import keys
from requests_app.workflows.base import Body, Prepared, Secrets, Target
from requests_app.workflows.on_certificate import CertificateWorkflow

INVALID = "WEBRA-RECOVER-003"


class RecoverWorkflow(CertificateWorkflow):
    name = "recover"
    submit_serializer = RecoverSubmitInput
    missing = "WEBRA-RECOVER-001"
    unknown = "WEBRA-RECOVER-004"
    invalid = INVALID
    unusable_profile = INVALID

    def check_applies(self, certificate: Certificate, profile: Profile) -> None:
        _check_escrowed(certificate)

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        certificate, profile = target.certificate, target.profile
        assert certificate is not None, "resolve names the certificate"
        assert profile is not None, "resolve gives the certificate's usable profile"
        _check_escrowed(certificate)
        password = keys.pkcs12_password(data, profile, produces_pkcs12=True, invalid_code=INVALID)
        return Prepared(profile, certificate, {"password": password})

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        assert prepared.certificate is not None, "prepared on a named certificate"
        self.describe_certificate(request, prepared.certificate)
        request.template = {}
        request.seal_password(prepared.data["password"])

    def prepare_approval(self, request: Request, data: Body, approver: Principal) -> Prepared:
        certificate = self.stored_certificate(request)
        self.check_still_on(certificate, request.profile_id)
        _check_escrowed(certificate)
        profile = request.profile
        assert profile is not None, "a recover request is filed on its certificate's profile"
        password = keys.approval_password(
            request, profile, produces_pkcs12=True, invalid_code=INVALID
        )
        return Prepared(profile, certificate, {"password": password})

    def execute(self, request: Request, prepared: Prepared, actor: Principal) -> Secrets | None:
        assert prepared.certificate is not None, "prepared on a named certificate"
        assert prepared.profile is not None, "prepared on the certificate's profile"
        certificate = self.locked(prepared.certificate, request.profile_id)
        record(
            actor,
            "certificate.recover",
            certificate,
            serial=certificate.serial,
            requester=request.requester_name,
        )
        return keys.deliver_pkcs12(
            key=escrowed_private_key(certificate),
            certificate=x509.load_pem_x509_certificate(certificate.pem.encode()),
            ca=certificate.ca,
            profile=prepared.profile,
            password=prepared.data["password"],
            serial=certificate.serial,
        )

    def describe(self, target: Target, user: Principal, data: Body) -> dict[str, Any]:
        profile = target.profile
        assert profile is not None, "a template is described on a profile"
        return {
            "passwordMode": profile.p12_password_mode,
            "passwordPolicy": profile.effective_password_policy().as_json(),
        }

    def template_json(self, request: Request) -> None:
        return None  # the contract's recover requests carry no template


def _check_escrowed(certificate: Certificate) -> None:
    if not certificate.escrowed:
        raise DomainError(
            INVALID,
            # Never "not now": the portal keeps a key when it generates it on a profile that
            # escrows keys, or when it is imported with its certificate; never later.
            "this key was not kept, so it cannot be recovered",
        )
