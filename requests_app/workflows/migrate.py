"""WebRA migrate: move a certificate to another profile, after checking that it fits the
target's template (subject, SANs, key type). Grants are needed on both profiles."""

from typing import Any

from cryptography import x509

from certificates.models import Certificate
from certificates.services import save_certificate
from profiles import access
from profiles import template_rules as rules
from profiles.models import Profile
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.api.inputs import MigrateSubmitInput
from requests_app.models import Request
from requests_app.workflows import template_description as describe
from requests_app.workflows.base import Body, Prepared, Secrets, Target
from requests_app.workflows.certificate_data import (
    CertificateData,
    approver_edits,
    check_data,
    data_template_json,
    reject_metadata,
)
from requests_app.workflows.fitness import check_fits
from requests_app.workflows.lookups import find_certificate, find_profile
from requests_app.workflows.on_certificate import CertificateWorkflow, check_in_use

INVALID_TARGET = "WEBRA-MIGRATE-007"
SOURCE, SOURCE_ID = "sourceProfile", "sourceProfileId"


class MigrateWorkflow(CertificateWorkflow):
    name = "migrate"
    submit_serializer = MigrateSubmitInput
    missing = "WEBRA-MIGRATE-001"
    unknown = "REQ-009"
    invalid = "REQ-009"

    def check_applies(self, certificate: Certificate, profile: Profile) -> None:
        check_in_use(certificate, "REQ-002", so="it stays on its profile")

    def resolve(self, data: Body, user: Principal) -> Target:
        certificate = find_certificate(
            user, data, missing=self.missing, unknown=self.unknown, invalid=self.invalid
        )
        try:
            destination = find_profile(data["profile"], self.module)
        except DomainError:
            raise DomainError(
                INVALID_TARGET, f"profile {data['profile']!r} does not exist or is disabled"
            ) from None
        if certificate.profile_id == destination.pk:
            raise DomainError(INVALID_TARGET, f"the certificate is already on {destination.name}")
        source = [certificate.profile] if certificate.profile else []
        return Target(destination, certificate, also_granted_on=source)

    def grant_level(self, user: Principal, target: Target) -> str | None:
        """On the certificate (its source profile, ownership, team) and on the target; on the
        target alone for a template that names no certificate."""
        if target.certificate is None:
            return super().grant_level(user, target)
        source = target.also_granted_on[0] if target.also_granted_on else None
        return access.certificate_level(
            user, target.certificate, self.name, profile=source, target=target.profile
        )

    def target_of(self, request: Request) -> Target:
        source = Profile.objects.filter(pk=request.template.get(SOURCE_ID)).first()
        return Target(
            request.profile, request.certificate, also_granted_on=[source] if source else []
        )

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        template = data.get("template") or {}
        reject_metadata(template)
        certificate, destination = target.certificate, target.profile
        assert certificate is not None, "resolve names the certificate"
        assert destination is not None, "resolve names the target profile"
        self.check_applies(certificate, destination)
        check_fits(_parsed(certificate), destination, code=INVALID_TARGET)
        checked = check_data(
            destination,
            template,
            editor=rules.REQUESTER,
            user=user,
            current=CertificateData.of(certificate),
        )
        checked.fields |= {"labels"}  # the labels are the target profile's now
        return Prepared(destination, certificate, {"data": checked})

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        certificate = prepared.certificate
        assert certificate is not None, "prepared on a named certificate"
        self.describe_certificate(request, certificate)
        checked = prepared.data["data"]
        checked.apply_to(request)
        request.template = {
            SOURCE: certificate.profile.name if certificate.profile else None,
            SOURCE_ID: certificate.profile_id,
            "fields": sorted(checked.fields),
        }

    def prepare_approval(self, request: Request, data: Body, approver: Principal) -> Prepared:
        certificate = self.stored_certificate(request)
        self.check_still_on(certificate, request.template.get(SOURCE_ID))
        destination = request.profile
        assert destination is not None, "a migrate request is filed on its target profile"
        self.check_applies(certificate, destination)
        check_fits(_parsed(certificate), destination, code=INVALID_TARGET)
        checked = approver_edits(request, data, approver)
        return Prepared(destination, certificate, {"data": checked})

    def execute(self, request: Request, prepared: Prepared, actor: Principal) -> Secrets | None:
        destination = prepared.profile
        assert prepared.certificate is not None, "prepared on a named certificate"
        assert destination is not None, "prepared on the target profile"
        certificate = self.locked(prepared.certificate, request.template.get(SOURCE_ID))
        source = certificate.profile.name if certificate.profile else None
        certificate.profile = destination
        certificate.module = destination.module
        checked = prepared.data["data"]
        changed = ["profile", "module", *checked.apply_to(certificate, checked.fields)]
        save_certificate(
            certificate,
            changed,
            actor,
            "certificate.migrate",
            source=source,
            target=destination.name,
        )
        request.certificate = certificate
        return None

    def describe(self, target: Target, user: Principal, data: Body) -> dict[str, Any]:
        assert target.profile is not None, "a template is described on the target profile"
        return describe.certificate_data(target.profile, target.certificate, user)

    def template_json(self, request: Request) -> dict[str, Any]:
        return data_template_json(request)


def _parsed(certificate: Certificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(certificate.pem.encode())
