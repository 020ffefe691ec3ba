"""WebRA migrate: move a certificate to another profile, after checking that it fits the
target's template (subject, SANs, key type). Grants are needed on both profiles."""

from cryptography import x509

from certificates.models import Certificate
from certificates.pki import names
from profiles import template_rules as rules
from profiles.models import Profile
from raportal.errors import DomainError
from raportal.models import record
from requests_app.api.inputs import CertificateDataInput, MigrateSubmitInput, parse
from requests_app.models import Request
from requests_app.workflows import template_description as describe
from requests_app.workflows.base import Prepared, Secrets, Target
from requests_app.workflows.certificate_data import (
    CertificateData,
    check_data,
    data_template_json,
    reject_metadata,
)
from requests_app.workflows.lookups import find_certificate, find_profile
from requests_app.workflows.on_certificate import CertificateWorkflow

INVALID_TARGET = "WEBRA-MIGRATE-007"
SOURCE = "sourceProfile"


class MigrateWorkflow(CertificateWorkflow):
    name = "migrate"
    submit_serializer = MigrateSubmitInput
    missing = "WEBRA-MIGRATE-001"
    unknown = "REQ-009"
    invalid = "REQ-009"

    def resolve(self, data: dict, user) -> Target:
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

    def target_of(self, request: Request) -> Target:
        source = Profile.objects.filter(name=request.template.get(SOURCE)).first()
        return Target(
            request.profile, request.certificate, also_granted_on=[source] if source else []
        )

    def prepare_submission(self, data: dict, target: Target, user) -> Prepared:
        template = data.get("template") or {}
        reject_metadata(template)
        certificate, destination = target.certificate, target.profile
        check_fits(certificate, destination)
        checked = check_data(
            destination,
            template,
            editor=rules.REQUESTER,
            user=user,
            current=CertificateData.of(certificate),
        )
        return Prepared(destination, certificate, {"data": checked})

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        certificate = prepared.certificate
        self.describe_certificate(request, certificate)
        prepared.data["data"].apply_to(request)
        request.template = {SOURCE: certificate.profile.name if certificate.profile else None}

    def prepare_approval(self, request: Request, data: dict, approver) -> Prepared:
        certificate = self.stored_certificate(request)
        check_fits(certificate, request.profile)
        edits = parse(CertificateDataInput, data.get("template") or {})
        reject_metadata(edits)
        checked = check_data(
            request.profile,
            edits,
            editor=rules.APPROVER,
            user=approver,
            current=CertificateData.of(request),
        )
        return Prepared(request.profile, certificate, {"data": checked})

    def execute(self, request: Request, prepared: Prepared, actor) -> Secrets | None:
        certificate = self.locked(prepared.certificate)
        source = certificate.profile.name if certificate.profile else None
        certificate.profile = prepared.profile
        certificate.module = prepared.profile.module
        prepared.data["data"].apply_to(certificate)
        certificate.save(
            update_fields=["profile", "module", "labels", "owner", "team", "contact_email"]
        )
        record(
            actor,
            "certificate.migrate",
            certificate,
            serial=certificate.serial,
            source=source,
            target=prepared.profile.name,
        )
        request.certificate = certificate
        return None

    def describe(self, target: Target, user, data: dict) -> dict:
        return describe.certificate_data(target.profile, target.certificate, user)

    def template_json(self, request: Request) -> dict:
        return data_template_json(request)


def check_fits(certificate: Certificate, profile: Profile) -> None:
    """The certificate's names and key must be ones the target profile could have issued."""
    parsed = x509.load_pem_x509_certificate(certificate.pem.encode())
    elements = names.name_to_elements(parsed.subject)
    sans: dict[str, list[str]] = {}
    for san in certificate.sans:
        sans.setdefault(san["sanType"], []).append(san["value"])
    try:
        # Could a requester have obtained exactly these names on the target profile? Every
        # rule applies: allowed elements, fixed values, mandatory ones, regexes, SAN counts.
        rules.check_subject(
            profile,
            [{"element": e, "value": v} for e, v in elements],
            editor=rules.REQUESTER,
            current=rules.default_subject(profile),
        )
        rules.check_sans(
            profile,
            [{"type": t, "value": v} for t, v in sans.items()],
            editor=rules.REQUESTER,
            current=[],
        )
    except DomainError as exc:
        raise DomainError(
            INVALID_TARGET, f"the certificate does not fit profile {profile.name}: {exc.detail}"
        ) from None
    if len(elements) != len(parsed.subject):
        raise DomainError(
            INVALID_TARGET, "the certificate's subject has attributes no profile sets"
        )
    if certificate.key_type not in profile.authorized_key_types:
        raise DomainError(
            INVALID_TARGET, f"profile {profile.name} does not allow {certificate.key_type} keys"
        )
