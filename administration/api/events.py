"""Horizon's events API (the official client's ``EventApi``): the sealed audit log, for
administrators.

- ``GET /api/v1/events/{id}``: one event (EventResponse); unknown id: 404 EVT-003.
- ``POST /api/v1/events/search``: EventSearchQuery → EventSearchResultsResponse
  (administration/event_search.py: fields, sorting); a bad query: 400 EVT-002.
- ``GET /api/v1/events/verify?id=&from=&to=`` (the client's ``event_validate``) and
  ``POST /api/v1/events/validate`` (the same, ``id``/``from``/``to`` in a JSON body or the
  query string): verifies the chain (raportal/events.py) — all of it, one event, or a range
  of event ids. Intact: 201, as the client's contract documents, with a summary; broken:
  400 EVT-004 "Invalid Event" whose ``detail`` names the first broken event (its id, its
  sequence and what broke); an unknown id: 404 EVT-003.
"""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from administration.api.base import AdminApiView
from administration.event_search import (
    DEFAULT_EVENT_ORDER,
    EVENT_FIELDS,
    EVENT_SORTS,
    event_json,
)
from hrql import page
from hrql.fields import QueryError
from hrql.parser import to_q
from raportal.api.schema import OBJECT, answers
from raportal.errors import DomainError
from raportal.events import EventNotFound, Verification, event_pk, verify_events
from raportal.models import AuditEvent


def bad_search(detail: str) -> DomainError:
    return DomainError("EVT-002", detail)


def event_not_found(reference) -> DomainError:
    return DomainError("EVT-003", f"no event {str(reference)[:64]!r}")


class EventDetailView(AdminApiView):
    @extend_schema(operation_id="event_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, event_id):
        pk = event_pk(event_id)
        event = AuditEvent.objects.filter(pk=pk).first() if pk is not None else None
        if event is None:
            raise event_not_found(event_id)
        return Response(event_json(event))


class EventSearchView(AdminApiView):
    @extend_schema(
        operation_id="event_search",
        request=OpenApiTypes.OBJECT,
        responses=answers(OBJECT, 400, 403),
    )
    def post(self, request):
        search = page.read_search_body(request.data, bad_search)
        try:
            condition = to_q(search.query, EVENT_FIELDS)
        except QueryError as exc:
            raise bad_search(str(exc)) from None
        order = page.ordering(search, EVENT_SORTS, DEFAULT_EVENT_ORDER, bad_search)
        events = AuditEvent.objects.filter(condition).order_by(*order)
        rows, has_more, count = page.one_page(events, search)
        results = [event_json(event) for event in rows]
        return Response(page.results_json(results, search, has_more, count))


def _verified(references: dict) -> Response:
    references = {
        key: None if value in (None, "") else str(value) for key, value in references.items()
    }
    try:
        result: Verification = verify_events(
            event_id=references.get("id"),
            from_id=references.get("from"),
            to_id=references.get("to"),
        )
    except EventNotFound as exc:
        raise event_not_found(exc.reference) from None
    if not result.ok:
        raise DomainError("EVT-004", result.summary())
    return Response(
        {
            "valid": True,
            "checked": result.checked,
            "first": result.first,
            "last": result.last,
            "checkpoint": result.checkpoint,
            "summary": result.summary(),
        },
        status=201,
    )


REFERENCES = [
    OpenApiParameter(name, str, description=description)
    for name, description in (
        ("id", "Verify this event only"),
        ("from", "From this event on"),
        ("to", "Up to this event"),
    )
]


class EventVerifyView(AdminApiView):
    @extend_schema(
        operation_id="event_validate",
        parameters=REFERENCES,
        responses=answers(OBJECT, 400, 403, 404, ok_status=201),
    )
    def get(self, request):
        return _verified({key: request.query_params.get(key) for key in ("id", "from", "to")})


class EventValidateView(AdminApiView):
    @extend_schema(
        operation_id="event_validate_post",
        parameters=REFERENCES,
        request=OpenApiTypes.OBJECT,
        responses=answers(OBJECT, 400, 403, 404, ok_status=201),
    )
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        references = {}
        for key in ("id", "from", "to"):
            value = body.get(key, request.query_params.get(key))
            if isinstance(value, bool) or not isinstance(value, str | int | None):
                raise DomainError("EVT-004", f"{key}: expected an event id")
            references[key] = value
        return _verified(references)


urlpatterns = [
    # The fixed paths before api/v1/events/<id>, which would take their names as ids.
    path("api/v1/events/search", EventSearchView.as_view(), name="api-event-search"),
    path("api/v1/events/verify", EventVerifyView.as_view(), name="api-event-verify"),
    path("api/v1/events/validate", EventValidateView.as_view(), name="api-event-validate"),
    path("api/v1/events/<text:event_id>", EventDetailView.as_view(), name="api-event"),
]
