"""The approver's pages: the queue, one request's decision page, bulk decisions. They call the
same services as the API's approve and deny (requests_app/services.py)."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from profiles.models import Profile, Team, Workflow
from raportal.errors import DomainError
from requests_app import services
from requests_app.approvals.forms import APPROVE, BulkForm, DecisionForm
from requests_app.approvals.queue import approval_queue, close_to_expiry, counts_per_workflow
from requests_app.approvals.review import review
from requests_app.models import Request, Status
from requests_app.pages.summary import requested

PAGE_SIZE = 25
BULK_MAX = 100


@login_required
def queue(request):
    queryset, filters = approval_queue(request.user, request.GET)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    counts = counts_per_workflow(request.user)
    return render(
        request,
        "approvals/queue.html",
        {
            "page": page,
            "rows": [(r, close_to_expiry(r, now)) for r in page],
            "filters": filters,
            "counts": counts,
            "total": sum(counts.values()),
            "workflows": Workflow.values,
            "profiles": Profile.objects.filter(name__in=_waiting_profiles(request.user)).order_by(
                "display_name", "name"
            ),
            "teams": Team.objects.filter(pk__in=_waiting(request.user, "team")).order_by("name"),
            "bulk": BulkForm(),
        },
    )


def _waiting(user, field: str):
    return Request.objects.pending_for(user).order_by().values(field).distinct()


def _waiting_profiles(user):
    return Request.objects.pending_for(user).order_by().values("profile__name").distinct()


def _pending_request(user, request_id) -> Request:
    """A request the user may see (404 otherwise: outsiders do not learn it exists)."""
    try:
        return services.request_get(user, request_id, deliver_secrets=False).request
    except DomainError:
        raise Http404("no such request") from None


def _refusal(user, req: Request) -> str:
    """Why the user cannot decide on this request now; empty when they can."""
    if req.status != Status.PENDING:
        return f"This request is {req.get_status_display().lower()}: there is nothing to decide."
    try:
        services.check_may_decide(user, req)
    except DomainError as error:
        return f"You cannot decide on it: {error.detail}."
    return ""


@login_required
def decide(request, request_id):
    req = _pending_request(request.user, request_id)
    refusal = _refusal(request.user, req)
    form = DecisionForm(req, request.POST or None)
    if request.method == "POST" and not refusal and form.is_valid():
        decide_with = (
            services.request_approve
            if form.cleaned_data["decision"] == APPROVE
            else services.request_deny
        )
        try:
            outcome = decide_with(request.user, str(req.pk), form.body())
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
            "form": form,
            "requested": requested(req),
            "review": review(req, request.user),
            "close_to_expiry": req.status == Status.PENDING and close_to_expiry(req),
        },
    )


def _said(req: Request) -> str:
    if req.status == Status.DENIED:
        return "Denied: the requester sees your comment."
    if req.certificate_id and req.workflow in ("enroll", "renew"):
        return f"Approved: certificate {req.certificate.serial} issued."
    if req.workflow == "revoke":
        return "Approved: the certificate is revoked."
    return f"Approved: the {req.workflow} is done."


@login_required
@require_POST
def bulk(request):
    """Each selected request is decided on its own: one that fails does not stop the others,
    and the page says what happened to each."""
    form = BulkForm(request.POST)
    ids = request.POST.getlist("ids")[:BULK_MAX]
    if not ids:
        messages.error(request, "Select at least one request.")
        return redirect("approval-queue")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("approval-queue")
    decide_with = (
        services.request_approve
        if form.cleaned_data["decision"] == APPROVE
        else services.request_deny
    )
    results = []
    for request_id in ids:
        results.append(_decide_one(request.user, request_id, decide_with, form.cleaned_data))
    done = sum(1 for r in results if r["ok"])
    return render(
        request,
        "approvals/bulk_result.html",
        {"results": results, "done": done, "failed": len(results) - done},
    )


def _decide_one(user, request_id: str, decide_with, data: dict) -> dict:
    try:
        uuid.UUID(request_id)
        outcome = decide_with(user, request_id, {"approverComment": data["comment"]})
    except ValueError:
        return {"id": request_id, "ok": False, "message": "not a request identifier"}
    except DomainError as error:
        req = Request.objects.visible_to(user).filter(pk=request_id).first()
        return {
            "id": request_id,
            "req": req,
            "ok": False,
            "message": error.detail,
            "code": error.code,
        }
    return {"id": request_id, "req": outcome.request, "ok": True, "message": _said(outcome.request)}
