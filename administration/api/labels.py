"""Horizon's label catalogue (``CertificateLabelApi``): the labels that profiles' label rules
refer to.

``PUT`` replaces the label named in the body (Horizon sends the whole object): a display name
or description left out is cleared. A label that a profile's label rule still uses cannot be
deleted (409, naming the profiles): remove it from those profiles first.
"""

from django.db import IntegrityError, transaction
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from administration.api.base import (
    AcceptAnyView,
    already_exists,
    checked_name,
    conflict,
    conflict_answer,
    empty_answer,
    named,
    no_content_if_empty,
    read_body,
    set_texts,
)
from administration.localized import localized
from profiles.models import Label, LabelRule
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.horizon_models import Label as LabelBody
from raportal.models import record

CONFLICT = conflict_answer("The label exists already, or profiles still use it")
EMPTY = empty_answer("No labels")
NAME_MAX = Label._meta.get_field("name").max_length


def label_json(label: Label) -> dict:
    """Horizon's LabelResponse."""
    return {
        "_id": str(label.pk),
        "name": label.name,
        "displayName": localized(label.display_name),
        "description": localized(label.description),
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
        label = Label(name=checked_name(body.name, "label", NAME_MAX))
        set_texts(label, body)
        try:
            with transaction.atomic():
                label.save()
                record(request.user, "label.create", label, name=label.name)
        except IntegrityError:
            raise already_exists("label", body.name) from None
        return Response(label_json(label), status=201)

    @extend_schema(
        operation_id="label_update", request=OBJECT, responses=answers(OBJECT, 400, 403, 404)
    )
    def put(self, request):
        body = read_body(request, LabelBody)
        with transaction.atomic():
            label = named(Label.objects, "label", body.name, lock=True)
            set_texts(label, body)
            label.save()
            record(request.user, "label.update", label, name=label.name)
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
        with transaction.atomic():
            label = named(Label.objects, "label", name, lock=True)
            users = sorted(
                set(LabelRule.objects.filter(label=name).values_list("profile__name", flat=True))
            )
            if users:
                raise conflict(
                    f"label {name!r} is used by the label rules of profile(s) "
                    f"{', '.join(users)}: remove it from them first"
                )
            record(request.user, "label.delete", label, name=label.name)
            label.delete()
        return Response(status=204)


urlpatterns = [
    path("api/v1/certificate/labels", LabelListView.as_view()),
    path("api/v1/certificate/labels/<text:name>", LabelDetailView.as_view()),
]
