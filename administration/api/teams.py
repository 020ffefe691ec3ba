"""Horizon's teams (``SecurityTeamApi``): name, display name, description, contact e-mail,
managers, and members.

``PUT`` replaces the team named in the body (Horizon sends the whole object): a field left out
is cleared, ``managers`` included. Managers and members are account usernames; unknown ones
are refused (400, naming them). Teams have no webhook here: one sent is accepted and reported
as ignored. Transferring a team's certificates and requests to another team
(``PATCH /api/v1/security/teams/{previousTeam}/{newTeam}``) is not offered.

Deleting a team:

- refused (409, naming the profiles) while a profile uses it as its default team or in its
  team whitelist — deleting it would silently change those profiles' policy (an emptied
  whitelist would let every team in);
- otherwise the team goes, and with it the grants given to it (its members lose the rights
  they held only through it); certificates and requests that belonged to it stay, without a
  team.
"""

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
    read_body,
)
from administration.localized import from_localized, localized
from administration.services import teams as services
from administration.services.teams import accounts_named
from profiles.models import Team
from raportal.api.bodies import check_text
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import invalid_request
from raportal.horizon_models import SecurityTeamUpdateRequest
from raportal.horizon_models import Team as TeamBody

CONFLICT = conflict_answer("The team exists already, or profiles still use it")
NAMES = {"type": "array", "items": {"type": "string"}}
NAMES_BODY = {"application/json": NAMES}


def team_json(team: Team) -> dict:
    """Horizon's TeamResponse."""
    return {
        "_id": str(team.pk),
        "name": team.name,
        "displayName": localized(team.display_name),
        "description": localized(team.description),
        "contact": team.contact_email or None,
        "managers": sorted(user.get_username() for user in team.managers.all()),
    }


def team_fields(body) -> dict:
    """A Horizon team as the services take it (managers checked: 400 naming unknown ones)."""
    return {
        "display_name": from_localized(body.display_name),
        "description": from_localized(body.description),
        "contact_email": body.contact or "",
        "managers": accounts_named(body.managers or [], "managers"),
    }


def _ignore_webhook(request, body) -> None:
    if body.webhook is not None:
        ignore(request, "webhook")


def _team(name: str) -> Team:
    return named(Team.objects, "team", name)


def _usernames(request) -> list[str]:
    """The body of the members calls: a JSON array of usernames."""
    data = request.data
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise invalid_request("expected a JSON array of usernames")
    if len(data) > 1000:
        raise invalid_request("at most 1000 usernames per call")
    check_text(data, invalid_request)
    return data


def _change_members(request, name: str, change: str) -> Response:
    """Adds (``change`` "add") or removes ("remove") the accounts named in the body."""
    usernames = _usernames(request)
    team = _team(name)
    users = accounts_named(usernames, "members")
    getattr(services, f"{change}_members")(request.user, team, users)
    return Response(status=204)


class TeamListView(AcceptAnyView):
    kind = "team"

    @extend_schema(
        operation_id="security_team_list",
        responses={**answers(LIST_OF_OBJECTS, 403), **empty_answer()},
    )
    def get(self, request):
        teams = Team.objects.order_by("name").prefetch_related("managers")
        return no_content_if_empty([team_json(team) for team in teams])

    @extend_schema(
        operation_id="security_team_add",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, ok_status=201), **CONFLICT},
    )
    def post(self, request):
        body = read_body(request, TeamBody)
        _ignore_webhook(request, body)
        team = services.create_team(request.user, name=body.name, **team_fields(body))
        return Response(team_json(team), status=201)

    @extend_schema(
        operation_id="security_team_update",
        request=OBJECT,
        responses=answers(OBJECT, 400, 403, 404),
    )
    def put(self, request):
        body = read_body(request, SecurityTeamUpdateRequest)
        _ignore_webhook(request, body)
        team = _team(body.name)
        if body.id is not None and str(body.id) != str(team.pk):
            raise invalid_request(
                f"_id: team {body.name!r} has _id {team.pk}; teams cannot be renamed"
            )
        team = services.update_team(request.user, team, **team_fields(body))
        return Response(team_json(team))


class TeamDetailView(AcceptAnyView):
    kind = "team"

    @extend_schema(operation_id="security_team_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, name):
        return Response(team_json(_team(name)))

    @extend_schema(
        operation_id="security_team_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, name):
        services.delete_team(request.user, _team(name))
        return Response(status=204)


class TeamMembersView(AcceptAnyView):
    kind = "team"

    @extend_schema(
        operation_id="security_team_members_get",
        responses={**answers(NAMES, 403, 404), **empty_answer()},
    )
    def get(self, request, name):
        team = _team(name)
        return no_content_if_empty(sorted(user.get_username() for user in team.members.all()))

    @extend_schema(
        operation_id="security_team_members_add",
        request=NAMES_BODY,
        responses=answers(None, 400, 403, 404, ok_status=204),
    )
    def post(self, request, name):
        return _change_members(request, name, "add")

    @extend_schema(
        operation_id="security_team_members_remove",
        request=NAMES_BODY,
        responses=answers(None, 400, 403, 404, ok_status=204),
    )
    def delete(self, request, name):
        return _change_members(request, name, "remove")


urlpatterns = [
    path("api/v1/security/teams", TeamListView.as_view()),
    path("api/v1/security/teams/<text:name>", TeamDetailView.as_view()),
    path("api/v1/security/teams/<text:name>/members", TeamMembersView.as_view()),
]
