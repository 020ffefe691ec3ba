"""What the workflows acting on an existing certificate share (revoke, update, renew,
recover, migrate): naming the certificate, its profile, locking it to change it."""

from typing import ClassVar

from django.utils import timezone

from certificates.models import Certificate
from profiles.models import Profile
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.models import Request
from requests_app.workflows.base import Body, Target, WorkflowHandler
from requests_app.workflows.lookups import find_certificate


class CertificateWorkflow(WorkflowHandler):
    module = "webra"
    # The contract's codes for: no certificate named, no such certificate, a bad PEM…
    missing: ClassVar[str]
    unknown: ClassVar[str]
    invalid: ClassVar[str | None] = None
    # … and for a certificate whose profile cannot be used (none, disabled, not WebRA).
    unusable_profile: ClassVar[str] = "REQ-010"
    # The modules of the profiles whose certificates this workflow acts on.
    profile_modules: ClassVar[tuple[str, ...]] = ("webra",)

    def resolve(self, data: Body, user: Principal) -> Target:
        certificate = find_certificate(
            user, data, missing=self.missing, unknown=self.unknown, invalid=self.invalid
        )
        return Target(self.usable_profile(certificate), certificate)

    def check_applies(self, certificate: Certificate, profile: Profile) -> None:
        """Refuses, saying why, when this workflow cannot act on the certificate as it is now
        (revoked, expired, its key not kept…), whoever asks; ``profile``: the one the request
        is filed on (the certificate's; a move's target).
        The submission and the approval refuse with it; the certificate page shows the same
        words beside the action it does not offer (requests_app/pages/actions.py).
        Default: it always can."""

    def check_not_duplicate(self, target: Target) -> None:
        """One pending request of a kind per certificate: a second one would be decided
        against a certificate the first may have changed (an old update undoing a newer one,
        a revocation of a revoked certificate). Asked of submissions that would wait."""
        waiting = (
            Request.objects.pending()
            .filter(certificate=target.certificate, workflow=self.name)
            .select_related("requester")
            .first()
        )
        if waiting is not None:
            raise DomainError(
                "REQ-002",
                f"a {self.name} request on this certificate is already waiting for approval "
                f"(submitted by {waiting.requester_name} on "
                f"{waiting.created_at:%Y-%m-%d}): cancel it, or wait for its decision",
            )

    def usable_profile(self, certificate: Certificate) -> Profile:
        profile = certificate.profile
        if profile is None:
            raise DomainError(
                self.unusable_profile,
                "the certificate belongs to no profile; migrate it to one first",
            )
        if not profile.enabled or profile.module not in self.profile_modules:
            kinds = " or ".join(module.upper() for module in self.profile_modules)
            raise DomainError(
                self.unusable_profile, f"profile {profile.name} is disabled or not {kinds}"
            )
        return profile

    def named_certificate(self, certificate: Certificate | None) -> Certificate:
        """The certificate of a submission (its Target or Prepared): ``resolve`` names one."""
        if certificate is None:
            raise DomainError(
                self.missing, "name the certificate with certificateId or certificatePem"
            )
        return certificate

    def describe_certificate(self, request: Request, certificate: Certificate) -> None:
        """A request about a certificate shows who the certificate is for."""
        request.dn = certificate.dn
        request.holder_id = certificate.holder_id
        request.labels = certificate.labels
        request.owner = certificate.owner
        request.team = certificate.team
        request.contact_email = certificate.contact_email

    def locked(self, certificate: Certificate, profile_id: int | None) -> Certificate:
        """The certificate's row, locked until the end of the transaction — still on the
        profile whose grants the request was checked against (it may have moved since)."""
        locked = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("ca", "profile", "owner", "team")
            .get(pk=certificate.pk)
        )
        self.check_still_on(locked, profile_id)
        return locked

    def check_still_on(self, certificate: Certificate, profile_id: int | None) -> None:
        if certificate.profile_id != profile_id:
            raise DomainError(
                self.unknown,
                "the certificate moved to another profile since the request was filed: file a "
                "new request",
            )

    def stored_certificate(self, request: Request) -> Certificate:
        if request.certificate is None:
            raise DomainError(self.unknown, "the certificate of this request no longer exists")
        return request.certificate


def check_in_use(certificate: Certificate, code: str, *, so: str) -> None:
    """Refuses a change to a certificate that is no longer in use (revoked, or expired): its
    record is history. ``so``: what that means for the workflow ("it stays on its profile")."""
    if certificate.revoked:
        raise DomainError(code, f"the certificate is revoked, so {so}")
    if certificate.not_after <= timezone.now():
        raise DomainError(code, f"the certificate has expired, so {so}")
