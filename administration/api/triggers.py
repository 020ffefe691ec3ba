"""Horizon's TriggerApi: ``/api/v1/triggers`` (list, add, update, test) and
``/api/v1/triggers/{name}`` (get, delete), bodies read with the official client's models
(EmailNotification, REST). Email and REST triggers are served; the other kinds of the
client's union (AWS, Azure Key Vault, F5, Intune, LDAP…) are refused with TRIG-002.

The answer to ``add`` carries ``signingSecret`` once for a REST trigger: the key receivers
check ``X-RAPortal-Signature`` with (not in Horizon's shape; the client ignores it).
"""

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from administration.api.base import (
    AcceptAnyView,
    conflict_answer,
    empty_answer,
    ignore,
    named,
    no_content_if_empty,
)
from administration.services import triggers as services
from raportal.api.bodies import unknown_fields, validated
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import invalid_request
from raportal.horizon_models import REST, EmailNotification
from triggers.definition import trigger_json
from triggers.models import Trigger

MODELS: dict[str, type[EmailNotification] | type[REST]] = {
    "email": EmailNotification,
    "rest": REST,
}
CONFLICT = conflict_answer("The trigger exists already, or profiles still list it")


def read_trigger(request, data: Any) -> dict[str, Any]:
    """A trigger body checked with the client's model for its type, as camelCase JSON."""
    if not isinstance(data, dict):
        raise invalid_request("expected a JSON object")
    model = MODELS.get(str(data.get("type")))
    if model is None:
        raise invalid_request(
            f"trigger type {str(data.get('type'))[:40]!r}: email and rest triggers are supported"
        )
    ignore(request, *unknown_fields(data, model, also_known={"_id", "signingSecret"}))
    body: EmailNotification | REST = validated(model, data, invalid_request)
    return body.to_dict()


def with_secret(saved: services.Saved) -> dict[str, Any]:
    body = trigger_json(saved.trigger)
    if saved.signing_secret:
        body["signingSecret"] = saved.signing_secret
    return body


class TriggerListView(AcceptAnyView):
    kind = "trigger"

    @extend_schema(
        operation_id="trigger_list", responses={**answers(LIST_OF_OBJECTS, 403), **empty_answer()}
    )
    def get(self, request):
        triggers = Trigger.objects.order_by("name")
        types = request.query_params.getlist("types")
        if types:
            triggers = triggers.filter(type__in=types)
        return no_content_if_empty([trigger_json(t) for t in triggers])

    @extend_schema(
        operation_id="trigger_add",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, ok_status=201), **CONFLICT},
    )
    def post(self, request):
        saved = services.create_trigger(request.user, read_trigger(request, request.data))
        return Response(with_secret(saved), status=201)

    @extend_schema(
        operation_id="trigger_update", request=OBJECT, responses=answers(OBJECT, 400, 403, 404)
    )
    def put(self, request):
        data = read_trigger(request, request.data)
        trigger = named(Trigger.objects, "trigger", data.get("name") or "")
        return Response(with_secret(services.update_trigger(request.user, trigger, data)))

    @extend_schema(operation_id="trigger_test", request=OBJECT, responses=answers(OBJECT, 400, 403))
    def patch(self, request):
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("trigger"), dict):
            raise invalid_request("expected {trigger: …, dictionary: [{key, value}…]}")
        entries = body.get("dictionary") or []
        if not isinstance(entries, list):
            raise invalid_request("dictionary: a list of {key, value} objects")
        dictionary = {}
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                dictionary[entry["key"]] = str(entry.get("value") or "")
        data = read_trigger(request, body["trigger"])
        return Response(services.test_trigger(request.user, data, dictionary))


class TriggerDetailView(AcceptAnyView):
    kind = "trigger"

    @extend_schema(operation_id="trigger_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, name):
        return Response(trigger_json(named(Trigger.objects, "trigger", name)))

    @extend_schema(
        operation_id="trigger_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, name):
        services.delete_trigger(request.user, named(Trigger.objects, "trigger", name))
        return Response(status=204)


urlpatterns = [
    path("api/v1/triggers", TriggerListView.as_view()),
    path("api/v1/triggers/<text:name>", TriggerDetailView.as_view()),
]
