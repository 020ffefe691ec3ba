"""Horizon's principal infos (``SecurityPrincipalinfoApi``): what an account may do, kept on
the Django account of the same username.

- ``contact`` is the account's e-mail, ``enabled`` its ``is_active``, ``teams`` the teams it
  is a member of (unknown teams → 400), ``roles`` "administrator" ⇔ staff (other roles are
  accepted and reported as ignored).
- ``permissions`` are the account's own grants (not those it holds through its teams), written
  as ``principals/self`` writes them: value ``lifecycle:<module>:<level>:<workflow>`` (level
  ``request`` or ``perform``) with filter ``profile = <name>`` (``profile equals "<name>"`` is
  read too). A malformed lifecycle permission (no profile filter, a wildcard, an unknown
  level, workflow or profile, a module that is not the profile's) → 400 naming it; other
  permission strings are accepted and reported as ignored. Two levels for the same profile
  and workflow keep the higher. Discovery rights are permissions too: ``discovery:feed`` or
  ``discovery:search`` with the filter ``campaign = <name>`` (campaign_permissions.py).
- ``POST`` and ``PUT`` set the whole principal info, as Horizon sends it: teams, roles and
  grants become exactly those listed (left out: none). A ``contact`` left out keeps the
  account's e-mail (it is also the local identity's); ``""`` clears it. ``savedQueries``,
  ``customDashboards`` and ``preferences`` (UI state) are accepted and reported as ignored.
- ``POST`` makes the account, without a password, when there is none (a local password is
  added through local identities). An existing account whose principal info is still empty
  (no grants, teams nor administrator role) takes the one posted — so that a local identity
  made first can be given its rights; otherwise 409.
- ``DELETE`` empties the principal info (no grants, teams, managed teams nor administrator
  role). The account itself is deleted only when nothing else needs it: no local password, no
  API key, and nothing that refers to it (requests, certificates, audit events). Otherwise it
  stays, able to sign in with what it has left.
- Administrators cannot disable themselves or drop their own administrator role, and
  superusers keep theirs (change those in Django's admin).
"""

import re
from datetime import datetime

from django.contrib.auth import get_user_model
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from administration.api import campaign_permissions
from administration.api.base import (
    AcceptAnyView,
    AdminApiView,
    conflict_answer,
    ignore,
    named,
    permission_filter_value,
    read_body,
)
from administration.services import principals as services
from administration.services.accounts import checked_identifier
from administration.services.checks import require_may_manage
from administration.services.validation import checked_email
from profiles.models import LEVEL_RANK, Grant, GrantLevel, Profile, Team, Workflow
from raportal.api.schema import OBJECT, answers
from raportal.errors import invalid_request
from raportal.horizon_models import PrincipalInfo, PrincipalInfoSearchQuery

CONFLICT = conflict_answer(
    "The principal info exists already, or the change would lock its administrator out"
)
ADMINISTRATOR = "administrator"
LIFECYCLE = re.compile(r"lifecycle:(?P<module>[^:]*):(?P<level>[^:]*):(?P<workflow>[^:]*)")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
SORTS = {
    "identifier": "username",
    "contact": "email",
    "enabled": "is_active",
    "creationDate": "date_joined",
    "lastAuthentication": "last_login",
}
UI_FIELDS = (("saved_queries", "savedQueries"), ("custom_dashboards", "customDashboards"))


def _millis(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def permission_json(grant: Grant) -> dict:
    return {
        "value": f"lifecycle:{grant.profile.module}:{grant.level}:{grant.workflow}",
        "filter": f"profile = {grant.profile.name}",
    }


def principal_json(user) -> dict:
    """Horizon's PrincipalInfoResponse (also read as PrincipalInfo by searches)."""
    grants = sorted(user.rap_grants.all(), key=lambda grant: (grant.profile.name, grant.workflow))
    return {
        "_id": str(user.pk),
        "identifier": user.get_username(),
        "contact": user.email or None,
        "permissions": [permission_json(grant) for grant in grants]
        + campaign_permissions.permissions_json(user),
        "roles": [ADMINISTRATOR] if user.is_staff else [],
        "teams": sorted(team.name for team in user.rap_teams.all()),
        "creationDate": _millis(user.date_joined),
        "lastAuthentication": _millis(user.last_login),
        "enabled": user.is_active,
    }


def principal_accounts():
    return get_user_model()._default_manager.prefetch_related(
        "rap_grants__profile", "rap_teams", "discovery_permissions__campaign"
    )


def _account(identifier: str, *, accounts=None):
    """The account named ``identifier``, from ``accounts`` (by default: every account)."""
    user_model = get_user_model()
    accounts = user_model._default_manager if accounts is None else accounts
    field = user_model.USERNAME_FIELD
    return named(accounts, "principal info", identifier, field=field)


def _fresh(user) -> dict:
    return principal_json(principal_accounts().get(pk=user.pk))


# --- what a body asks for ----------------------------------------------------------------


def _filter_profile(text: str | None) -> str | None:
    return permission_filter_value("profile", text)


def wanted_grants(request, permissions) -> dict[tuple[int, str], tuple[Profile, str]]:
    """{(profile id, workflow): (profile, level)} for the lifecycle permissions; 400 naming a
    malformed one, other permissions reported as ignored."""
    parsed = []
    ignored = []
    for index, permission in enumerate(permissions or []):
        value = permission.value.strip()
        shown = f"permissions[{index}] {value[:80]!r}"
        if campaign_permissions.is_discovery(value):
            continue  # read by campaign_permissions.wanted_rights
        if not value.startswith("lifecycle:"):
            ignored.append(f"permissions[{index}]")
            continue
        match = LIFECYCLE.fullmatch(value)
        if match is None or "*" in value:
            raise invalid_request(
                f"{shown}: expected lifecycle:<module>:<level>:<workflow> (no wildcards)"
            )
        if match["level"] not in GrantLevel.values:
            raise invalid_request(f"{shown}: the level must be one of {', '.join(GrantLevel)}")
        if match["workflow"] not in Workflow.values:
            raise invalid_request(f"{shown}: the workflow must be one of {', '.join(Workflow)}")
        name = _filter_profile(permission.filter)
        if not name:
            got = str(permission.filter)[:80]
            raise invalid_request(f"{shown}: needs the filter 'profile = <name>' (got {got!r})")
        parsed.append((shown, match["module"], match["level"], match["workflow"], name))
    if ignored:
        ignore(request, *ignored)
    profiles = Profile.objects.in_bulk({name for *_, name in parsed}, field_name="name")
    grants: dict[tuple[int, str], tuple[Profile, str]] = {}
    for shown, module, level, workflow, name in parsed:
        profile = profiles.get(name)
        if profile is None:
            raise invalid_request(f"{shown}: no profile named {name[:80]!r}")
        if profile.module != module:
            raise invalid_request(f"{shown}: profile {name!r} is a {profile.module} profile")
        key = (profile.pk, workflow)
        rank = LEVEL_RANK[GrantLevel(level)]
        if key not in grants or rank > LEVEL_RANK[GrantLevel(grants[key][1])]:
            grants[key] = (profile, level)
    return grants


def wanted_teams(names: list[str] | None) -> list[Team]:
    names = list(dict.fromkeys(names or []))
    teams = list(Team.objects.filter(name__in=names))
    unknown = sorted(set(names) - {team.name for team in teams})
    if unknown:
        raise invalid_request(
            f"teams: no team named {', '.join(repr(name[:80]) for name in unknown[:20])}"
        )
    return teams


def wanted_staff(request, roles: list[str] | None) -> bool:
    roles = roles or []
    others = sorted({role for role in roles if role != ADMINISTRATOR})
    if others:
        ignore(request, *(f"roles[{role[:40]}]" for role in others))
    return ADMINISTRATOR in roles


def principal_info(request, body: PrincipalInfo) -> services.PrincipalInfo:
    """The body as the services take it; 400 naming what is wrong."""
    contact = None if body.contact is None else checked_email(body.contact, "contact")
    staff = wanted_staff(request, body.roles)
    teams = wanted_teams(body.teams)
    grants = wanted_grants(request, body.permissions)
    campaign_rights = campaign_permissions.wanted_rights(body.permissions)
    ignore(request, *(alias for name, alias in UI_FIELDS if getattr(body, name)))
    if body.preferences is not None:
        ignore(request, "preferences")
    return services.PrincipalInfo(
        enabled=body.enabled,
        staff=staff,
        contact=contact,
        teams=teams,
        grants=grants,
        campaign_rights=campaign_rights,
    )


# --- views -------------------------------------------------------------------------------


class PrincipalInfoView(AcceptAnyView):
    kind = "principal info"

    @extend_schema(
        operation_id="security_principal_info_add",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, ok_status=201), **CONFLICT},
    )
    def post(self, request):
        body = read_body(request, PrincipalInfo)
        identifier = checked_identifier(body.identifier)
        info = principal_info(request, body)
        user = services.create_principal_info(request.user, identifier=identifier, info=info)
        return Response(_fresh(user), status=201)

    @extend_schema(
        operation_id="security_principal_info_update",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, 404), **CONFLICT},
    )
    def put(self, request):
        body = read_body(request, PrincipalInfo)
        user = _account(body.identifier)
        require_may_manage(request.user, user)
        info = principal_info(request, body)
        services.update_principal_info(request.user, user, info=info)
        return Response(_fresh(user))


class PrincipalInfoDetailView(AcceptAnyView):
    kind = "principal info"

    @extend_schema(operation_id="security_principal_info_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, identifier):
        return Response(principal_json(_account(identifier, accounts=principal_accounts())))

    @extend_schema(
        operation_id="security_principal_info_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, identifier):
        services.delete_principal_info(request.user, _account(identifier))
        return Response(status=204)


class PrincipalInfoSearchView(AdminApiView):
    """``POST /search``."""

    kind = "principal info search"

    @extend_schema(
        operation_id="security_principal_info_search",
        request=OBJECT,
        responses=answers(OBJECT, 400, 403),
    )
    def post(self, request, identifier=None):
        body = read_body(request, PrincipalInfoSearchQuery)
        page_index = 1 if body.page_index is None else body.page_index
        if not 1 <= page_index <= 1_000_000:
            raise invalid_request("pageIndex: from 1 to 1000000")
        if body.page_size is not None and body.page_size < 1:
            raise invalid_request("pageSize: at least 1")
        page_size = min(body.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        strict = bool(body.strict_search)
        users = principal_accounts()
        username = get_user_model().USERNAME_FIELD
        if body.identifier:
            lookup = "exact" if strict else "icontains"
            users = users.filter(**{f"{username}__{lookup}": body.identifier})
        if body.contact:
            users = users.filter(email__icontains=body.contact)
        if body.team:
            lookup = "exact" if strict else "icontains"
            users = users.filter(**{f"rap_teams__name__{lookup}": body.team}).distinct()
        if body.role:
            role = body.role.lower()
            matches = role == ADMINISTRATOR if strict else role in ADMINISTRATOR
            users = users.filter(is_staff=True) if matches else users.none()
        order = []
        for sort in body.sorted_by or []:
            column = SORTS.get(sort.element)
            if column is None:
                raise invalid_request(
                    f"sortedBy: cannot sort by {sort.element[:40]!r} (use {', '.join(SORTS)})"
                )
            order.append(("-" if sort.order in ("Desc", "KeyDesc") else "") + column)
        users = users.order_by(*order, "pk") if order else users.order_by(username, "pk")
        start = (page_index - 1) * page_size
        rows = list(users[start : start + page_size + 1])
        body_json = {
            "results": [principal_json(user) for user in rows[:page_size]],
            "pageIndex": page_index,
            "pageSize": page_size,
            "hasMore": len(rows) > page_size,
        }
        if body.with_count:
            body_json["count"] = users.count()
        return Response(body_json)


urlpatterns = [
    path("api/v1/security/principalinfos", PrincipalInfoView.as_view()),
    path(
        "api/v1/security/principalinfos/search",
        PrincipalInfoSearchView.as_view(),
        {"identifier": "search"},
    ),
    path("api/v1/security/principalinfos/<text:identifier>", PrincipalInfoDetailView.as_view()),
]
