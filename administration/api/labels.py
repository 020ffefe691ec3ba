"""Horizon's label catalogue (``CertificateLabelApi``): the labels that profiles' label rules
refer to.

``PUT`` replaces the label named in the body (Horizon sends the whole object): a display name
or description left out is cleared. A label that a profile's label rule still uses cannot be
deleted (409, naming the profiles): remove it from those profiles first.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from horizon.models.label import Label as LabelBody
from rest_framework.response import Response

from administration.api.base import (
    AdminApiView,
    already_exists,
    from_localized,
    localized,
    no_content_if_empty,
    not_found,
    read_body,
)
from profiles.models import Label, LabelRule
from raportal.api.problems import PROBLEM_CONTENT_TYPE
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, ProblemSerializer, answers
from raportal.errors import DomainError, invalid_request
from raportal.models import record

CONFLICT = {
    (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="The label exists already, or profiles still use it"
    )
}
EMPTY = {204: OpenApiResponse(description="No labels")}
NAME_MAX = Label._meta.get_field("name").max_length
DISPLAY_NAME_MAX = Label._meta.get_field("display_name").max_length


def label_json(label: Label) -> dict:
    """Horizon's LabelResponse."""
    return {
        "_id": str(label.pk),
        "name": label.name,
        "displayName": localized(label.display_name),
        "description": localized(label.description),
    }


def _checked_name(name: str) -> str:
    try:
        validate_slug(name)
    except ValidationError:
        raise invalid_request(
            f"name: {name[:80]!r} is not a valid label name (letters, digits, '-' and '_')"
        ) from None
    if len(name) > NAME_MAX:
        raise invalid_request(f"name: at most {NAME_MAX} characters")
    return name


def _apply(label: Label, body: LabelBody) -> None:
    label.display_name = from_localized(body.display_name)
    if len(label.display_name) > DISPLAY_NAME_MAX:
        raise invalid_request(f"displayName: at most {DISPLAY_NAME_MAX} characters")
    label.description = from_localized(body.description)


class View(AdminApiView):
    """The client accepts only ``application/problem+json`` where success has no body (its
    deletes): answer JSON, or nothing, whatever it accepts, instead of 406."""


class LabelListView(View):
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
        label = Label(name=_checked_name(body.name))
        _apply(label, body)
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
            label = Label.objects.select_for_update().filter(name=body.name).first()
            if label is None:
                raise not_found("label", body.name)
            _apply(label, body)
            label.save()
            record(request.user, "label.update", label, name=label.name)
        return Response(label_json(label))


class LabelDetailView(View):
    @extend_schema(operation_id="label_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, name):
        label = Label.objects.filter(name=name).first()
        if label is None:
            raise not_found("label", name)
        return Response(label_json(label))

    @extend_schema(
        operation_id="label_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, name):
        with transaction.atomic():
            label = Label.objects.select_for_update().filter(name=name).first()
            if label is None:
                raise not_found("label", name)
            users = sorted(
                set(LabelRule.objects.filter(label=name).values_list("profile__name", flat=True))
            )
            if users:
                raise DomainError(
                    "REQ-002",
                    f"label {name!r} is used by the label rules of profile(s) "
                    f"{', '.join(users)}: remove it from them first",
                    status=409,
                )
            record(request.user, "label.delete", label, name=label.name)
            label.delete()
        return Response(status=204)


urlpatterns = [
    path("api/v1/certificate/labels", LabelListView.as_view()),
    path("api/v1/certificate/labels/<str:name>", LabelDetailView.as_view()),
]
