"""The audit log: newest first, filtered by actor, action, object type, dates and outcome;
each row names its object and links to its page when it has one, and shows what changed
(administration/pages/audit_rows.py). The number of queries does not grow with the rows:
objects are looked up per kind, once per page."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from administration.pages import audit_rows
from administration.pages.access import staff_required
from raportal.events import export_lines, row_status, verify_events
from raportal.models import AuditEvent
from raportal.query_strings import QueryField, QueryForm, reads_query

PAGE_SIZE = 50

# The kinds of objects the portal records (AuditEvent.object_type: model names). A fixed
# list: asking the table for its distinct values would read all of it.
OBJECT_TYPES = [
    "apicredential",
    "certificate",
    "certificateauthority",
    "discoverycampaign",
    "eventcheckpoint",  # the purge of events past their retention (event.purge)
    "label",
    "profile",
    "request",
    "team",
    "trigger",
    "user",
]


class AuditFilterForm(QueryForm):
    actor = QueryField(label="Actor (username)")
    action = QueryField(label="Action starts with")
    type = forms.ChoiceField(
        required=False,
        label="Object type",
        choices=[("", "any"), *[(t, t) for t in OBJECT_TYPES]],
    )
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="Until", widget=forms.DateInput({"type": "date"}))
    status = QueryField(label="Outcome (status)")

    def clean(self):
        data = super().clean()
        assert data is not None, "Form.clean returns cleaned_data"
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "Choose a day after “From”.")
        return data


def filtered_events(form: AuditFilterForm):
    """The events the filters ask for, newest first; none while a filter is wrong (its error
    is shown beside it)."""
    events = AuditEvent.objects.select_related("actor").order_by("-at", "-pk")
    if not form.is_valid():
        return events.none(), True
    data = {key: value for key, value in form.cleaned_data.items() if value and key != "page"}
    if "actor" in data:
        events = events.filter(actor__username__iexact=data["actor"].strip())
    if "action" in data:
        events = events.filter(action__startswith=data["action"].strip())
    if "type" in data:
        events = events.filter(object_type=data["type"])
    if "since" in data:
        events = events.filter(at__date__gte=data["since"])
    if "until" in data:
        events = events.filter(at__date__lte=data["until"])
    if "status" in data:
        events = events.filter(detail__status=data["status"].strip())
    return events, bool(data)


@staff_required
@reads_query(AuditFilterForm)
def audit_log(request, query: AuditFilterForm):
    form = query
    events, active = filtered_events(form)
    page = Paginator(events, PAGE_SIZE).get_page(form.value("page"))
    events_shown = list(page)
    return render(
        request,
        "administration/audit.html",
        {
            "page": page,
            "rows": audit_rows.rows(events_shown, row_status(events_shown)),
            "form": form,
            "active": active,
            "export_query": _export_query(request),
        },
        status=form.page_status,
    )


def _export_query(request) -> str:
    """The page's filters, for the export link and the verify form (the page left out)."""
    data = request.GET.copy()
    data.pop("page", None)
    return data.urlencode()


@staff_required
@reads_query(AuditFilterForm)
def audit_export(request, query: AuditFilterForm):
    """The filtered events as JSON lines, oldest first, streamed: each line holds the fields
    an event's hash covers with its ``hash`` and ``seal`` (raportal/events.py export_lines),
    so that an auditor holding the seal key verifies them offline."""
    events, _active = filtered_events(query)
    if not query.is_valid():  # the log shows what is wrong beside the filter
        return redirect(f"{reverse('admin-audit')}?{request.GET.urlencode()}")
    response = StreamingHttpResponse(
        export_lines(events.order_by("sequence")), content_type="application/jsonl"
    )
    response["Content-Disposition"] = 'attachment; filename="audit-events.jsonl"'
    return response


@staff_required
@require_POST
def audit_verify(request):
    """Verifies the whole chain (raportal/events.py) and says what it found on the log."""
    result = verify_events()
    if result.ok:
        messages.success(request, f"The audit chain is intact: {result.summary()}.")
    else:
        messages.error(request, f"The audit chain is broken: {result.summary()}.")
    # The filters the page had, re-encoded: nothing the form sent reaches the header as is.
    filters = QueryDict(request.POST.get("filters", "")[:2000]).urlencode()
    return redirect(f"{reverse('admin-audit')}?{filters}")
