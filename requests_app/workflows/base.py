"""What every workflow module provides to the request services.

A workflow resolves what a submission is about (its profile, and for most workflows an
existing certificate), validates it into a ``Prepared`` value (no writes), fills a new
``Request`` from it, and executes it (issue, revoke…) when the request is completed: at
submission by a ``perform`` holder, or at approval. The services (requests_app/services.py)
own the lifecycle: grants, states, transactions, audit.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

from rest_framework import serializers

from certificates.models import Certificate
from profiles import access
from profiles.models import Profile
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.models import Request, Status
from requests_app.workflows.lookups import find_profile

# A submission's body once its workflow's serializer validated it (the shape differs by
# workflow and is its submit_serializer's to say: requests_app/api/inputs.py).
Body = dict[str, Any]


def filed_profile(profile: Profile | None) -> Profile:
    """The profile of a submission or request of a workflow that is always filed on one (every
    request but an import of a certificate on no profile): ``resolve`` found it, and a stored
    request keeps it (``on_delete=PROTECT``)."""
    if profile is None:
        raise DomainError("REQ-010", "this request is filed on no profile")
    return profile


@dataclass
class Secrets:
    """One-time secrets for the requester: never stored in clear, never logged."""

    pkcs12: bytes | None = None
    password: str | None = None


@dataclass
class Target:
    """What a submission is about: the profile it is filed on (whose grants decide), the
    certificate it acts on, and other profiles whose grants it also needs (migrate)."""

    profile: Profile | None
    certificate: Certificate | None = None
    also_granted_on: list[Profile] = field(default_factory=list)
    level: str | None = None  # the caller's grant level, once the services have checked it


@dataclass
class Prepared:
    """A validated submission (or approval): everything needed to execute it."""

    profile: Profile | None
    certificate: Certificate | None = None
    data: dict[str, Any] = field(default_factory=dict)


class WorkflowHandler:
    module: ClassVar[str]
    name: ClassVar[str]
    submit_serializer: ClassVar[type[serializers.Serializer[Any]]]
    # The status of a request once executed (EST/SCEP challenges wait for their device).
    done_status: ClassVar[str] = Status.COMPLETED

    def resolve(self, data: Body, user: Principal) -> Target:
        return Target(find_profile(data["profile"], self.module))

    def target_of(self, request: Request) -> Target:
        """The same Target, for a stored request (to check who may decide on it)."""
        return Target(request.profile, request.certificate)

    def grant_level(self, user: Principal, target: Target) -> str | None:
        """The caller's level for this submission (profiles/access.py decides): on the
        profile, and for a workflow acting on an existing certificate, on that certificate
        (ownership, team, self and proof-of-possession permissions)."""
        if target.certificate is not None and self.name in access.ON_CERTIFICATE:
            return access.certificate_level(
                user, target.certificate, self.name, profile=target.profile
            )
        return access.profile_level(user, target.profile, self.name)

    def check_not_duplicate(self, target: Target) -> None:
        """Refuses a submission that would duplicate a pending request. Default: none does."""

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        raise NotImplementedError

    def prepare_material(self, prepared: Prepared) -> None:
        """Slow work that execution will need (e.g. key generation), done before the
        transaction so that no lock waits on it. Default: nothing."""

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        raise NotImplementedError

    def prepare_approval(self, request: Request, data: Body, approver: Principal) -> Prepared:
        raise NotImplementedError

    def execute(self, request: Request, prepared: Prepared, actor: Principal) -> Secrets | None:
        raise NotImplementedError

    def template_json(self, request: Request) -> dict[str, Any] | None:
        raise NotImplementedError

    def describe(self, target: Target, user: Principal, data: Body) -> dict[str, Any]:
        """What may be asked for (POST /api/v1/requests/template): see template_description."""
        raise NotImplementedError
