"""The approver's pages: the queue, one request's decision page, bulk decisions. They call the
same services as the API's approve and deny (requests_app/services.py)."""

import logging
import uuid
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, Protocol

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from profiles.models import Profile, Team, Workflow
from raportal import identifiers
from raportal.callers import Principal
from raportal.errors import DomainError
from raportal.query_strings import QueryField, QueryForm, reads_query
from requests_app import services
from requests_app.approvals.forms import APPROVE, BulkForm, DecisionForm
from requests_app.approvals.queue import approval_queue, close_to_expiry, waiting_summary
from requests_app.approvals.review import review
from requests_app.models import Request, Status
from requests_app.navigation import menu_rights
from requests_app.pages.queries import approval_state, profile_label
from requests_app.pages.summary import requested

log = logging.getLogger(__name__)

PAGE_SIZE = 25
# The request's attribute the menu reads its count of waiting requests from, when the page
# counted them already (requests_app/navigation.py).
MENU_COUNT = "to_decide"
BULK_MAX = 100


class QueueQuery(QueryForm):
    q = QueryField(label="Name (CN, SAN)")
    profile = QueryField(label="Profile")
    workflow = QueryField(label="Workflow")
    requester = QueryField(label="Requester")
    team = QueryField(label="Team")
    age = QueryField(label="Waiting")
    sort = QueryField(label="Order")


def approvers_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 to accounts that may approve nothing — the menu offers them no "To decide"
    (requests_app/navigation.py: one answer for both)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not menu_rights(request)["approver"]:
            raise Http404("you approve no requests")
        return view(request, *args, **kwargs)

    return guarded


@login_required
@approvers_only
@reads_query(QueueQuery)
def queue(request: HttpRequest, query: QueueQuery) -> HttpResponse:
    return _queue_page(request, BulkForm(), query=query)


def _queue_page(
    request: HttpRequest,
    bulk_form: BulkForm,
    selected: Iterable[str] = (),
    status: int = 200,
    *,
    query: QueueQuery | None = None,
) -> HttpResponse:
    """The queue as its query string asks (the bulk form posts back to the same query, so a
    refused bulk decision shows the same page with the same boxes ticked)."""
    query = query or QueueQuery(request.GET)
    queryset, filters = approval_queue(request.user, query.params)
    if not query.is_valid():
        queryset, filters["active"] = queryset.none(), True  # nothing searched, nothing counted
        status = query.page_status
    waiting = waiting_summary(request.user)
    setattr(request, MENU_COUNT, waiting["total"])  # the menu's count: not counted twice
    paginator = Paginator(queryset, PAGE_SIZE)
    if not filters["active"]:
        paginator.count = waiting["total"]  # the same rows: no second count
    page = paginator.get_page(query.value("page"))
    now = timezone.now()
    return render(
        request,
        "approvals/queue.html",
        {
            "query": query,
            "page": page,
            "rows": [(r, close_to_expiry(r, now)) for r in page],
            "filters": filters,
            "counts": waiting["counts"],
            "total": waiting["total"],
            "workflows": Workflow.values,
            "profiles": Profile.objects.filter(pk__in=waiting["profiles"])
            .annotate(label=profile_label())
            .order_by("label", "name"),
            "teams": Team.objects.filter(pk__in=waiting["teams"]).order_by("name"),
            "bulk": bulk_form,
            "selected": {str(pk) for pk in selected},
        },
        status=status,
    )


def _pending_request(user: Principal, request_id: str | uuid.UUID) -> Request:
    """A request the user may see (404 otherwise: outsiders do not learn it exists)."""
    try:
        return services.request_get(user, request_id, deliver_secrets=False).request
    except DomainError:
        raise Http404("no such request") from None


def _refusal(user: Principal, req: Request) -> str:
    """Why the user cannot decide on this request now (the services' own checks, in the
    order they make them); empty when they can."""
    try:
        services.check_may_decide(user, req)
        services.check_pending(req)
    except DomainError as error:
        return f"You cannot decide on it: {error.detail}."
    return ""


def _approved_already(user: Principal, req: Request) -> str:
    """Dual control: why ``user`` may not approve again (they may still deny); empty when
    they may (the service's own check, services.check_not_yet_approved)."""
    try:
        services.check_not_yet_approved(user, req)
    except DomainError as error:
        return error.detail
    return ""


@login_required
@approvers_only
def decide(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    req = _pending_request(request.user, request_id)
    refusal = _refusal(request.user, req)
    approved_already = "" if refusal else _approved_already(request.user, req)
    form = DecisionForm(req, request.POST or None)
    status = 403 if request.method == "POST" and refusal else 200
    if request.method == "POST" and not refusal and form.is_valid():
        comment = form.cleaned_data["comment"]
        try:
            if form.cleaned_data["decision"] == APPROVE:
                outcome = services.request_approve(
                    request.user,
                    str(req.pk),
                    template=form.edits() or None,
                    approver_comment=comment,
                )
            else:
                outcome = services.request_deny(request.user, str(req.pk), approver_comment=comment)
        except DomainError as error:
            form.apply_domain_error(error)
        else:
            messages.success(request, _said(outcome.request))
            return redirect("request-detail", req.pk)
    return render(
        request,
        "approvals/decide.html",
        {
            "req": req,
            "refusal": refusal,
            "approved_already": approved_already,
            "approvals": approval_state(req),
            "form": form,
            "requested": requested(req),
            "review": review(req, request.user),
            "close_to_expiry": req.status == Status.PENDING and close_to_expiry(req),
        },
        status=status,
    )


def _said(req: Request) -> str:
    """What a decision did, for its message and the bulk result: the certificate it issued
    (or imported, revoked) named and linked (raportal/identifiers.py)."""
    if req.status == Status.DENIED:
        return "Denied: the requester sees your comment."
    if req.status == Status.PENDING:  # dual control: an approval short of the ones it needs
        given, needed = req.approvals.count(), req.approvals_required
        more = needed - given
        return (
            f"Approval recorded: {given} of {needed}. It runs once {more} more "
            f"approver{'s' if more > 1 else ''} approve{'' if more > 1 else 's'} it."
        )
    certificate = req.certificate
    if certificate is None:
        return f"Approved: {services.outcome_text(req)}."
    link = identifiers.certificate_link(certificate.pk, certificate.dn, certificate.serial)
    verb = services.OUTCOME_VERBS.get(req.workflow)
    if verb:
        return format_html("Approved: certificate {} {}.", link, verb)
    return format_html("Approved: {} ({}).", services.outcome_text(req), link)


@login_required
@approvers_only
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Each selected request is decided on its own: one that fails does not stop the others,
    and the page says what happened to each."""
    form = BulkForm(request.POST)
    ids = request.POST.getlist("ids")
    if len(ids) > BULK_MAX:
        messages.warning(request, f"At most {BULK_MAX} at a time: the first {BULK_MAX} only.")
        ids = ids[:BULK_MAX]
    if not ids:
        form.is_valid()
        form.add_error(None, "Select at least one request.")
    if not form.is_valid():
        return _queue_page(request, form, selected=ids, status=400)
    decide_with: Decide = (
        services.request_approve
        if form.cleaned_data["decision"] == APPROVE
        else services.request_deny
    )
    results = []
    for request_id in ids:
        results.append(
            _decide_one(request.user, request_id, decide_with, form.cleaned_data["comment"])
        )
    done = sum(1 for r in results if r["ok"])
    return render(
        request,
        "approvals/bulk_result.html",
        {"results": results, "done": done, "failed": len(results) - done},
    )


class Decide(Protocol):
    """services.request_approve or services.request_deny, as a bulk decision calls them."""

    def __call__(
        self, user: Principal, request_id: str, *, approver_comment: str | None = None
    ) -> services.Outcome: ...


def _decide_one(
    user: Principal, request_id: str, decide_with: Decide, comment: str
) -> dict[str, Any]:
    """One request of a bulk decision, in its own transaction (the services'): whatever
    happens to it is reported, and the next one is decided all the same."""
    try:
        uuid.UUID(request_id)
    except ValueError:
        return {"id": request_id, "ok": False, "message": "not a request identifier"}
    try:
        outcome = decide_with(user, request_id, approver_comment=comment)
    except DomainError as error:
        req = Request.objects.visible_to(user).filter(pk=request_id).first()
        return {
            "id": request_id,
            "req": req,
            "ok": False,
            "message": error.detail,
            "code": error.code,
        }
    except Exception:  # reported on the page; the others are still decided
        log.exception("bulk decision on request %s failed", request_id)
        return {"id": request_id, "ok": False, "message": "an unexpected error (logged)"}
    return {"id": request_id, "req": outcome.request, "ok": True, "message": _said(outcome.request)}
