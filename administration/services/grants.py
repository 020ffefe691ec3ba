"""Grants: what an account or a team may request or perform, per profile and workflow.
A profile's grants are set as a whole (its matrix page), a team's (import_config) and an
account's own (principal infos) too."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from administration.services.checks import require_administrator, require_may_manage, written
from profiles.models import Grant, GrantLevel, Profile, Team, Workflow
from raportal.callers import Principal
from raportal.errors import invalid_request


@dataclass(frozen=True)
class GrantEntry:
    """One grant: to ``user`` or to ``team`` (one of them), for a workflow at a level."""

    workflow: str
    level: str
    user: User | None = None
    team: Team | None = None


def _check(entry: GrantEntry) -> None:
    if entry.workflow not in Workflow.values:
        raise invalid_request(f"workflow: {entry.workflow!r} is not a workflow")
    if entry.level not in GrantLevel.values:
        raise invalid_request(f"level: {entry.level!r} is not one of {', '.join(GrantLevel)}")
    if (entry.user is None) == (entry.team is None):
        raise invalid_request("a grant is given to an account or to a team")


def set_profile_grants(
    actor: Principal, profile: Profile, *, grants: Iterable[GrantEntry]
) -> dict[str, int]:
    """Replaces the profile's grants with ``grants`` and says how many were added, removed
    and changed."""
    require_administrator(actor)
    entries = list(grants)
    for entry in entries:
        _check(entry)

    def key(
        user_id: int | None, team_id: int | None, workflow: str
    ) -> tuple[tuple[str, int | None], str]:
        return ("u", user_id) if user_id else ("t", team_id), workflow

    with transaction.atomic():
        before = {
            key(g.user_id, g.team_id, g.workflow): g.level
            for g in Grant.objects.select_for_update().filter(profile=profile)
        }
        after = {
            key(getattr(e.user, "pk", None), getattr(e.team, "pk", None), e.workflow): e.level
            for e in entries
        }
        Grant.objects.filter(profile=profile).delete()
        Grant.objects.bulk_create(
            Grant(profile=profile, user=e.user, team=e.team, workflow=e.workflow, level=e.level)
            for e in entries
        )
        summary = {
            "added": len(after.keys() - before.keys()),
            "removed": len(before.keys() - after.keys()),
            "changed": sum(1 for k in after.keys() & before.keys() if after[k] != before[k]),
        }
        written(actor, "profile.grants", profile, name=profile.name, grants=len(after), **summary)
    return summary


def set_team_grants(
    actor: Principal, team: Team, *, grants: Iterable[tuple[Profile, str, str]], by: str = ""
) -> bool:
    """The team's grants become exactly ``grants`` — (profile, workflow, level); True when
    that changed anything."""
    require_administrator(actor)
    wanted = set()
    for profile, workflow, level in grants:
        _check(GrantEntry(workflow=workflow, level=level, team=team))
        wanted.add((profile.pk, workflow, level))
    with transaction.atomic():
        current = {
            (grant.profile_id, grant.workflow, grant.level): grant.pk
            for grant in Grant.objects.select_for_update().filter(team=team)
        }
        if set(current) == wanted:
            return False
        Grant.objects.filter(
            pk__in=[pk for key, pk in current.items() if key not in wanted]
        ).delete()
        Grant.objects.bulk_create(
            [
                Grant(team=team, profile_id=pk, workflow=workflow, level=level)
                for pk, workflow, level in sorted(wanted - set(current))
            ]
        )
        detail = {"by": by} if by else {}
        written(actor, "team.grants.set", team, grants=len(wanted), **detail)
    return True


def set_account_grants(
    actor: Principal, user: User, *, grants: dict[tuple[int, str], tuple[Profile, str]]
) -> None:
    """The account's own grants (not those of its teams) become exactly ``grants``:
    {(profile id, workflow): (profile, level)}. Audited by the caller's event (its principal
    info)."""
    require_may_manage(actor, user)
    for (_, workflow), (_, level) in grants.items():
        _check(GrantEntry(workflow=workflow, level=level, user=user))
    current = {(grant.profile_id, grant.workflow): grant for grant in user.rap_grants.all()}
    Grant.objects.filter(pk__in=[g.pk for key, g in current.items() if key not in grants]).delete()
    for key, (profile, level) in grants.items():
        grant = current.get(key)
        if grant is None:
            Grant.objects.create(user=user, profile=profile, workflow=key[1], level=level)
        elif grant.level != level:
            Grant.objects.filter(pk=grant.pk).update(level=level)
