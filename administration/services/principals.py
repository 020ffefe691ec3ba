"""Principal infos: what an account may do — its e-mail, whether it may sign in, the
administrator role, its teams, its own grants and its discovery rights — set as a whole."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction

from administration.services.accounts import checked_identifier, is_local
from administration.services.checks import (
    already_exists,
    lock,
    require_administrator,
    require_may_manage,
    written,
)
from administration.services.grants import set_account_grants
from discovery.models import CampaignPermission
from profiles.models import Profile, Team
from raportal.callers import Principal
from raportal.errors import conflict
from raportal.models import ApiCredential


@dataclass
class PrincipalInfo:
    """A principal info as the services take it (checked at the edge: the teams, profiles
    and campaigns exist). ``contact`` None keeps the account's e-mail."""

    enabled: bool
    staff: bool
    contact: str | None = None
    teams: list[Team] = field(default_factory=list)
    grants: dict[tuple[int, str], tuple[Profile, str]] = field(default_factory=dict)
    campaign_rights: set[tuple[int, str]] = field(default_factory=set)


def _refuse_lockout(actor: Principal, user: User, info: PrincipalInfo) -> None:
    if user.pk == actor.pk and not (info.enabled and info.staff):
        raise conflict("you cannot disable yourself or drop your own administrator role")
    if user.is_superuser and not info.staff:
        raise conflict(
            f"{user.get_username()!r} is a superuser: change its administrator role in "
            "Django's admin"
        )


def _apply(actor: Principal, user: User, info: PrincipalInfo) -> None:
    require_may_manage(actor, user)
    _refuse_lockout(actor, user, info)
    if info.contact is not None:
        user.email = info.contact
    user.is_active = info.enabled
    user.is_staff = info.staff
    user.save(update_fields=["email", "is_active", "is_staff"])
    user.rap_teams.set(info.teams)
    set_account_grants(actor, user, grants=info.grants)
    _set_campaign_rights(user, info.campaign_rights)


def _set_campaign_rights(user: User, wanted: set[tuple[int, str]]) -> None:
    """The account's discovery permissions become exactly ``wanted``."""
    current = {(p.campaign_id, p.right): p.pk for p in user.discovery_permissions.all()}
    stale = [pk for key, pk in current.items() if key not in wanted]
    if stale:
        CampaignPermission.objects.filter(pk__in=stale).delete()
    CampaignPermission.objects.bulk_create(
        CampaignPermission(user=user, campaign_id=campaign, right=right)
        for campaign, right in sorted(wanted - set(current))
    )


def _empty(user: User) -> bool:
    """No principal info of its own yet: no grants, teams nor administrator role."""
    return not (
        user.is_staff
        or user.rap_grants.exists()
        or user.rap_teams.exists()
        or user.discovery_permissions.exists()
    )


def create_principal_info(actor: Principal, *, identifier: str, info: PrincipalInfo) -> User:
    """The principal info of a new account (made without a password), or of an existing
    one whose principal info is still empty (409 otherwise)."""
    require_administrator(actor)
    identifier = checked_identifier(identifier)
    user_model = get_user_model()
    try:
        with transaction.atomic():
            user = (
                user_model._default_manager.select_for_update()
                .filter(**{user_model.USERNAME_FIELD: identifier})
                .first()
            )
            created = user is None
            if user is None:
                user = user_model(**{user_model.USERNAME_FIELD: identifier})
                user.set_unusable_password()
                user.save()
            elif not _empty(user):
                raise already_exists("principal info", identifier)
            _apply(actor, user, info)
            written(actor, "principalinfo.create", user, identifier=identifier, new=created)
    except IntegrityError:
        raise already_exists("principal info", identifier) from None
    return user


def update_principal_info(actor: Principal, user: User, *, info: PrincipalInfo) -> None:
    require_administrator(actor)
    with transaction.atomic():
        lock(user)
        _apply(actor, user, info)
        written(actor, "principalinfo.update", user, identifier=user.get_username())


def _needed(user: User) -> bool:
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


def delete_principal_info(actor: Principal, user: User) -> None:
    """Empties the principal info; deletes the account too when nothing else needs it."""
    require_administrator(actor)
    identifier = user.get_username()
    with transaction.atomic():
        lock(user)
        if user.pk == actor.pk:
            raise conflict("you cannot delete your own principal info", reason="self")
        require_may_manage(actor, user)
        if user.is_superuser:
            raise conflict(f"{identifier!r} is a superuser: change it in Django's admin")
        written(actor, "principalinfo.delete", user, identifier=identifier)
        user.rap_grants.all().delete()
        user.discovery_permissions.all().delete()
        user.rap_teams.clear()
        user.rap_managed_teams.clear()
        if user.is_staff:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
        if not _needed(user):
            user.delete()
