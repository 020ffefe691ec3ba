"""``/api/v1/certificate/profiles``: profiles in Horizon's WebRAProfile / EstProfile /
ScepProfile / AcmeProfile shapes (administration/profile_shapes.py holds the mapping)."""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from pydantic import BaseModel
from rest_framework.response import Response

from administration.api.base import (
    AdminApiView,
    empty_answer,
    ignore,
    named,
    no_content_if_empty,
    read_body,
)
from administration.profile_shapes import HorizonProfile, profile_json
from administration.services import profiles as services
from profiles.models import Profile
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, ProblemSerializer, answers
from raportal.errors import invalid_request
from raportal.horizon_models import AcmeProfile, EstProfile, ScepProfile, WebRAProfile

CONFLICT = {409: OpenApiResponse(ProblemSerializer, description="The name is taken, or in use")}
EMPTY = empty_answer("No profile yet")
SHAPES: dict[str, type[BaseModel]] = {
    "webra": WebRAProfile,
    "est": EstProfile,
    "scep": ScepProfile,
    "acme": AcmeProfile,
}
RELATED = ("ca", "team_default", "password_policy")
RULES = ("subject_rules", "san_rules", "label_rules", "team_whitelist")


def profiles():
    return Profile.objects.select_related(*RELATED).prefetch_related(*RULES).order_by("name")


def read_profile(request) -> dict:
    """The body checked against its module's client model; our ``raportal`` extras kept."""
    data = request.data
    if not isinstance(data, dict):
        raise invalid_request("expected a JSON object")
    module = data.get("module")
    if module not in SHAPES:
        raise invalid_request(
            f"module: {module!r} is not supported here; profiles are webra, est, scep or acme"
        )
    model = read_body(request, SHAPES[module])
    body = model.model_dump(by_alias=True, mode="json")
    extras = data.get("raportal")
    if extras is not None and not isinstance(extras, dict):
        raise invalid_request("raportal: expected an object")
    body["raportal"] = extras or {}
    return body


def fresh(profile: Profile) -> Profile:
    return profiles().get(pk=profile.pk)


class ProfileListView(AdminApiView):
    kind = "profile"

    @extend_schema(
        operation_id="certificate_profile_list",
        responses={**answers(LIST_OF_OBJECTS, 403), **EMPTY},
    )
    def get(self, request):
        return no_content_if_empty([profile_json(p) for p in profiles()])

    @extend_schema(
        operation_id="certificate_profile_add",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, ok_status=201), **CONFLICT},
    )
    def post(self, request):
        source = HorizonProfile(read_profile(request))
        profile, ignored = services.create_profile(
            request.user, name=source.name, source=source, via="api"
        )
        ignore(request, *ignored)
        return Response(profile_json(fresh(profile)), status=201)

    @extend_schema(
        operation_id="certificate_profile_update",
        request=OBJECT,
        responses=answers(OBJECT, 400, 403, 404),
    )
    def put(self, request):
        source = HorizonProfile(read_profile(request))
        profile = named(Profile.objects, "profile", source.name)
        profile, ignored = services.update_profile(request.user, profile, source=source, via="api")
        ignore(request, *ignored)
        return Response(profile_json(fresh(profile)))


class ProfileDetailView(AdminApiView):
    kind = "profile"

    @extend_schema(operation_id="certificate_profile_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, name: str):
        return Response(profile_json(named(profiles(), "profile", name)))

    @extend_schema(
        operation_id="certificate_profile_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, name: str):
        services.delete_profile(request.user, named(Profile.objects, "profile", name), via="api")
        return Response(status=204)


urlpatterns = [
    path("api/v1/certificate/profiles", ProfileListView.as_view(), name="api-admin-profiles"),
    path(
        "api/v1/certificate/profiles/<text:name>",
        ProfileDetailView.as_view(),
        name="api-admin-profile",
    ),
]
