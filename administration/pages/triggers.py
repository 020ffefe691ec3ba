"""Triggers under /manage/triggers/: the list, one trigger, the email and REST forms, the
signing secret (shown once, on the answer that created or rotated it), sending a test, and
deletion (refused while profiles list the trigger) — all over
administration/services/triggers.py, the service the admin API calls too."""

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import EmailValidator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from administration.pages.access import staff_required
from administration.pages.listing import SearchQuery
from administration.pages.trigger_forms import (
    FORMS,
    PLACEHOLDERS,
    EmailTriggerForm,
    Recipients,
    event_label,
    recipients_initial,
)
from administration.services import triggers as services
from profiles.models import Profile
from raportal.errors import DomainError
from raportal.query_strings import reads_query
from triggers.definition import trigger_json
from triggers.models import Trigger, TriggerType
from triggers.profile_triggers import profiles_naming

PAGE_SIZE = 50
# A test's address stands for every recipient an event would name (triggers/delivery/email.py).
TEST_ADDRESS_KEYS = (
    "request.requester.email",
    "request.approver.email",
    "request.contactEmail",
    "certificate.contactEmail",
    "certificate.owner.email",
    "team.contactEmail",
    "team.managers.emails",
    "certificate.rfc822Names",
    "profile.operators.emails",
)


def no_store(response: HttpResponse) -> HttpResponse:
    """A page with a signing secret must not be kept by any cache."""
    response["Cache-Control"] = "no-store"
    return response


def profiles_by_trigger() -> dict[str, list[str]]:
    """Trigger name → the profiles whose triggers list it (one query for every trigger)."""
    found: dict[str, set[str]] = defaultdict(set)
    rows = Profile.objects.exclude(triggers={}).values_list("name", "triggers")
    for profile_name, triggers in rows:
        for entries in (triggers or {}).values():
            for entry in entries or []:
                name = entry.get("name") if isinstance(entry, dict) else entry
                if isinstance(name, str):
                    found[name].add(profile_name)
    return {name: sorted(names) for name, names in found.items()}


@staff_required
@reads_query(SearchQuery)
def trigger_list(request, query: SearchQuery):
    q = query.value("q").strip()
    triggers = Trigger.objects.order_by("name")
    if not query.is_valid():
        triggers = triggers.none()
    elif q:
        triggers = triggers.filter(Q(name__icontains=q) | Q(event__icontains=q))
    page = Paginator(triggers, PAGE_SIZE).get_page(query.value("page"))
    listed = profiles_by_trigger()
    rows = [(trigger, listed.get(trigger.name, [])) for trigger in page]
    return render(
        request,
        "administration/triggers.html",
        {"page": page, "rows": rows, "q": q, "query": query},
        status=query.page_status,
    )


def _trigger(pk: int) -> Trigger:
    return get_object_or_404(Trigger, pk=pk)


@staff_required
def trigger_detail(request, pk: int):
    trigger = _trigger(pk)
    return render(request, "administration/trigger_detail.html", _detail_context(trigger))


def _detail_context(trigger: Trigger) -> dict[str, Any]:
    body = trigger_json(trigger)  # header values masked when secret
    return {
        "trigger": trigger,
        "body": body,
        "event_words": event_label(trigger.event),
        "template": body.get("emailTemplate") or {},
        "sequence": body.get("sequence") or [],
        "attachments": [
            flag
            for flag in (
                "attachPemCertificate",
                "attachPemBundle",
                "attachDerCertificate",
                "attachPkcs7",
                "attachPkcs7Bundle",
            )
            if body.get(flag)
        ],
        "used_by": profiles_naming(trigger.name),
        "signed": trigger.sealed_signing_secret is not None,
    }


@staff_required
@sensitive_post_parameters("headers")
@require_http_methods(["GET", "HEAD", "POST"])
def trigger_create(request, kind: str):
    if kind not in FORMS:
        raise Http404("no such kind of trigger")
    return _trigger_form(request, kind, None)


@staff_required
@sensitive_post_parameters("headers")
@require_http_methods(["GET", "HEAD", "POST"])
def trigger_edit(request, pk: int):
    trigger = _trigger(pk)
    return _trigger_form(request, trigger.type, trigger)


@sensitive_variables("saved", "body", "data")
def _trigger_form(request, kind: str, trigger: Trigger | None):
    form_class = FORMS[kind]
    initial: dict[str, Any] = {}
    recipients_start: list[dict[str, str]] = []
    if trigger is not None:
        body = trigger_json(trigger)
        initial = form_class.initial_of(body)
        recipients_start = recipients_initial(body)
    data = request.POST if request.method == "POST" else None
    form = form_class(data, initial=initial, trigger=trigger)
    recipients = (
        Recipients(data, initial=recipients_start, prefix="to")
        if kind == TriggerType.EMAIL
        else None
    )
    if data is not None and form.is_valid() and (recipients is None or recipients.is_valid()):
        if isinstance(form, EmailTriggerForm):
            assert recipients is not None, "an email form comes with its recipients"
            found = [row.recipient() for row in recipients.forms]
            body = form.horizon([r for r in found if r])
        else:
            body = form.horizon()
        try:
            if trigger is None:
                saved = services.create_trigger(request.user, body)
            else:
                saved = services.update_trigger(request.user, trigger, body)
        except DomainError as error:
            form.add_error(None, f"{error.detail} ({error.code})")
        else:
            created = trigger is None
            if saved.signing_secret:
                return _secret_page(request, saved, created=created)
            word = "created" if created else "saved"
            messages.success(request, f"Trigger {saved.trigger.name} {word}.")
            return redirect("admin-trigger-detail", saved.trigger.pk)
    return render(
        request,
        "administration/trigger_form.html",
        {
            "form": form,
            "recipients": recipients,
            "trigger": trigger,
            "kind": kind,
            "created": trigger is None,
            "placeholders": PLACEHOLDERS,
        },
        status=400 if data is not None else 200,
    )


def _secret_page(request, saved: services.Saved, *, created: bool) -> HttpResponse:
    """The signing secret, on the answer to the POST that made it and nowhere else."""
    return no_store(
        render(
            request,
            "administration/trigger_secret.html",
            {"trigger": saved.trigger, "secret": saved.signing_secret, "created": created},
        )
    )


@staff_required
@require_POST
@sensitive_variables("saved")
def trigger_rotate(request, pk: int):
    trigger = _trigger(pk)
    if not request.POST.get("confirm"):
        messages.error(request, "Tick “Yes, replace the signing secret” to confirm, then rotate.")
        return redirect("admin-trigger-detail", trigger.pk)
    try:
        saved = services.rotate_signing_secret(request.user, trigger)
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("admin-trigger-detail", trigger.pk)
    return _secret_page(request, saved, created=False)


@staff_required
@require_POST
def trigger_delete(request, pk: int):
    trigger = _trigger(pk)
    if not request.POST.get("confirm"):
        messages.error(request, "Tick “Yes, delete this trigger” to confirm, then delete.")
        return redirect("admin-trigger-detail", trigger.pk)
    name = trigger.name
    try:
        services.delete_trigger(request.user, trigger)
    except DomainError as error:
        messages.error(request, f"Trigger {name} not deleted: {error.detail}.")
        return redirect("admin-trigger-detail", trigger.pk)
    messages.success(request, f"Trigger {name} deleted.")
    return redirect("admin-trigger-list")


@staff_required
@require_POST
def trigger_test(request, pk: int):
    """Sends the saved trigger once, now, with sample values (services.SAMPLE), and shows
    what happened; header values that look secret stay masked."""
    trigger = _trigger(pk)
    address = (request.POST.get("address") or "").strip()
    dictionary = {}
    if address:
        try:
            EmailValidator()(address)
        except ValidationError:
            messages.error(request, "Not tested: the test address is not an email address.")
            return redirect("admin-trigger-detail", trigger.pk)
        dictionary = dict.fromkeys(TEST_ADDRESS_KEYS, address)
    try:
        result = services.test_trigger(request.user, trigger_json(trigger), dictionary)
    except DomainError as error:
        messages.error(request, f"Not tested: {error.detail}")
        return redirect("admin-trigger-detail", trigger.pk)
    return render(
        request,
        "administration/trigger_test.html",
        {
            "trigger": trigger,
            "result": result,
            "sample": sorted({**services.SAMPLE, **dictionary}.items()),
        },
    )
