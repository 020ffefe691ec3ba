"""The approver's own decisions: the requests they approved or denied, by day and outcome
(the dashboard's "your decisions" chart links here)."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from raportal.callers import Principal
from raportal.query_strings import QueryField, QueryForm, reads_query
from requests_app.approvals.views import approvers_only
from requests_app.models import Request, RequestQuerySet, Status

PAGE_SIZE = 25
OUTCOMES = ("approved", "denied")


class DecidedQuery(QueryForm):
    on = QueryField(label="Decided on")
    outcome = QueryField(label="Outcome")


def day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The day's first instant and the next day's, in the portal's time zone (TruncDate's)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
    return start, start + dt.timedelta(days=1)


def with_outcome(requests: RequestQuerySet, outcome: str) -> RequestQuerySet:
    """Decided requests by outcome: denied, or approved (whatever followed: completed, a
    challenge waiting for its device, a failure of the CA)."""
    if outcome == "denied":
        return requests.filter(status=Status.DENIED)
    return requests.exclude(status=Status.DENIED)


def decisions(user: Principal, day: dt.date | None, outcome: str) -> RequestQuerySet:
    """What the list shows: ``user``'s decisions, on ``day`` (the request's last change: the
    decision, or a device using its challenge afterwards) and of ``outcome`` when given —
    those the access policy still lets them see (one whose grant was taken away since is
    theirs no more)."""
    found = Request.objects.decided_by(user).visible_to(user)
    if day is not None:
        start, end = day_range(day)
        found = found.filter(updated_at__gte=start, updated_at__lt=end)
    if outcome in OUTCOMES:
        found = with_outcome(found, outcome)
    return found


@login_required
@approvers_only
@reads_query(DecidedQuery)
def decided(request: HttpRequest, query: DecidedQuery) -> HttpResponse:
    try:
        day = dt.date.fromisoformat(query.value("on")) if query.value("on") else None
    except ValueError:
        day = None
    outcome = query.value("outcome") if query.value("outcome") in OUTCOMES else ""
    found = (
        decisions(request.user, day, outcome)
        .select_related("profile", "requester", "team")
        .defer("sealed_password", "sealed_pkcs12", "sealed_key", "template", "metadata")
        .order_by("-updated_at", "pk")
        if query.is_valid()
        else Request.objects.none()
    )
    page = Paginator(found, PAGE_SIZE).get_page(query.value("page"))
    return render(
        request,
        "approvals/decided.html",
        {"query": query, "page": page, "day": day, "outcome": outcome, "outcomes": OUTCOMES},
        status=query.page_status,
    )
