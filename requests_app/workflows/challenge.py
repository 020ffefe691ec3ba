"""EST and SCEP enroll: a one-time challenge that lets a device enroll later (RFC 7030 §3.2.3
HTTP authentication, RFC 8894 §2.3 challengePassword). The request stays ``approved`` until
a device uses the challenge; the password is kept only as a password hash."""

from collections.abc import Callable
from typing import Any, ClassVar

from cryptography import x509

from certificates.pki import names
from profiles import template_rules as rules
from profiles.models import PasswordMode, Profile
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.api.inputs import ChallengeSubmitInput, ChallengeTemplateInput, parse
from requests_app.models import Request, Status
from requests_app.workflows import requested_template as requested
from requests_app.workflows import template_description as describe
from requests_app.workflows.base import (
    Body,
    Prepared,
    Secrets,
    Target,
    WorkflowHandler,
    filed_profile,
)
from requests_app.workflows.keys import password_problem
from requests_app.workflows.lookups import find_profile

BOUND = "dnBound"  # stored: the subject is the DN the device must present
# requests_app/challenges.py: a SCEP device waiting for the approval (its transaction and its
# sealed CSR); it polls with that transaction once approved (RFC 8894 §3.3.3).
WAITING = "waitingDevice"


class ChallengeWorkflow(WorkflowHandler):
    name = "enroll"
    submit_serializer = ChallengeSubmitInput
    done_status = Status.APPROVED
    prefix: ClassVar[str]  # EST-ENROLL or SCEP-ENROLL

    def code(self, number: int) -> str:
        return f"{self.prefix}-{number:03d}"

    def resolve(self, data: Body, user: Principal) -> Target:
        try:
            return Target(find_profile(data["profile"], self.module))
        except DomainError:
            if Profile.objects.filter(name=data["profile"], enabled=True).exists():
                raise DomainError(
                    self.code(5), f"profile {data['profile']!r} is not a {self.module} profile"
                ) from None
            raise

    def check_challenge_allowed(self, profile: Profile) -> None:
        if not profile.challenge_enabled:
            raise DomainError(self.code(5), f"profile {profile.name} does not use challenges")

    def check_dn_given_without_whitelist(self) -> None:
        raise DomainError(
            self.code(1), "this profile does not bind challenges to a DN: do not send dn"
        )

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        profile = filed_profile(target.profile)
        self.check_challenge_allowed(profile)
        template: dict[str, Any] = data.get("template") or {}
        requested.reject_unsupported(template, invalid_code=self.code(4))
        bound = self._dn(data.get("dn"), profile)
        if bound is not None:
            # The DN a device must ask for is the certificate's subject: it obeys the
            # profile's subject rules, and a template subject, if any, must say the same.
            given = template.get("subject")
            if given is not None and _pairs(given) != sorted(bound):
                raise DomainError(self.code(4), "template.subject differs from the bound dn")
            template = {**template, "subject": [{"element": e, "value": v} for e, v in bound]}
        identity: requested.Identity | None = None
        if template.get("subject") is not None or template.get("sans") is not None:
            checked = self._as_own_code(requested.check_for_requester, profile, template, user)
            identity = self._as_own_code(requested.identity_of, checked)
        else:  # the device's CSR will name it; what is known now is checked now
            checked = self._as_own_code(requested.check_data_only, profile, template, user)
        password = self._password(data, profile)
        return Prepared(
            profile,
            None,
            {
                "checked": checked,
                "identity": identity,
                "password": password,
                "bound": bound is not None,
            },
        )

    def _dn(self, given: str | None, profile: Profile) -> list[tuple[str, str]] | None:
        """The bound DN's elements (None when the profile does not bind challenges)."""
        if given and not profile.dn_whitelist:
            self.check_dn_given_without_whitelist()
        if not given:
            if profile.dn_whitelist:
                raise DomainError(self.code(2), "dn is required: this profile binds challenges")
            return None
        try:
            name = x509.Name.from_rfc4514_string(given)
        except ValueError:
            raise DomainError(self.code(3), f"{given!r} is not an RFC 4514 DN") from None
        elements = names.name_to_elements(name)
        if not len(name) or len(elements) != len(name):
            raise DomainError(self.code(3), f"{given!r} has no or unsupported attributes")
        try:
            rules.check_subject(
                profile,
                [{"element": e, "value": str(v)} for e, v in elements],
                editor=rules.REQUESTER,
                current=rules.default_subject(profile),
            )
        except DomainError as exc:
            raise DomainError(self.code(3), f"{given!r}: {exc.detail}") from None
        return elements

    def _password(self, data: Body, profile: Profile) -> str | None:
        given: str | None = (data.get("password") or {}).get("value")
        if profile.challenge_password_mode == PasswordMode.RANDOM:
            if given:
                raise DomainError(self.code(4), "this profile generates challenge passwords")
            return None
        if not given:
            raise DomainError(self.code(4), "password.value (the challenge password) is required")
        problem = password_problem(profile, given, "the challenge password")
        if problem:
            raise DomainError(self.code(4), problem)
        return given

    def _as_own_code[**P, R](self, check: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Template rules speak WebRA codes; an EST/SCEP request answers with its own."""
        try:
            return check(*args, **kwargs)
        except DomainError as exc:
            if exc.code.startswith("WEBRA-ENROLL"):
                raise DomainError(self.code(4), exc.detail) from None
            raise

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        data = prepared.data
        waiting = request.template.get(WAITING)
        request.template = requested.fill_request(request, data["checked"], data["identity"])
        request.template[BOUND] = data["bound"]
        if waiting:  # an approval must not lose the device that waits for it
            request.template[WAITING] = waiting
        if data["password"]:  # manual mode: the requester knows it; keep only its hash
            request.set_challenge(data["password"])

    def prepare_approval(self, request: Request, data: Body, approver: Principal) -> Prepared:
        profile = filed_profile(request.profile)
        self.check_challenge_allowed(profile)
        edits = parse(ChallengeTemplateInput, data.get("template") or {})
        if request.template.get(BOUND) and edits.get("subject") is not None:
            raise DomainError(self.code(4), "the subject of a DN-bound challenge cannot change")
        names_known = request.template.get("subject") or request.template.get("sans")
        identity: requested.Identity | None = None
        if names_known or edits.get("subject") is not None or edits.get("sans") is not None:
            checked = self._as_own_code(
                requested.check_for_approver, profile, request, edits, approver
            )
            identity = self._as_own_code(requested.identity_of, checked)
        else:
            checked = self._as_own_code(
                requested.check_data_only, profile, edits, approver, request=request
            )
        return Prepared(
            profile,
            None,
            {
                "checked": checked,
                "identity": identity,
                "password": None,
                "bound": bool(request.template.get(BOUND)),
            },
        )

    def execute(self, request: Request, prepared: Prepared, actor: Principal) -> Secrets | None:
        if request.challenge_hash:
            return None
        password = filed_profile(prepared.profile).effective_password_policy().generate()
        request.set_challenge(password)
        return Secrets(password=password)

    def describe(self, target: Target, user: Principal, data: Body) -> dict[str, Any]:
        profile = filed_profile(target.profile)
        description: dict[str, Any] = describe.requested_certificate(profile, user)
        return description | {
            "extensions": [],
            "dnWhitelist": profile.dn_whitelist,
            "passwordMode": profile.challenge_password_mode,
            "passwordPolicy": profile.effective_password_policy().as_json(),
        }

    def template_json(self, request: Request) -> dict[str, Any]:
        return requested.template_json(request) | {"extensions": []}


class EstEnrollWorkflow(ChallengeWorkflow):
    module = "est"
    prefix = "EST-ENROLL"


class ScepEnrollWorkflow(ChallengeWorkflow):
    module = "scep"
    prefix = "SCEP-ENROLL"

    def check_challenge_allowed(self, profile: Profile) -> None:
        if not profile.challenge_enabled:
            raise DomainError(self.code(1), f"profile {profile.name} has no SCEP pre-validation")

    def check_dn_given_without_whitelist(self) -> None:
        raise DomainError(
            self.code(4), "this profile does not bind challenges to a DN: do not send dn"
        )


def _pairs(subject: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((item["element"], (item.get("value") or "").strip()) for item in subject)
