"""What administrators do to ACME accounts and External Account Binding keys beyond the
protocol: read them per profile, deactivate an account, make and withdraw EAB keys (the
services of acme_server/eab.py, behind the administrator check and the edge's checks).

An administrator's deactivation is the one a client may ask for itself (RFC 8555 §7.3.6):
the account's key is refused from then on (acme_server/jws.py), its certificates stay valid
(revoke them in the portal if they must go).
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.urls import reverse

from acme_server import eab
from acme_server.accounts import close_open_work
from acme_server.models import AccountStatus, AcmeAccount, ExternalAccountKey
from administration.services.checks import require_administrator
from profiles.models import Module, Profile, Team
from raportal.callers import Principal
from raportal.errors import conflict, invalid_request
from raportal.models import record


def acme_profiles() -> QuerySet[Profile]:
    return Profile.objects.filter(module=Module.ACME).order_by("name")


def directory_url(profile: Profile) -> str:
    """The directory URL clients are configured with, from RAPORTAL_BASE_URL (the address
    they reach the portal at, not the one an admin page was opened with)."""
    base = settings.RAPORTAL_BASE_URL.rstrip("/")
    return base + reverse("acme-directory", args=[profile.name])


def certbot_command(profile: Profile, kid: str, hmac_key: str) -> str:
    """How certbot uses a new EAB key (its --eab-kid and --eab-hmac-key options)."""
    return (
        f"certbot certonly --server {directory_url(profile)} "
        f"--eab-kid {kid} --eab-hmac-key {hmac_key} -d <name>"
    )


def eab_keys(profile: Profile | None = None) -> QuerySet[ExternalAccountKey]:
    """EAB keys (newest first) with their holder, creator and the account each bound."""
    keys = ExternalAccountKey.objects.select_related("profile", "user", "team", "created_by")
    if profile is not None:
        keys = keys.filter(profile=profile)
    return keys.annotate(bound_account_id=F("account__id")).order_by("-created_at", "-pk")


def accounts_of(profile: Profile) -> QuerySet[AcmeAccount]:
    """A profile's ACME accounts (newest first) with their principal and orders count."""
    return (
        AcmeAccount.objects.filter(profile=profile)
        .select_related("user", "team", "eab_key")
        .annotate(order_count=Count("orders"))
        .order_by("-created_at", "-pk")
    )


def holder_from_names(user_name: Any, team_name: Any) -> tuple[Any, Team | None]:
    """The user or the team an EAB key is for, named by username or team name: exactly one
    (REQ-002 otherwise, or when it does not exist)."""
    given = [value not in (None, "") for value in (user_name, team_name)]
    if all(given):
        raise invalid_request("an EAB key is for a user or for a team: name one, not both")
    if not any(given):
        raise invalid_request("name the user or the team the EAB key is for (user or team)")
    for value, kind in ((user_name, "user"), (team_name, "team")):
        if value not in (None, "") and not isinstance(value, str):
            raise invalid_request(f"{kind}: expected a name (a string)")
    if user_name:
        user = get_user_model().objects.filter(username=user_name, is_active=True).first()
        if user is None:
            raise invalid_request(f"user: no active account named {str(user_name)[:80]!r}")
        return user, None
    team = Team.objects.filter(name=team_name).first()
    if team is None:
        raise invalid_request(f"team: no team named {str(team_name)[:80]!r}")
    return None, team


def create_key(
    actor: Principal,
    profile: Profile,
    *,
    user: Any = None,
    team: Team | None = None,
    comment: str = "",
) -> tuple[ExternalAccountKey, str]:
    """A new EAB key for ``user`` or ``team`` on the ACME ``profile``, and its HMAC key (shown
    once: only the sealed key is kept)."""
    require_administrator(actor)
    if profile.module != Module.ACME:
        raise invalid_request(f"profile {profile.name!r} is not an ACME profile")
    if (user is None) == (team is None):
        raise invalid_request("an EAB key is for a user or for a team: exactly one")
    return eab.create_eab_key(profile=profile, user=user, team=team, comment=comment, actor=actor)


def delete_key(actor: Principal, key: ExternalAccountKey) -> None:
    """Withdraws an EAB key; an account it already bound keeps its binding."""
    require_administrator(actor)
    eab.delete_eab_key(key, actor=actor)


def deactivate_account(actor: Principal, account: AcmeAccount) -> AcmeAccount:
    """Deactivates a valid ACME account (RFC 8555 §7.3.6, on the administrator's word): its
    key is refused from then on. A 409 when it is not valid any more."""
    require_administrator(actor)
    with transaction.atomic():
        locked = AcmeAccount.objects.select_for_update().get(pk=account.pk)
        if locked.status != AccountStatus.VALID:
            raise conflict(f"the ACME account is already {locked.status}", reason="exists")
        locked.status = AccountStatus.DEACTIVATED
        locked.save(update_fields=["status"])
        close_open_work(locked)
        record(
            actor,
            "acme.account.deactivate",
            locked,
            profile=locked.profile.name,
            by="administrator",
        )
    return locked
