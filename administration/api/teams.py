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

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from administration.api.base import (
    AcceptAnyView,
    already_exists,
    checked_email,
    checked_name,
    conflict_answer,
    empty_answer,
    ignore,
    named,
    no_content_if_empty,
    read_body,
    set_texts,
)
from administration.localized import localized
from administration.pages.directory_services import delete_team
from profiles.models import Team
from raportal.api.bodies import check_text
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import invalid_request
from raportal.horizon_models import SecurityTeamUpdateRequest
from raportal.horizon_models import Team as TeamBody
from raportal.models import record

CONFLICT = conflict_answer("The team exists already, or profiles still use it")
NAME_MAX = Team._meta.get_field("name").max_length
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


def users_named(names: list[str], field: str) -> list:
    """The accounts with these usernames, or 400 naming those that do not exist."""
    user_model = get_user_model()
    wanted = list(dict.fromkeys(names))
    users = list(user_model._default_manager.filter(**{f"{user_model.USERNAME_FIELD}__in": wanted}))
    unknown = sorted(set(wanted) - {user.get_username() for user in users})
    if unknown:
        shown = ", ".join(repr(name[:80]) for name in unknown[:20])
        raise invalid_request(f"{field}: no account named {shown}")
    return users


def _apply(request, team: Team, body) -> list:
    """Copies the body onto the team; returns the managers to set once it is saved."""
    if body.webhook is not None:
        ignore(request, "webhook")
    team.contact_email = checked_email(body.contact, "contact")
    set_texts(team, body)
    return users_named(body.managers or [], "managers")


def _team(name: str, *, lock: bool = False) -> Team:
    return named(Team.objects, "team", name, lock=lock)


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
    with transaction.atomic():
        team = _team(name, lock=True)
        users = users_named(usernames, "members")
        getattr(team.members, change)(*users)
        record(request.user, f"team.members.{change}", team, members=sorted(set(usernames)))
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
        team = Team(name=checked_name(body.name, "team", NAME_MAX))
        managers = _apply(request, team, body)
        try:
            with transaction.atomic():
                team.save()
                team.managers.set(managers)
                record(request.user, "team.create", team, name=team.name)
        except IntegrityError:
            raise already_exists("team", body.name) from None
        return Response(team_json(team), status=201)

    @extend_schema(
        operation_id="security_team_update",
        request=OBJECT,
        responses=answers(OBJECT, 400, 403, 404),
    )
    def put(self, request):
        body = read_body(request, SecurityTeamUpdateRequest)
        with transaction.atomic():
            team = _team(body.name, lock=True)
            if body.id is not None and str(body.id) != str(team.pk):
                raise invalid_request(
                    f"_id: team {body.name!r} has _id {team.pk}; teams cannot be renamed"
                )
            managers = _apply(request, team, body)
            team.save()
            team.managers.set(managers)
            record(request.user, "team.update", team, name=team.name)
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
        delete_team(request.user, _team(name))  # the pages' service: the same rules
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
