"""Queries behind the requester pages."""

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf

from profiles import revision
from profiles.access import deciders, perform_holders
from profiles.models import Profile, Workflow
from raportal.callers import Principal
from requests_app.models import Request, RequestApproval, Status


def profile_label(path: str = ""):
    """A profile as the pages name it (``str(profile)``): its display name, else its name."""
    return Coalesce(
        NullIf(F(f"{path}display_name"), Value("")), F(f"{path}name"), output_field=CharField()
    )


def _both_ways(key: str, expression) -> dict:
    return {
        key: expression.asc(nulls_last=True),
        f"-{key}": expression.desc(nulls_last=True),
    }


SORTS = {
    **_both_ways("date", F("created_at")),
    **_both_ways("status", F("status")),
    **_both_ways("workflow", F("workflow")),
    **_both_ways("profile", profile_label("profile__")),
}
DEFAULT_SORT = "-date"

# The list's columns: heading, sort key (None: not sortable) and the direction of a first
# click — newest first for dates, A to Z otherwise.
COLUMNS = (
    ("Request", None, None),
    ("Submitted", "date", "-date"),
    ("Workflow", "workflow", "workflow"),
    ("Subject", None, None),
    ("Profile", "profile", "profile"),
    ("Status", "status", "status"),
    ("Requester", None, None),
    ("Certificate", None, None),
)
FILTERS = ("status", "workflow", "profile", "since")


def my_requests(
    user: Principal, params: Mapping[str, str]
) -> tuple[QuerySet[Request], dict[str, Any]]:
    """The user's requests and their teams', filtered and sorted as the list page asks;
    returns the queryset and the filters as understood, with what the page shows of them:
    ``columns`` (headings and their sort links), ``profiles`` (the profile choices) and
    ``active`` (whether any filter narrows the list)."""
    mine = Request.objects.mine(user)
    queryset = mine.select_related("profile", "requester", "team", "certificate").defer(
        "sealed_password", "sealed_pkcs12", "sealed_key", "template", "certificate__pem"
    )
    # Only the profiles of the user's own requests: the choices reveal nothing else.
    profiles = list(
        Profile.objects.filter(pk__in=mine.values("profile"))
        .annotate(label=profile_label())
        .order_by("label", "name")
        .values_list("name", "label")
    )
    filters: dict[str, Any] = {
        "profiles": profiles,
        "status": _choice(params.get("status"), Status.values),
        "workflow": _choice(params.get("workflow"), Workflow.values),
        "profile": _choice(params.get("profile"), dict(profiles)),
        "since": params.get("since") or "",
        "sort": _choice(params.get("sort"), SORTS) or DEFAULT_SORT,
    }
    if filters["status"]:  # as the list shows them: past its expiry, a request is expired
        queryset = queryset.shown_as(filters["status"])
    if filters["workflow"]:
        queryset = queryset.filter(workflow=filters["workflow"])
    if filters["profile"]:
        queryset = queryset.filter(profile__name=filters["profile"])
    if filters["since"]:
        try:
            since = dt.date.fromisoformat(filters["since"])
            queryset = queryset.filter(created_at__date__gte=since)
        except ValueError:
            filters["since"] = ""
    filters["active"] = any(filters[name] for name in FILTERS)
    filters["columns"] = _columns(filters["sort"])
    return queryset.order_by(SORTS[filters["sort"]], "-created_at", "-pk"), filters


def _choice(value: str | None, allowed: Collection[str]) -> str:
    return value if value is not None and value in allowed else ""


def _columns(sort: str) -> list[dict[str, str | None]]:
    """Each heading with its sort state: ``aria`` (ascending, descending or empty) and
    ``next``, the sort its link asks for (the other direction when it is the sorted one)."""
    columns = []
    for label, key, first in COLUMNS:
        column = {"label": label, "next": first, "aria": ""}
        if key is not None and sort == key:
            column.update(next=f"-{key}", aria="ascending")
        elif key is not None and sort == f"-{key}":
            column.update(next=key, aria="descending")
        columns.append(column)
    return columns


def approvers_of(request: Request) -> list[User]:
    """Who may decide on a pending request now: the accounts the approve service would let
    approve it (``requests_app.services``: ``check_pending``, ``check_may_decide`` through the
    access policy's ``may_decide``, ``check_not_yet_approved``, an enabled profile) among the
    active accounts holding ``perform`` on its profile and workflow (superusers for a request
    on no profile) — never its requester. Three queries (candidates, approvals given, the
    profiles' rights), two more for the accounts whose grants the grants cache lacks,
    whatever their number."""
    if request.status != Status.PENDING or request.is_expired:
        return []
    if request.profile is not None and not request.profile.enabled:
        return []  # the approve service refuses it (REQ-010) until it is enabled again
    if request.profile is None:
        holders = Q(is_superuser=True)
    else:
        holders = perform_holders(request.profile, request.workflow)
    candidates = get_user_model().objects.filter(holders, is_active=True)
    if request.requester_id is not None:  # pk=None would match no account anyway
        candidates = candidates.exclude(pk=request.requester_id)
    approved = set(request.approvals.values_list("approver_id", flat=True))
    with revision.read_once():
        return [
            user
            for user in deciders(candidates.distinct().order_by("username"), request)
            if user.pk not in approved
        ]


@dataclass
class ApprovalState:
    """Dual control on one request, as its pages show it: the approvals given (who, when,
    their comment), how many it needs, and who may still approve (eligible approvers, as the
    access policy says, who have not approved yet: ``approvers_of``)."""

    given: list[RequestApproval]
    required: int
    still_eligible: list[User] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.given)

    @property
    def missing(self) -> int:
        return max(self.required - self.count, 0)

    @property
    def shown(self) -> bool:
        """Worth a section of its own: the profile asks for more than one approval, or more
        than one was given (under an earlier setting)."""
        return self.required > 1 or self.count > 1

    def approved_by(self, user: Principal) -> RequestApproval | None:
        return next((a for a in self.given if a.approver_id == getattr(user, "pk", None)), None)


def approval_state(request: Request) -> ApprovalState:
    given = list(request.approvals.select_related("approver"))
    eligible = approvers_of(request) if request.status == Status.PENDING else []
    return ApprovalState(given, request.approvals_required, eligible)
