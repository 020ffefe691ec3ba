"""Teams: their texts, contact, managers and members; deleting one (with its grants)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q

from administration.services.checks import already_exists, require_administrator, written
from administration.services.validation import checked_email, checked_name, max_length_of, set_texts
from profiles.models import Grant, Profile, Team
from raportal import audit_changes
from raportal.callers import Principal
from raportal.errors import conflict, invalid_request

NAME_MAX = max_length_of(Team, "name")


def accounts_named(names: Iterable[str], field: str) -> list[User]:
    """The accounts with these usernames, or 400 naming those that do not exist."""
    user_model = get_user_model()
    wanted = list(dict.fromkeys(names))
    users = list(user_model._default_manager.filter(**{f"{user_model.USERNAME_FIELD}__in": wanted}))
    unknown = sorted(set(wanted) - {user.get_username() for user in users})
    if unknown:
        shown = ", ".join(repr(name[:80]) for name in unknown[:20])
        raise invalid_request(f"{field}: no account named {shown}")
    return users


def _fill(team: Team, display_name: str, description: str, contact_email: str) -> None:
    team.contact_email = checked_email(contact_email, "contact")
    set_texts(team, display_name, description)


def create_team(
    actor: Principal,
    *,
    name: str,
    display_name: str = "",
    description: str = "",
    contact_email: str = "",
    managers: Iterable[User] = (),
    members: Iterable[User] = (),
) -> Team:
    require_administrator(actor)
    team = Team(name=checked_name(name, "team", NAME_MAX))
    _fill(team, display_name, description, contact_email)
    try:
        with transaction.atomic():
            team.save()
            team.managers.set(list(managers))
            team.members.set(list(members))
            _written(actor, "team.create", team)
    except IntegrityError:
        raise already_exists("team", name) from None
    return team


def update_team(
    actor: Principal,
    team: Team,
    *,
    display_name: str,
    description: str,
    contact_email: str,
    managers: Iterable[User],
    members: Iterable[User] | None = None,
    name: str | None = None,
) -> Team:
    """Replaces the team's fields (``members`` None: they stay as they are)."""
    require_administrator(actor)
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        before = _state(team)
        if name is not None and name != team.name:
            team.name = checked_name(name, "team", NAME_MAX)
            if Team.objects.filter(name=name).exists():
                raise already_exists("team", name)
        _fill(team, display_name, description, contact_email)
        team.save()
        team.managers.set(list(managers))
        if members is not None:
            team.members.set(list(members))
        _written(actor, "team.update", team, **audit_changes.detail(before, _state(team)))
    return team


TEAM_FIELDS = ("name", "display_name", "description", "contact_email")


def _state(team: Team) -> dict[str, Any]:
    """What the audit log shows of a team's change, before and after (raportal/audit_changes)."""
    return {
        **audit_changes.snapshot(team, TEAM_FIELDS),
        "managers": sorted(team.managers.values_list(get_user_model().USERNAME_FIELD, flat=True)),
        "members": sorted(team.members.values_list(get_user_model().USERNAME_FIELD, flat=True)),
    }


def _written(actor: Principal, action: str, team: Team, **detail: Any) -> None:
    written(
        actor,
        action,
        team,
        name=team.name,
        members=team.members.count(),
        managers=team.managers.count(),
        **detail,
    )


def add_members(actor: Principal, team: Team, accounts: Iterable[User]) -> None:
    _change_members(actor, team, list(accounts), "add")


def remove_members(actor: Principal, team: Team, accounts: Iterable[User]) -> None:
    _change_members(actor, team, list(accounts), "remove")


def set_members(actor: Principal, team: Team, accounts: Iterable[User]) -> bool:
    """The team's members become exactly ``accounts``; True if that changed anything."""
    require_administrator(actor)
    wanted = {account.pk: account for account in accounts}
    with transaction.atomic():
        current = {account.pk: account for account in team.members.all()}
        added = [account for pk, account in wanted.items() if pk not in current]
        removed = [account for pk, account in current.items() if pk not in wanted]
        if added:
            _change_members(actor, team, added, "add")
        if removed:
            _change_members(actor, team, removed, "remove")
    return bool(added or removed)


def _change_members(actor: Principal, team: Team, accounts: list[User], change: str) -> None:
    require_administrator(actor)
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        getattr(team.members, change)(*accounts)
        usernames = sorted({account.get_username() for account in accounts})
        written(actor, f"team.members.{change}", team, members=usernames)


@dataclass
class TeamDeletion:
    """What deleting a team takes with it (grants) and what it leaves (requests and
    certificates keep existing without a team; profiles lose it as default or allowed team —
    ``allowed_by`` pairs each profile with whether the team was the only one it allowed)."""

    grants: list[Grant]
    requests: int
    certificates: int
    default_of: list[Profile]
    allowed_by: list[tuple[Profile, bool]]


def team_deletion(team: Team) -> TeamDeletion:
    return TeamDeletion(
        grants=list(team.grants.select_related("profile").order_by("profile__name", "workflow")),
        requests=team.requests.count(),
        certificates=team.certificates.count(),
        default_of=list(Profile.objects.filter(team_default=team).order_by("name")),
        allowed_by=[
            (profile, profile.team_whitelist.count() == 1)
            for profile in Profile.objects.filter(team_whitelist=team).order_by("name")
        ],
    )


def delete_team(actor: Principal, team: Team) -> int:
    """Deletes the team and its grants; returns how many grants went with it. A team that a
    profile names as its default or in its whitelist stays (409): removing it from a
    whitelist could empty it, which would open the profile to every team."""
    require_administrator(actor)
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        profiles = sorted(
            Profile.objects.filter(Q(team_default=team) | Q(team_whitelist=team))
            .values_list("name", flat=True)
            .distinct()
        )
        if profiles:
            raise conflict(
                f"team {team.name!r} is the default team or in the team whitelist of "
                f"profile(s) {', '.join(profiles)}: remove it from them first"
            )
        grants = team.grants.count()
        written(actor, "team.delete", team, name=team.name, grants=grants)
        team.delete()
    return grants
