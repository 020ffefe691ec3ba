"""ACME accounts (RFC 8555 §7.3): creation (with External Account Binding where the profile
requires it), lookup by key, contact updates, deactivation and key rollover."""

import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from josepy.jwk import JWK

from acme_server import eab
from acme_server.jws import parse_flattened, read_jwk, thumbprint, verify_signature
from acme_server.models import (
    AccountStatus,
    AcmeAccount,
    AcmeAuthorization,
    AuthorizationStatus,
    OrderStatus,
)
from acme_server.principal import AcmePrincipal
from acme_server.problems import AcmeProblem, error_document
from profiles.models import Profile
from raportal.models import record

MAX_CONTACTS = 10


def find_account(profile: Profile, key: JWK) -> AcmeAccount | None:
    return AcmeAccount.objects.filter(profile=profile, thumbprint=thumbprint(key)).first()


def check_contact(contact: Any) -> list[str]:
    """``mailto:`` URIs only (§7.3: the server may refuse other schemes), one address each."""
    if contact is None:
        return []
    if not isinstance(contact, list) or len(contact) > MAX_CONTACTS:
        raise AcmeProblem("malformed", f"contact must be a list of at most {MAX_CONTACTS} URLs")
    out = []
    for item in contact:
        if not isinstance(item, str) or not item.startswith("mailto:"):
            raise AcmeProblem("unsupportedContact", "only mailto: contacts are supported")
        address = item[len("mailto:") :]
        if (
            not address
            or len(address) > 254
            or address.count("@") != 1
            or any(c in address for c in ",;?<>\"' \t\r\n")
        ):
            raise AcmeProblem("invalidContact", f"{item!r} is not one e-mail address")
        out.append(item)
    return out


def new_account(
    profile: Profile, key: JWK, payload: dict[str, Any], *, url: str, address: str
) -> tuple[AcmeAccount, bool]:
    """The account of ``key`` (created unless it exists); True when created now."""
    existing = find_account(profile, key)
    if existing is not None:
        return existing, False
    if payload.get("onlyReturnExisting") is True:
        raise AcmeProblem("accountDoesNotExist", "no account has this key on this directory")
    contact = check_contact(payload.get("contact"))
    if profile.acme_terms_of_service and payload.get("termsOfServiceAgreed") is not True:
        raise AcmeProblem(
            "userActionRequired",
            "agree to the terms of service (termsOfServiceAgreed)",
            instance=profile.acme_terms_of_service,
        )
    binding = payload.get("externalAccountBinding")
    if profile.acme_eab_required and binding is None:
        raise AcmeProblem(
            "externalAccountRequired",
            "this directory requires an External Account Binding made in the portal",
        )
    try:
        with transaction.atomic():
            account = AcmeAccount(
                profile=profile,
                thumbprint=thumbprint(key),
                jwk=key.public_key().to_json(),
                contact=contact,
                terms_agreed=payload.get("termsOfServiceAgreed") is True,
                created_from=address or None,
            )
            key_row = None
            if binding is not None:
                key_row = eab.verify_binding(profile, binding, account.jwk, url)
                account.eab_key = key_row
                account.user = key_row.user
                account.team = key_row.team
            account.save()
            if key_row is not None:
                eab.mark_used(key_row)
            actor = account.user or AcmePrincipal(account, address)
            record(
                actor,
                "acme.account.create",
                account,
                profile=profile.name,
                eab=key_row.kid if key_row else None,
                team=account.team.name if account.team else None,
            )
    except IntegrityError:  # the same key, racing: the other request created it
        racing = find_account(profile, key)
        if racing is None:
            raise
        return racing, False
    return account, True


def update_account(account: AcmeAccount, payload: dict[str, Any], *, address: str) -> AcmeAccount:
    """Contact update or deactivation (§7.3.2, §7.3.6); other fields are ignored. Deactivating
    ends the account's orders still open and their authorizations (§7.3.6 SHOULD)."""
    contact = check_contact(payload["contact"]) if "contact" in payload else None
    status = payload.get("status")
    if status is not None and status != AccountStatus.DEACTIVATED:
        raise AcmeProblem("malformed", "a client may only set status to deactivated")
    if contact is None and status is None:
        return account
    with transaction.atomic():
        locked = AcmeAccount.objects.select_for_update().get(pk=account.pk)
        if locked.status != AccountStatus.VALID:
            raise AcmeProblem("unauthorized", f"this account is {locked.status}", status=401)
        fields = []
        if contact is not None:
            locked.contact = contact
            fields.append("contact")
        if status is not None:
            locked.status = AccountStatus.DEACTIVATED
            fields.append("status")
            close_open_work(locked)
        locked.save(update_fields=fields)
        action = "acme.account.deactivate" if status else "acme.account.update"
        record(locked.user or AcmePrincipal(locked, address), action, locked)
    return locked


def close_open_work(account: AcmeAccount) -> None:
    """A deactivated account's pending and ready orders become invalid, their pending and
    valid authorizations deactivated (§7.3.6). A finalized order's portal request is the
    approvers' to decide."""
    open_orders = account.orders.filter(status__in=[OrderStatus.PENDING, OrderStatus.READY])
    AcmeAuthorization.objects.filter(
        order__in=open_orders,
        status__in=[AuthorizationStatus.PENDING, AuthorizationStatus.VALID],
    ).update(status=AuthorizationStatus.DEACTIVATED)
    open_orders.update(
        status=OrderStatus.INVALID,
        error=error_document("unauthorized", "the account was deactivated"),
    )


def change_key(
    account: AcmeAccount,
    inner_body: Any,
    *,
    outer_url: str,
    account_url: str,
    url_of: Callable[[AcmeAccount], str],
    address: str,
) -> AcmeAccount:
    """keyChange (§7.3.5): the inner JWS, signed by the new key (a jwk), names this account
    (its URL) and its current key; the outer one was signed by that current key. A key
    another account holds: 409 with that account's URL in Location."""
    if not isinstance(inner_body, dict):
        raise AcmeProblem("malformed", "keyChange's payload must be a flattened JWS")
    protected, inner = parse_flattened(json.dumps(inner_body).encode())
    if protected.get("url") != outer_url:
        raise AcmeProblem("malformed", "the inner JWS's url must be the keyChange URL")
    if "jwk" not in protected or "kid" in protected or "nonce" in protected:
        raise AcmeProblem("malformed", "the inner JWS is signed by the new key, as a jwk")
    new_key = read_jwk(protected["jwk"])
    verify_signature(inner, new_key)
    try:
        change = json.loads(inner.payload)
    except ValueError:
        raise AcmeProblem("malformed", "the inner payload is not JSON") from None
    if not isinstance(change, dict) or change.get("account") != account_url:
        raise AcmeProblem("malformed", "the inner payload's account must be this account's URL")
    old_key = read_jwk(change.get("oldKey"))
    if thumbprint(old_key) != account.thumbprint:
        raise AcmeProblem("unauthorized", "oldKey is not the account's current key")

    def conflict() -> AcmeProblem:
        holder = AcmeAccount.objects.filter(
            profile=account.profile, thumbprint=thumbprint(new_key)
        ).first()
        headers = {"Location": url_of(holder)} if holder is not None else {}
        return AcmeProblem(
            "malformed", "another account already has this key", status=409, headers=headers
        )

    if AcmeAccount.objects.filter(profile=account.profile, thumbprint=thumbprint(new_key)).exists():
        raise conflict()
    try:
        with transaction.atomic():
            locked = AcmeAccount.objects.select_for_update().get(pk=account.pk)
            if locked.status != AccountStatus.VALID:
                raise AcmeProblem("unauthorized", f"this account is {locked.status}", status=401)
            locked.thumbprint = thumbprint(new_key)
            locked.jwk = new_key.public_key().to_json()
            locked.save(update_fields=["thumbprint", "jwk"])
            actor = locked.user or AcmePrincipal(locked, address)
            record(actor, "acme.account.key_change", locked)
    except IntegrityError:  # another account took the key meanwhile (unique per profile)
        raise conflict() from None
    return locked
