"""The approver's queue: the pending requests a user may decide on, filtered and ordered as
the queue page asks, with the counts per workflow."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from profiles.models import Workflow
from raportal.callers import Principal
from requests_app.models import Request, RequestApproval

FILTERS = ("profile", "workflow", "requester", "team", "age", "q")
SORTS = {"newest": "-created_at", "oldest": "created_at"}
DAY = dt.timedelta(days=1)
# The "waiting" filter: (at least, less than) this long since submission. "1", "7" and "30"
# are open-ended ("over a week"); the ranges are the dashboard's queue by age.
AGES: dict[str, tuple[dt.timedelta, dt.timedelta | None]] = {
    "0-1": (dt.timedelta(0), DAY),
    "1-3": (DAY, 3 * DAY),
    "3-7": (3 * DAY, 7 * DAY),
    "1": (DAY, None),
    "7": (7 * DAY, None),
    "30": (30 * DAY, None),
}
# A request is flagged when less than this is left before it expires undecided.
CLOSE_TO_EXPIRY = dt.timedelta(days=2)


def approval_queue(
    user: Principal, params: Mapping[str, str]
) -> tuple[QuerySet[Request], dict[str, Any]]:
    """Pending requests ``user`` may approve (``perform`` on their profile and workflow, never
    their own), filtered by profile, workflow, requester, team, age and a text search on the
    subject and SANs; returns (queryset, filters as understood)."""
    # Dual control: approvals given so far, shown "k of N" (a subquery: no GROUP BY).
    given = (
        RequestApproval.objects.filter(request=OuterRef("pk"))
        .order_by()
        .values("request")
        .annotate(n=Count("*"))
        .values("n")
    )
    queryset = (
        Request.objects.decidable_by(user)
        .select_related("profile", "requester", "team")
        .defer("sealed_password", "sealed_pkcs12", "sealed_key", "template", "metadata")
        .annotate(approvals_given=Coalesce(Subquery(given), 0))
    )
    filters: dict[str, Any] = {key: (params.get(key) or "").strip() for key in FILTERS}
    filters["sort"] = params.get("sort") if params.get("sort") in SORTS else "oldest"
    if filters["profile"]:
        queryset = queryset.filter(profile__name=filters["profile"])
    if filters["workflow"] not in Workflow.values:
        filters["workflow"] = ""
    if filters["workflow"]:
        queryset = queryset.filter(workflow=filters["workflow"])
    if filters["requester"]:
        queryset = queryset.filter(requester__username__icontains=filters["requester"])
    if filters["team"]:
        queryset = queryset.filter(team__name=filters["team"])
    if filters["age"] in AGES:
        queryset = queryset.waiting_between(*AGES[filters["age"]], timezone.now())
    else:
        filters["age"] = ""
    if filters["q"]:
        queryset = queryset.search(filters["q"])
    filters["active"] = any(
        filters[k] for k in ("profile", "workflow", "requester", "team", "age", "q")
    )
    return queryset.order_by(SORTS[filters["sort"]], "pk"), filters


def waiting_summary(user: Principal) -> dict[str, Any]:
    """What waits for ``user``, in one pass over it: the count per workflow (in workflow
    order), the total, and the profiles and teams it comes from (the filters' choices)."""
    rows = (
        Request.objects.decidable_by(user)
        .order_by()
        .values_list("workflow", "profile", "team")
        .annotate(n=Count("*"))
    )
    counts: dict[str, int] = {}
    profiles: set[int] = set()
    teams: set[int] = set()
    for workflow, profile, team, n in rows:
        counts[workflow] = counts.get(workflow, 0) + n
        profiles.add(profile)
        if team is not None:
            teams.add(team)
    return {
        "counts": {w: counts[w] for w in Workflow.values if w in counts},
        "total": sum(counts.values()),
        "profiles": profiles,
        "teams": teams,
    }


def close_to_expiry(request: Request, now: dt.datetime | None = None) -> bool:
    return request.expires_at - (now or timezone.now()) <= CLOSE_TO_EXPIRY
