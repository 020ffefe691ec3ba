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
from certificates.pop import proven_certificate_id
from profiles.models import LEVEL_RANK, GrantLevel, Profile, grant_level, has_account
from requests_app.models import Request, Status
from requests_app.workflows.lookups import find_profile


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
    submit_serializer: ClassVar[type[serializers.Serializer]]
    # The status of a request once executed (EST/SCEP challenges wait for their device).
    done_status: ClassVar[str] = Status.COMPLETED

    def resolve(self, data: dict, user) -> Target:
        return Target(find_profile(data["profile"], self.module))

    def target_of(self, request: Request) -> Target:
        """The same Target, for a stored request (to check who may decide on it)."""
        return Target(request.profile, request.certificate)

    def grant_level(self, user, target: Target) -> str | None:
        """The caller's level: the lowest over every profile the request needs grants on.
        The owner of a certificate holds ``perform`` on it where the profile's self
        permissions say so (Horizon's selfRevoke, selfUpdate, selfRenew, selfRecover), and so
        does whoever proved possession of its key where the profile's selfPop permissions
        say so (selfPopRevoke, selfPopUpdate, selfPopRenew; certificates/pop.py). A caller
        without an account holds no grant: the proof is all it has."""
        levels = [
            grant_level(user, p, self.name) if has_account(user) else None
            for p in [target.profile, *target.also_granted_on]
        ]
        if self_permitted(user, target, self.name) or pop_permitted(user, target, self.name):
            levels[0] = GrantLevel.PERFORM
        if None in levels:
            return None
        return min(levels, key=lambda level: LEVEL_RANK[level])

    def check_not_duplicate(self, target: Target) -> None:
        """Refuses a submission that would duplicate a pending request. Default: none does."""

    def prepare_submission(self, data: dict, target: Target, user) -> Prepared:
        raise NotImplementedError

    def prepare_material(self, prepared: Prepared) -> None:
        """Slow work that execution will need (e.g. key generation), done before the
        transaction so that no lock waits on it. Default: nothing."""

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        raise NotImplementedError

    def prepare_approval(self, request: Request, data: dict, approver) -> Prepared:
        raise NotImplementedError

    def execute(self, request: Request, prepared: Prepared, actor) -> Secrets | None:
        raise NotImplementedError

    def template_json(self, request: Request) -> dict | None:
        raise NotImplementedError

    def describe(self, target: Target, user, data: dict) -> dict:
        """What may be asked for (POST /api/v1/requests/template): see template_description."""
        raise NotImplementedError


SELF_PERMISSIONS = {"revoke", "update", "renew", "recover"}


def self_permitted(user, target: Target, workflow: str) -> bool:
    """Whether the profile lets the certificate's owner act on it without a grant."""
    certificate, profile = target.certificate, target.profile
    return (
        workflow in SELF_PERMISSIONS
        and certificate is not None
        and profile is not None
        and certificate.owner_id is not None
        and certificate.owner_id == getattr(user, "pk", None)
        and bool(getattr(profile, f"self_{workflow}", False))
    )


POP_PERMISSIONS = {"revoke", "update", "renew"}


def pop_permitted(user, target: Target, workflow: str) -> bool:
    """Whether the caller proved possession of the key of the very certificate the request
    acts on, and the certificate's profile lets a proof do this workflow. It acts at once
    (``perform``): a caller without an account could never collect a pending request's
    outcome."""
    certificate, profile = target.certificate, target.profile
    proven = proven_certificate_id(user)
    return (
        workflow in POP_PERMISSIONS
        and proven is not None
        and certificate is not None
        and profile is not None
        and certificate.pk == proven
        and bool(getattr(profile, f"self_pop_{workflow}", False))
    )
