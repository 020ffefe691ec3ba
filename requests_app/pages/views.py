"""The requester's pages: ask for a certificate, follow one's requests. They call the same
services as the API (requests_app/services.py)."""

import base64
import uuid
from collections.abc import Callable
from typing import Any

from cryptography import x509
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from certificates.pages.views import visible_certificate
from certificates.pki import filenames, names
from certificates.pki.csr import load_csr
from certificates.pki.keys import key_type_of
from profiles.access import granted_profiles, profile_level
from profiles.models import Profile, Workflow
from raportal.callers import Principal
from raportal.errors import DomainError
from raportal.models import AuditEvent, PageVisit
from raportal.query_strings import QueryField, QueryForm, reads_query
from requests_app import services
from requests_app.models import Request, Status
from requests_app.pages.actions import FORMS, available_actions
from requests_app.pages.enrollment import device_enrollment
from requests_app.pages.forms import EnrollForm
from requests_app.pages.import_form import ImportForm
from requests_app.pages.queries import approval_state, my_requests
from requests_app.pages.summary import requested
from requests_app.pages.trigger_panel import trigger_panel_context
from requests_app.workflows import handler_for
from requests_app.workflows.lookups import find_profile

# Never copied into an error report (Django filters them from the POST it shows).
# "private_key": what the import page asked for before PKCS#12 uploads (a stale tab may send it).
SECRET_FIELDS = ("password", "password2", "pkcs12_password", "private_key")


def no_store(response: HttpResponse) -> HttpResponse:
    """Pages that carry a password or a key must not be cached anywhere."""
    response["Cache-Control"] = "no-store"
    return response


@login_required
def enroll_profiles(request: HttpRequest) -> HttpResponse:
    granted = granted_profiles(request.user, Workflow.ENROLL)
    profiles = (
        Profile.objects.enabled()
        .filter(module="webra", pk__in=granted.values("pk"))
        .order_by("display_name", "name")
    )
    return render(request, "requests/enroll_profiles.html", {"profiles": profiles})


@login_required
@sensitive_post_parameters(*SECRET_FIELDS)
def enroll(request: HttpRequest, name: str) -> HttpResponse:
    try:
        profile = find_profile(name, "webra")
    except DomainError:
        raise Http404("no such profile") from None
    if profile_level(request.user, profile, Workflow.ENROLL) is None:
        raise Http404("no such profile")
    form = EnrollForm(profile, request.user, request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        handler = handler_for("webra", "enroll")
        submission = form.to_submission()
        try:
            if request.POST.get("action") == "preview":
                outcome = services.request_submit(
                    request.user, handler, submission | {"dryRun": True}
                )
                preview = _preview(outcome.request, submission)
            else:
                outcome = services.request_submit(
                    request.user, handler, submission, hand_over_later=True
                )
                return redirect("request-detail", outcome.request.pk)
        except DomainError as error:
            form.apply_domain_error(error)
    return no_store(
        render(
            request,
            "requests/enroll_form.html",
            {"profile": profile, "form": form, "preview": preview},
        )
    )


def _preview(dry_request: Request, submission: dict[str, Any]) -> dict[str, Any]:
    """What the certificate will say, from the services' dry run."""
    sans = [
        (item["type"], value)
        for item in dry_request.template.get("sans", [])
        for value in item["value"]
    ]
    preview: dict[str, Any] = {
        "dn": dry_request.dn or "(empty: the names are in the SANs)",
        "sans": [(names.SAN_LABELS[t], v) for t, v in sans],
        "status": dry_request.status,
        "key": dry_request.template.get("keyType"),
    }
    csr_text = submission["template"].get("csr")
    if csr_text:
        csr = load_csr(csr_text)
        try:
            csr_sans = names.sans_of(csr.extensions)
        except ValueError:
            csr_sans = []
        preview["csr"] = {
            "subject": names.name_string(csr.subject) or "(empty)",
            "sans": [(names.SAN_LABELS[t], v) for t, v in csr_sans],
            "key_type": key_type_of(csr.public_key()),
        }
    return preview


class RequestQuery(QueryForm):
    status = QueryField(label="Status")
    workflow = QueryField(label="Workflow")
    profile = QueryField(label="Profile")
    since = QueryField(label="Since")
    sort = QueryField(label="Order", widget=forms.HiddenInput)


@login_required
@reads_query(RequestQuery)
def request_list(request, query: RequestQuery):
    queryset, filters = my_requests(request.user, query.params)
    if not query.is_valid():
        queryset = queryset.none()  # nothing searched for what cannot be searched
    page = Paginator(queryset, 20).get_page(query.value("page"))
    return render(
        request,
        "requests/request_list.html",
        {
            "query": query,
            "page": page,
            "filters": filters,
            "statuses": Status.values,
            "workflows": Workflow.values,
            "decided": _decided_since_last_visit(
                request.user, mark=page.number == 1 and not filters["active"]
            ),
        },
        status=query.page_status,
    )


def _decided_since_last_visit(user: Principal, *, mark: bool) -> set[uuid.UUID]:
    """The user's requests someone else decided since they last saw their whole list. Only
    the unfiltered first page counts as seeing it: paging or filtering does not reset it."""
    since = PageVisit.previous(user, "my-requests", mark_at=timezone.now() if mark else None)
    if since is None:
        return set()
    return set(Request.objects.mine(user).decided_since(since).values_list("pk", flat=True))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def request_detail(request: HttpRequest, request_id) -> HttpResponse:
    """The request; its PKCS#12 and password are handed over only on an explicit POST (the
    "Get your key" button, CSRF-checked), never on a GET a prefetcher or preview could make."""
    deliver = request.method == "POST"
    try:
        outcome = services.request_get(request.user, request_id, deliver_secrets=deliver)
    except DomainError:
        raise Http404("no such request") from None
    req = outcome.request
    context = {
        "req": req,
        "own": req.is_requested_by(request.user),
        "history": AuditEvent.objects.filter(object_type="request", object_id=str(req.pk))
        .select_related("actor")
        .order_by("at"),
        "requested": requested(req),
        "enrollment": device_enrollment(req),
        "can_cancel": _passes(services.check_may_cancel, request.user, req),
        "can_decide": req.status == Status.PENDING
        and _passes(services.check_may_decide, request.user, req),
        "approvals": (approvals := approval_state(req)),
        "approvers": approvals.still_eligible,
        "can_collect": outcome.secrets is None and req.has_secrets_for(request.user),
        **trigger_panel_context(request.user, req),
    }
    if outcome.secrets is not None:
        context["secrets"] = {
            "password": outcome.secrets.password,
            "pkcs12": base64.b64encode(outcome.secrets.pkcs12).decode()
            if outcome.secrets.pkcs12
            else None,
            "filename": _p12_name(req),
        }
    response = render(request, "requests/request_detail.html", context)
    return no_store(response) if outcome.secrets is not None else response


def _passes(check: Callable[[Principal, Request], object], user: Principal, req: Request) -> bool:
    """Whether a service's precondition check lets ``user`` act on ``req`` (for a button)."""
    try:
        check(user, req)
    except DomainError:
        return False
    return True


def _p12_name(req: Request) -> str:
    """Named as the certificate downloads are: CN and short serial."""
    certificate = req.certificate
    if certificate is None:
        return f"{req.pk}.p12"
    cert = x509.load_pem_x509_certificate(certificate.pem.encode())
    return filenames.download_name(cert, certificate.serial, "p12")


@login_required
@require_POST
def request_cancel(request, request_id):
    if not request.POST.get("confirm"):
        try:
            services.request_get(request.user, request_id, deliver_secrets=False)
        except DomainError:
            raise Http404("no such request") from None
        messages.error(request, "Tick “Yes, withdraw this request” to confirm, then cancel.")
        return redirect("request-detail", request_id)
    try:
        services.request_cancel(request.user, request_id)
        messages.success(request, "The request is canceled.")
    except DomainError as error:
        if error.code == "REQ-003":
            raise Http404("no such request") from None
        messages.error(request, f"{error.detail} ({error.code})")
    return redirect("request-detail", request_id)


def _submit(request, form, workflow: str, **context):
    """Submits a valid form through the services; on success, to the request's page."""
    try:
        outcome = services.request_submit(
            request.user,
            handler_for("webra", workflow),
            form.to_submission(),
            hand_over_later=True,
        )
    except DomainError as error:
        form.apply_domain_error(error)
        return None
    word = "done" if outcome.request.status == Status.COMPLETED else "submitted for approval"
    messages.success(request, f"{workflow.capitalize()} {word}.")
    return redirect("request-detail", outcome.request.pk)


@login_required
@sensitive_post_parameters(*SECRET_FIELDS)
def certificate_action(
    request: HttpRequest, certificate_id: uuid.UUID, action: str
) -> HttpResponse:
    certificate = visible_certificate(request.user, certificate_id)
    offered = {a.workflow: a for a in available_actions(request.user, certificate)}
    if action not in FORMS or action not in offered:
        raise Http404("not an action you may take on this certificate")
    form = FORMS[action](
        certificate,
        request.user,
        request.POST or None,
        request.FILES or None,
        initial={"target": request.GET.get("target")},  # migrate's first step
    )
    if request.method == "POST" and offered[action].allowed and form.is_valid():
        done = _submit(request, form, action)
        if done:
            return done
    return no_store(
        render(
            request,
            "certificates/certificate_action.html",
            {"certificate": certificate, "action": offered[action], "form": form},
        )
    )


@login_required
@sensitive_post_parameters(*SECRET_FIELDS)
def import_certificate(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.user, request.POST or None, request.FILES or None)
    if not form.profile_choices:
        raise Http404("you may not import certificates")
    if request.method == "POST" and form.is_valid():
        done = _submit(request, form, Workflow.IMPORT)
        if done:
            if form.key_left_out:
                messages.info(
                    request,
                    "This profile does not keep keys: the certificate was imported without "
                    "the key of the PKCS#12 file, which the portal did not keep.",
                )
            return done
    return no_store(render(request, "requests/import.html", {"form": form}))
