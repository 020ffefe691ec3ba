"""API keys of accounts: a new key (shown once: only its hash is kept), revocation."""

import datetime as dt
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from administration.services.checks import require_may_manage, written
from raportal.callers import Principal
from raportal.models import ApiCredential


def new_api_id(account: User) -> str:
    """A fresh X-API-ID for one of the account's keys: its username and a random suffix."""
    return f"{account.get_username()[:140]}.{secrets.token_hex(4)}"


@sensitive_variables("key")
def create_api_key(
    actor: Principal, account: User, *, description: str, expires_at: dt.datetime | None = None
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
        written(
            actor,
            "apicredential.create",
            credential,
            api_id=credential.api_id,
            user=account.get_username(),
            expires_at=expires_at.isoformat() if expires_at else None,
        )
    return credential, key


def revoke_api_key(actor: Principal, credential: ApiCredential) -> None:
    require_may_manage(actor, credential.user)
    with transaction.atomic():
        ApiCredential.objects.filter(pk=credential.pk).update(enabled=False)
        credential.enabled = False
        written(actor, "apicredential.revoke", credential, api_id=credential.api_id)
