"""WebRA update: change what the portal keeps about a certificate — labels, owner, team,
contact email — within its profile's rules. The certificate itself does not change."""

from typing import Any

from certificates.models import Certificate
from certificates.services import save_certificate
from profiles import template_rules as rules
from profiles.models import Profile
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.api.inputs import UpdateSubmitInput
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
from requests_app.workflows.on_certificate import CertificateWorkflow, check_in_use


class UpdateWorkflow(CertificateWorkflow):
    name = "update"
    submit_serializer = UpdateSubmitInput
    missing = "REQ-002"
    unknown = "REQ-009"

    def check_applies(self, certificate: Certificate, profile: Profile) -> None:
        check_in_use(certificate, "REQ-002", so="its labels, owner, team and contact email stay")

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        template = data.get("template") or {}
        reject_metadata(template)
        certificate, profile = target.certificate, target.profile
        assert certificate is not None, "resolve names the certificate"
        assert profile is not None, "resolve gives the certificate's usable profile"
        self.check_applies(certificate, profile)
        current = CertificateData.of(certificate)
        checked = check_data(profile, template, editor=rules.REQUESTER, user=user, current=current)
        if not checked.changed_from(current):
            raise DomainError(
                "REQ-002",
                "nothing to change: the labels, owner, team and contact email given are the "
                "certificate's already",
            )
        return Prepared(profile, certificate, {"data": checked})

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        assert prepared.certificate is not None, "prepared on a named certificate"
        self.describe_certificate(request, prepared.certificate)
        checked = prepared.data["data"]
        checked.apply_to(request)
        request.template = {"fields": sorted(checked.fields)}

    def prepare_approval(self, request: Request, data: Body, approver: Principal) -> Prepared:
        certificate = self.stored_certificate(request)
        self.check_still_on(certificate, request.profile_id)
        assert request.profile is not None, "an update is filed on its certificate's profile"
        self.check_applies(certificate, request.profile)
        checked = approver_edits(request, data, approver)
        return Prepared(request.profile, certificate, {"data": checked})

    def execute(self, request: Request, prepared: Prepared, actor: Principal) -> Secrets | None:
        assert prepared.certificate is not None, "prepared on a named certificate"
        certificate = self.locked(prepared.certificate, request.profile_id)
        checked = prepared.data["data"]
        changed = checked.apply_to(certificate, checked.fields)
        save_certificate(certificate, changed, actor, "certificate.update")
        request.certificate = certificate
        return None

    def describe(self, target: Target, user: Principal, data: Body) -> dict[str, Any]:
        assert target.profile is not None, "a template is described on a profile"
        return describe.certificate_data(target.profile, target.certificate, user)

    def template_json(self, request: Request) -> dict[str, Any]:
        return data_template_json(request)
