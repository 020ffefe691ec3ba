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
from django.db import IntegrityError, models, transaction
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from administration.api import campaign_permissions
from administration.api.base import (
    AcceptAnyView,
    AdminApiView,
    already_exists,
    check_may_manage,
    checked_email,
    conflict,
    conflict_answer,
    ignore,
    named,
    permission_filter_value,
    read_body,
    self_deletion,
)
from administration.api.identities import checked_identifier, is_local
from profiles.models import LEVEL_RANK, Grant, GrantLevel, Profile, Team, Workflow
from raportal.api.schema import OBJECT, answers
from raportal.errors import invalid_request
from raportal.horizon_models import PrincipalInfo, PrincipalInfoSearchQuery
from raportal.models import ApiCredential, record

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


def _accounts():
    return get_user_model()._default_manager.prefetch_related(
        "rap_grants__profile", "rap_teams", "discovery_permissions__campaign"
    )


def _account(identifier: str, *, lock: bool = False, accounts=None):
    """The account named ``identifier``, from ``accounts`` (by default: every account)."""
    user_model = get_user_model()
    accounts = user_model._default_manager if accounts is None else accounts
    field = user_model.USERNAME_FIELD
    return named(accounts, "principal info", identifier, field=field, lock=lock)


def _fresh(user) -> dict:
    return principal_json(_accounts().get(pk=user.pk))


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
        if key not in grants or LEVEL_RANK[level] > LEVEL_RANK[grants[key][1]]:
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


def apply_principal(request, user, body: PrincipalInfo) -> None:
    """Sets the account to the body (saved; the account exists). Checks everything first."""
    check_may_manage(request, user)
    contact = user.email if body.contact is None else checked_email(body.contact, "contact")
    staff = wanted_staff(request, body.roles)
    teams = wanted_teams(body.teams)
    grants = wanted_grants(request, body.permissions)
    campaign_rights = campaign_permissions.wanted_rights(body.permissions)
    ignore(request, *(alias for name, alias in UI_FIELDS if getattr(body, name)))
    if body.preferences is not None:
        ignore(request, "preferences")
    _refuse_lockout(request, user, enabled=body.enabled, staff=staff)
    user.email = contact
    user.is_active = body.enabled
    user.is_staff = staff
    user.save(update_fields=["email", "is_active", "is_staff"])
    user.rap_teams.set(teams)
    current = {(grant.profile_id, grant.workflow): grant for grant in user.rap_grants.all()}
    Grant.objects.filter(pk__in=[g.pk for key, g in current.items() if key not in grants]).delete()
    for key, (profile, level) in grants.items():
        grant = current.get(key)
        if grant is None:
            Grant.objects.create(user=user, profile=profile, workflow=key[1], level=level)
        elif grant.level != level:
            Grant.objects.filter(pk=grant.pk).update(level=level)
    campaign_permissions.set_rights(user, campaign_rights)


def _refuse_lockout(request, user, *, enabled: bool, staff: bool) -> None:
    if user.pk == request.user.pk and not (enabled and staff):
        raise conflict("you cannot disable yourself or drop your own administrator role")
    if user.is_superuser and not staff:
        raise conflict(
            f"{user.get_username()!r} is a superuser: change its administrator role in "
            "Django's admin"
        )


def _empty(user) -> bool:
    """No principal info of its own yet: no grants, teams nor administrator role."""
    return not (
        user.is_staff
        or user.rap_grants.exists()
        or user.rap_teams.exists()
        or user.discovery_permissions.exists()
    )


def _needed(user) -> bool:
    """Whether deleting the account would lose something: a way to sign in, or a row that
    refers to it (and would be nulled or block the delete)."""
    if is_local(user) or ApiCredential.objects.filter(user=user).exists():
        return True
    for relation in user._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one):
            continue
        if relation.on_delete is models.CASCADE:
            continue  # the account's own rows (grants, page visits): they go with it
        model = relation.related_model
        if model._default_manager.filter(**{relation.field.name: user}).exists():
            return True
    return False


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
        user_model = get_user_model()
        try:
            with transaction.atomic():
                user = (
                    user_model._default_manager.select_for_update()
                    .filter(**{user_model.USERNAME_FIELD: identifier})
                    .first()
                )
                created = user is None
                if created:
                    user = user_model(**{user_model.USERNAME_FIELD: identifier})
                    user.set_unusable_password()
                    user.save()
                elif not _empty(user):
                    raise already_exists("principal info", identifier)
                apply_principal(request, user, body)
                record(
                    request.user, "principalinfo.create", user, identifier=identifier, new=created
                )
        except IntegrityError:
            raise already_exists("principal info", identifier) from None
        return Response(_fresh(user), status=201)

    @extend_schema(
        operation_id="security_principal_info_update",
        request=OBJECT,
        responses={**answers(OBJECT, 400, 403, 404), **CONFLICT},
    )
    def put(self, request):
        body = read_body(request, PrincipalInfo)
        with transaction.atomic():
            user = _account(body.identifier, lock=True)
            apply_principal(request, user, body)
            record(request.user, "principalinfo.update", user, identifier=body.identifier)
        return Response(_fresh(user))


class PrincipalInfoDetailView(AcceptAnyView):
    kind = "principal info"

    @extend_schema(operation_id="security_principal_info_get", responses=answers(OBJECT, 403, 404))
    def get(self, request, identifier):
        return Response(principal_json(_account(identifier, accounts=_accounts())))

    @extend_schema(
        operation_id="security_principal_info_delete",
        responses={**answers(None, 403, 404, ok_status=204), **CONFLICT},
    )
    def delete(self, request, identifier):
        with transaction.atomic():
            user = _account(identifier, lock=True)
            if user.pk == request.user.pk:
                raise self_deletion("you cannot delete your own principal info")
            check_may_manage(request, user)
            if user.is_superuser:
                raise conflict(f"{identifier!r} is a superuser: change it in Django's admin")
            record(request.user, "principalinfo.delete", user, identifier=identifier)
            user.rap_grants.all().delete()
            user.discovery_permissions.all().delete()
            user.rap_teams.clear()
            user.rap_managed_teams.clear()
            if user.is_staff:
                user.is_staff = False
                user.save(update_fields=["is_staff"])
            if not _needed(user):
                user.delete()
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
        users = _accounts()
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
