"""Who holds which level on which profile: grants (direct or through a team), profiles open to
every signed-in account (``Profile.authenticated_levels``), and Horizon's administrator role.

Horizon's administrator holds every permission: here the administrator role is a staff
account (the principal infos' ``roles: ["administrator"]``), which holds ``perform`` on every
workflow of every profile, without grants. The other helpers answer for one account in bulk,
for lists, menus and subqueries, with the same rules as ``grant_level``.
"""

from django.db.models import Q, QuerySet

from profiles.models import LEVEL_RANK, Grant, GrantLevel, Profile, Workflow, is_administrator

__all__ = ["granted_profiles", "held_levels", "is_administrator", "levels_on"]


def granted_profiles(user, workflow: str | None = None, level: str | None = None) -> QuerySet:
    """The profiles on which ``user`` holds ``workflow`` (any workflow when None) at
    ``level`` or above (any level when None), as a Profile queryset (usable as a subquery)."""
    if not getattr(user, "is_authenticated", False):
        return Profile.objects.none()
    if is_administrator(user):
        return Profile.objects.all()
    grants = Grant.objects.for_user(user)
    if workflow:
        grants = grants.filter(workflow=workflow)
    if level == GrantLevel.PERFORM:
        grants = grants.filter(level=GrantLevel.PERFORM)
    open_to_all = Q()
    for candidate in [workflow] if workflow else Workflow.values:
        levels = [GrantLevel.PERFORM] if level == GrantLevel.PERFORM else GrantLevel.values
        for held in levels:
            open_to_all |= Q(**{f"authenticated_levels__{candidate}": held})
    return Profile.objects.filter(Q(pk__in=grants.values("profile")) | open_to_all)


def held_levels(user, profiles=None) -> dict[tuple[int, str], str]:
    """(profile id, workflow) → the highest level ``user`` holds there, for ``profiles`` (a
    queryset or ids; every profile when None). Two queries."""
    if not getattr(user, "is_authenticated", False):
        return {}
    rows = Profile.objects.all() if profiles is None else Profile.objects.filter(pk__in=profiles)
    return levels_on(user, list(rows.values_list("pk", "authenticated_levels")))


def levels_on(user, rows: list[tuple[int, dict]]) -> dict[tuple[int, str], str]:
    """``held_levels`` for profiles already read, as (pk, authenticated_levels) pairs: one
    query (the user's grants on them), none for an administrator."""
    if not getattr(user, "is_authenticated", False):
        return {}
    if is_administrator(user):
        return {
            (pk, workflow): GrantLevel.PERFORM for pk, _ in rows for workflow in Workflow.values
        }
    held: dict[tuple[int, str], str] = {}

    def keep(key, level):
        if LEVEL_RANK[level] > LEVEL_RANK.get(held.get(key), 0):
            held[key] = level

    for profile_id, levels in rows:
        for workflow, level in (levels or {}).items():
            if level in LEVEL_RANK:
                keep((profile_id, workflow), level)
    grants = Grant.objects.for_user(user).filter(profile__in=[pk for pk, _ in rows])
    for profile_id, workflow, level in grants.values_list("profile_id", "workflow", "level"):
        keep((profile_id, workflow), level)
    return held
