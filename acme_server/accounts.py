"""ACME accounts (RFC 8555 §7.3): creation (with External Account Binding where the profile
requires it), lookup by key, contact updates, deactivation and key rollover."""

import json
from typing import Any

from django.db import IntegrityError, transaction
from josepy.jwk import JWK

from acme_server import eab
from acme_server.jws import parse_flattened, read_jwk, thumbprint, verify_signature
from acme_server.models import AccountStatus, AcmeAccount
from acme_server.principal import AcmePrincipal
from acme_server.problems import AcmeProblem
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
    """Contact update or deactivation (§7.3.2, §7.3.6); other fields are ignored."""
    fields = []
    if "contact" in payload:
        account.contact = check_contact(payload["contact"])
        fields.append("contact")
    status = payload.get("status")
    if status is not None:
        if status != AccountStatus.DEACTIVATED:
            raise AcmeProblem("malformed", "a client may only set status to deactivated")
        account.status = AccountStatus.DEACTIVATED
        fields.append("status")
    if fields:
        with transaction.atomic():
            account.save(update_fields=fields)
            action = "acme.account.deactivate" if "status" in fields else "acme.account.update"
            record(account.user or AcmePrincipal(account, address), action, account)
    return account


def change_key(
    account: AcmeAccount, inner_body: Any, *, outer_url: str, address: str
) -> AcmeAccount:
    """keyChange (§7.3.5): the inner JWS, signed by the new key (a jwk), says which account
    and which old key; the outer one was signed by the account's current key."""
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
    if not isinstance(change, dict) or change.get("account") is None:
        raise AcmeProblem("malformed", "the inner payload names the account")
    old_key = read_jwk(change.get("oldKey"))
    if thumbprint(old_key) != account.thumbprint:
        raise AcmeProblem("unauthorized", "oldKey is not the account's current key")
    with transaction.atomic():
        holder = AcmeAccount.objects.filter(
            profile=account.profile, thumbprint=thumbprint(new_key)
        ).first()
        if holder is not None:
            raise AcmeProblem("malformed", "another account already has this key", status=409)
        account.thumbprint = thumbprint(new_key)
        account.jwk = new_key.public_key().to_json()
        account.save(update_fields=["thumbprint", "jwk"])
        record(account.user or AcmePrincipal(account, address), "acme.account.key_change", account)
    return account
