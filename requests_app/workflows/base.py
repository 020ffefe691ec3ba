"""What every workflow module provides to the request services.

A workflow validates a submission into a ``Prepared`` value (no writes), fills a new
``Request`` from it, and executes it (issue, revoke…) when the request is completed, at
submission by a ``perform`` holder or at approval. The services (requests_app/services.py)
own the lifecycle: grants, states, transactions, audit.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

from rest_framework import serializers

from profiles.models import Profile
from requests_app.models import Request


@dataclass
class Secrets:
    """One-time secrets for the requester: never stored in clear, never logged."""

    pkcs12: bytes | None = None
    password: str | None = None


@dataclass
class Prepared:
    """A validated submission (or approval): everything needed to execute it."""

    profile: Profile
    data: dict[str, Any] = field(default_factory=dict)


class WorkflowHandler:
    module: ClassVar[str]
    name: ClassVar[str]
    submit_serializer: ClassVar[type[serializers.Serializer]]

    def profile_name(self, data: dict) -> str:
        return data["profile"]

    def prepare_submission(self, data: dict, profile: Profile, user) -> Prepared:
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

    def template_json(self, request: Request) -> dict:
        raise NotImplementedError
