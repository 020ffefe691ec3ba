"""What the directory pages change (teams, accounts and their API keys, labels, grants), in
one place: every change checks that the actor is staff, runs in a transaction and writes an
audit event in it. Secrets (API keys, passwords) never reach an audit event or a log line."""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from administration.permissions import SUPERUSER_ONLY, may_manage
from profiles.models import Grant, Label, LabelRule, Profile, Team
from raportal.errors import conflict
from raportal.models import ApiCredential, record


def require_staff(actor) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_staff):
        raise PermissionDenied("Administration is for staff accounts.")


def require_may_manage(actor, account) -> None:
    """Staff manage accounts; only a superuser manages a superuser's (its password, keys and
    state would otherwise hand a staff account the superuser's powers)."""
    require_staff(actor)
    if not may_manage(actor, account):
        raise PermissionDenied(SUPERUSER_ONLY[0].upper() + SUPERUSER_ONLY[1:] + ".")


# --- teams ----------------------------------------------------------------------------------


def save_team(actor, form) -> Team:
    """Creates or updates the team of a valid team form."""
    require_staff(actor)
    created = form.instance.pk is None
    with transaction.atomic():
        team = form.save()
        record(
            actor,
            "team.create" if created else "team.update",
            team,
            name=team.name,
            members=team.members.count(),
            managers=team.managers.count(),
        )
    return team


@dataclass
class TeamDeletion:
    """What deleting a team takes with it (grants) and what it leaves (requests and
    certificates keep existing without a team; profiles lose it as default or allowed team —
    ``allowed_by`` pairs each profile with whether the team was the only one it allowed)."""

    grants: list
    requests: int
    certificates: int
    default_of: list
    allowed_by: list


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


def delete_team(actor, team: Team) -> int:
    """Deletes the team and its grants; returns how many grants went with it. A team that a
    profile names as its default or in its whitelist stays (DomainError): removing it from
    a whitelist could empty it, which would open the profile to every team. The admin API's
    DELETE goes through here too."""
    require_staff(actor)
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
        record(actor, "team.delete", team, name=team.name, grants=grants)
        team.delete()
    return grants


# --- accounts -------------------------------------------------------------------------------


def new_api_id(account) -> str:
    """A fresh X-API-ID for one of the account's keys: its username and a random suffix."""
    return f"{account.get_username()[:140]}.{secrets.token_hex(4)}"


@sensitive_variables("key")
def create_api_key(
    actor, account, description: str, expires_at: dt.datetime | None = None
) -> tuple[ApiCredential, str]:
    """A new key for ``account``: the credential and the key, which exists only in the
    returned value (the database keeps its hash)."""
    require_may_manage(actor, account)
    credential = ApiCredential(
        api_id=new_api_id(account),
        user=account,
        description=description,
        expires_at=expires_at,
    )
    key = credential.set_key()
    with transaction.atomic():
        credential.save()
        record(
            actor,
            "apicredential.create",
            credential,
            api_id=credential.api_id,
            user=account.get_username(),
            expires_at=expires_at.isoformat() if expires_at else None,
        )
    return credential, key


def revoke_api_key(actor, credential: ApiCredential) -> None:
    require_may_manage(actor, credential.user)
    with transaction.atomic():
        ApiCredential.objects.filter(pk=credential.pk).update(enabled=False)
        credential.enabled = False
        record(actor, "apicredential.revoke", credential, api_id=credential.api_id)


def set_password(actor, form) -> None:
    """Saves a valid ``SetPasswordForm`` (or ``PasswordChangeForm``, for one's own): the
    account's other sessions end with it."""
    require_may_manage(actor, form.user)
    with transaction.atomic():
        form.save()
        record(actor, "user.password", form.user, username=form.user.get_username())


def set_active(actor, account, active: bool) -> None:
    require_may_manage(actor, account)
    if not active and account.pk == actor.pk:
        raise PermissionDenied("You cannot deactivate your own account.")
    with transaction.atomic():
        account.is_active = active
        account.save(update_fields=["is_active"])
        record(
            actor,
            "user.activate" if active else "user.deactivate",
            account,
            username=account.get_username(),
        )


# --- labels ---------------------------------------------------------------------------------


def profiles_using_label(name: str) -> list[Profile]:
    """The profiles whose label rules refer to the label ``name``."""
    return list(
        Profile.objects.filter(
            pk__in=LabelRule.objects.filter(label=name).values("profile")
        ).order_by("name")
    )


class LabelInUse(Exception):
    def __init__(self, profiles: list[Profile]):
        self.profiles = profiles
        super().__init__(", ".join(p.name for p in profiles))


def save_label(actor, form) -> Label:
    """Creates or updates the label of a valid label form (which refuses renaming a label
    that rules use)."""
    require_staff(actor)
    created = form.instance.pk is None
    with transaction.atomic():
        label = form.save()
        record(actor, "label.create" if created else "label.update", label, name=label.name)
    return label


def delete_label(actor, label: Label) -> None:
    """Deletes a label no profile's label rule uses; raises ``LabelInUse`` otherwise."""
    require_staff(actor)
    with transaction.atomic():
        users = profiles_using_label(label.name)
        if users:
            raise LabelInUse(users)
        record(actor, "label.delete", label, name=label.name)
        label.delete()


# --- grants ---------------------------------------------------------------------------------


def save_grants(actor, profile: Profile, entries: list[tuple]) -> dict:
    """Replaces the profile's grants with ``entries`` — (user or None, team or None,
    workflow, level) — and says how many were added, removed and changed."""
    require_staff(actor)

    def key(user_id, team_id, workflow):
        return ("u", user_id) if user_id else ("t", team_id), workflow

    with transaction.atomic():
        before = {
            key(g.user_id, g.team_id, g.workflow): g.level
            for g in Grant.objects.select_for_update().filter(profile=profile)
        }
        after = {
            key(getattr(user, "pk", None), getattr(team, "pk", None), workflow): level
            for user, team, workflow, level in entries
        }
        Grant.objects.filter(profile=profile).delete()
        Grant.objects.bulk_create(
            Grant(profile=profile, user=user, team=team, workflow=workflow, level=level)
            for user, team, workflow, level in entries
        )
        summary = {
            "added": len(after.keys() - before.keys()),
            "removed": len(before.keys() - after.keys()),
            "changed": sum(1 for k in after.keys() & before.keys() if after[k] != before[k]),
        }
        record(actor, "profile.grants", profile, name=profile.name, grants=len(after), **summary)
    return summary
