"""What the workflows acting on an existing certificate share (revoke, update, renew,
recover, migrate): naming the certificate, its profile, locking it to change it."""

from typing import ClassVar

from certificates.models import Certificate
from profiles.models import Profile
from raportal.errors import DomainError
from requests_app.models import Request
from requests_app.workflows.base import Target, WorkflowHandler
from requests_app.workflows.lookups import find_certificate


class CertificateWorkflow(WorkflowHandler):
    module = "webra"
    # The contract's codes for: no certificate named, no such certificate, a bad PEM…
    missing: ClassVar[str]
    unknown: ClassVar[str]
    invalid: ClassVar[str | None] = None
    # … and for a certificate whose profile cannot be used (none, disabled, not WebRA).
    unusable_profile: ClassVar[str] = "REQ-010"

    def resolve(self, data: dict, user) -> Target:
        certificate = find_certificate(
            user, data, missing=self.missing, unknown=self.unknown, invalid=self.invalid
        )
        return Target(self.usable_profile(certificate), certificate)

    def usable_profile(self, certificate: Certificate) -> Profile:
        profile = certificate.profile
        if profile is None:
            raise DomainError(
                self.unusable_profile,
                "the certificate belongs to no profile; migrate it to one first",
            )
        if not profile.enabled or profile.module != self.module:
            raise DomainError(
                self.unusable_profile, f"profile {profile.name} is disabled or not WebRA"
            )
        return profile

    def describe_certificate(self, request: Request, certificate: Certificate) -> None:
        """A request about a certificate shows who the certificate is for."""
        request.dn = certificate.dn
        request.holder_id = certificate.holder_id
        request.labels = certificate.labels
        request.owner = certificate.owner
        request.team = certificate.team
        request.contact_email = certificate.contact_email

    @staticmethod
    def locked(certificate: Certificate) -> Certificate:
        """The certificate's row, locked until the end of the transaction."""
        return (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("ca", "profile", "owner", "team")
            .get(pk=certificate.pk)
        )

    def stored_certificate(self, request: Request) -> Certificate:
        if request.certificate is None:
            raise DomainError(self.unknown, "the certificate of this request no longer exists")
        return request.certificate
