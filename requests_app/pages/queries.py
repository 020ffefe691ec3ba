"""Queries behind the requester pages."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from profiles.models import GrantLevel, Team
from requests_app.models import Request, Status

SORTS = {
    "date": "created_at",
    "-date": "-created_at",
    "status": "status",
    "-status": "-status",
    "workflow": "workflow",
    "-workflow": "-workflow",
    "profile": "profile__name",
    "-profile": "-profile__name",
}


def my_requests(user, params) -> tuple:
    """The user's requests and their teams', filtered and sorted as the list page asks;
    returns the queryset and the filters as understood."""
    in_team = Team.members.through.objects.filter(team=OuterRef("team"), user=user)
    queryset = (
        Request.objects.filter(Q(requester=user) | Exists(in_team))
        .select_related("profile", "requester", "team", "certificate")
        .defer("sealed_password", "sealed_pkcs12", "sealed_key", "template")
    )
    filters = {
        "status": params.get("status") or "",
        "workflow": params.get("workflow") or "",
        "profile": params.get("profile") or "",
        "since": params.get("since") or "",
        "sort": params.get("sort") if params.get("sort") in SORTS else "-date",
    }
    if filters["status"] in Status.values:
        queryset = queryset.filter(status=filters["status"])
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
    return queryset.order_by(SORTS[filters["sort"]], "-created_at"), filters


def approvers_of(request: Request) -> list:
    """Who may decide on a pending request: holders of ``perform`` on its profile and
    workflow, directly or through a team — never its requester."""
    if request.profile_id is None:
        return list(get_user_model().objects.filter(is_superuser=True, is_active=True))
    grant = {
        "profile": request.profile_id,
        "workflow": request.workflow,
        "level": GrantLevel.PERFORM,
    }
    direct = Q(**{f"rap_grants__{k}": v for k, v in grant.items()})
    through_team = Q(**{f"rap_teams__grants__{k}": v for k, v in grant.items()})
    return list(
        get_user_model()
        .objects.filter(direct | through_team, is_active=True)
        .exclude(pk=request.requester_id)
        .distinct()
        .order_by("username")
    )
