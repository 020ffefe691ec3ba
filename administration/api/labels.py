"""Horizon's label catalogue (``CertificateLabelApi``): the labels that profiles' label rules
refer to.

``PUT`` replaces the label named in the body (Horizon sends the whole object): a display name
or description left out is cleared. A label that a profile's label rule still uses cannot be
deleted (409, naming the profiles): remove it from those profiles first.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from administration.api.base import (
    AcceptAnyView,
    conflict_answer,
    empty_answer,
    named,
    no_content_if_empty,
    read_body,
)
from administration.localized import from_localized, localized
from administration.services import labels as services
from profiles.models import Label
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.horizon_models import Label as LabelBody

CONFLICT = conflict_answer("The label exists already, or profiles still use it")
EMPTY = empty_answer("No labels")


def label_json(label: Label) -> dict:
    """Horizon's LabelResponse."""
    return {
        "_id": str(label.pk),
        "name": label.name,
        "displayName": localized(label.display_name),
        "description": localized(label.description),
    }


def label_texts(body) -> dict[str, str]:
    """A Horizon label's localized texts as the services take them."""
    return {
        "display_name": from_localized(body.display_name),
        "description": from_localized(body.description),
    }


class LabelListView(AcceptAnyView):
    kind = "label"

    @extend_schema(operation_id="label_list", responses={**answers(LIST_OF_OBJECTS, 403), **EMPTY})
    def get(self, request):
        return no_content_if_empty([label_json(label) for label in Label.objects.order_by("name")])

    @extend_schema(
        operation_id="label_add",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, ok_status=201), **CONFLICT},
    )
    def post(self, request):
        body = read_body(request, LabelBody)
        label = services.create_label(request.user, name=body.name, **label_texts(body))
        return Response(label_json(label), status=201)

    @extend_schema(
        operation_id="label_update", request=OBJECT, responses=answers(OBJECT, 400, 403, 404)
    )
    def put(self, request):
        body = read_body(request, LabelBody)
        label = named(Label.objects, "label", body.name)
        label = services.update_label(request.user, label, **label_texts(body))
        return Response(label_json(label))


class LabelDetailView(AcceptAnyView):
    kind = "label"

    @extend_schema(operation_id="label_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, name):
        return Response(label_json(named(Label.objects, "label", name)))

    @extend_schema(
        operation_id="label_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, name):
        services.delete_label(request.user, named(Label.objects, "label", name))
        return Response(status=204)


urlpatterns = [
    path("api/v1/certificate/labels", LabelListView.as_view()),
    path("api/v1/certificate/labels/<text:name>", LabelDetailView.as_view()),
]
