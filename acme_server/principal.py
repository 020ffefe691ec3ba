"""Who an ACME account acts as in the portal (profiles/access.py, "An ACME account").

An account bound to a user (its EAB key was made for that user) acts as the user: requests
name them as requester and certificates as owner. An account bound to a team, or to nobody,
has no portal account: ``AcmePrincipal`` stands for it, named in audit events and as the
request's requester by its account URL. Either way the caller carries an ``AcmeBinding``
(``acme_binding``) that limits it to enrolling on its own profile.
"""

from dataclasses import dataclass
from typing import Any

from acme_server.models import AcmeAccount
from profiles.access import ACME_ATTRIBUTE
from profiles.models import Team
from raportal.callers import Principal


@dataclass
class AcmeBinding:
    account_id: int
    profile_id: int
    team_id: int | None
    team: Team | None
    # Set by acme_server/revocation.py once RFC 8555 §7.6 authorizes revoking it.
    revocable_certificate: int | None = None


class AcmePrincipal:
    """An ACME account with no portal account of its own (bound to a team or to nobody)."""

    pk = None
    id = None
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, account: AcmeAccount | None, address: str, detail: str = ""):
        self.account = account
        self.address = address
        self.detail = detail

    def get_username(self) -> str:
        if self.account is None:
            return f"ACME client ({self.detail or 'certificate key'})"
        holder = f", team {self.account.team}" if self.account.team_id else ""
        return f"ACME account {self.account.pk} on {self.account.profile.name}{holder}"

    @property
    def audit_principal(self) -> dict[str, Any]:
        return {
            "principal": self.get_username(),
            "authentication": "ACME JWS",
            "address": self.address,
        }

    def __str__(self) -> str:
        return self.get_username()


def acting_principal(account: AcmeAccount, address: str) -> Principal:
    """The caller an account's requests are filed by: its user, or an AcmePrincipal."""
    caller: Any = account.user if account.user is not None else AcmePrincipal(account, address)
    setattr(
        caller,
        ACME_ATTRIBUTE,
        AcmeBinding(account.pk, account.profile_id, account.team_id, account.team),
    )
    return caller


def key_holder(profile_id: int, address: str) -> Principal:
    """A caller who proved only that it holds a certificate's key (revokeCert, §7.6)."""
    caller: Any = AcmePrincipal(None, address, "certificate key")
    setattr(caller, ACME_ATTRIBUTE, AcmeBinding(0, profile_id, None, None))
    return caller


def account_actor(account: AcmeAccount, address: str = "") -> Any:
    """Who an audit event about an account's work names: its user, or the account."""
    return account.user if account.user is not None else AcmePrincipal(account, address)
