"""The JSON objects of RFC 8555 §7.1 for accounts, orders, authorizations and challenges."""

import datetime as dt
from typing import Any

from django.http import HttpRequest

from acme_server import urls_of
from acme_server.models import (
    AcmeAccount,
    AcmeAuthorization,
    AcmeChallenge,
    AcmeOrder,
    OrderStatus,
)
from profiles.models import Profile


def rfc3339(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def directory(request: HttpRequest, profile: Profile) -> dict[str, Any]:
    def url(name: str) -> str:
        return urls_of.absolute(request, name, profile.name)

    meta: dict[str, Any] = {"externalAccountRequired": profile.acme_eab_required}
    if profile.acme_terms_of_service:
        meta["termsOfService"] = profile.acme_terms_of_service
    if profile.acme_website:
        meta["website"] = profile.acme_website
    return {
        "newNonce": url("acme-new-nonce"),
        "newAccount": url("acme-new-account"),
        "newOrder": url("acme-new-order"),
        "revokeCert": url("acme-revoke-cert"),
        "keyChange": url("acme-key-change"),
        "meta": meta,
    }


def account(request: HttpRequest, account: AcmeAccount) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": account.status,
        "contact": account.contact,
        "orders": urls_of.absolute(
            request, "acme-account-orders", account.profile.name, account.pk
        ),
    }
    if account.terms_agreed:
        body["termsOfServiceAgreed"] = True
    return body


def order(request: HttpRequest, order: AcmeOrder) -> dict[str, Any]:
    profile = order.account.profile
    body: dict[str, Any] = {
        "status": order.status,
        "expires": rfc3339(order.expires_at),
        "identifiers": order.identifiers,
        "authorizations": [
            urls_of.authorization_url(request, profile, authz_id)
            for authz_id in order.authorizations.values_list("pk", flat=True)
        ],
        "finalize": urls_of.finalize_url(request, profile, order.pk),
    }
    if order.status == OrderStatus.VALID and order.certificate_id is not None:
        body["certificate"] = urls_of.certificate_url(request, profile, order.pk)
    if order.status == OrderStatus.INVALID and order.error:
        body["error"] = order.error
    return body


def challenge(request: HttpRequest, profile: Profile, item: AcmeChallenge) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": item.type,
        "url": urls_of.challenge_url(request, profile, item.pk),
        "status": item.status,
        "token": item.token,
    }
    if item.validated_at is not None:
        body["validated"] = rfc3339(item.validated_at)
    if item.error:
        body["error"] = item.error
    return body


def authorization(
    request: HttpRequest, profile: Profile, item: AcmeAuthorization
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identifier": item.identifier(),
        "status": item.status,
        "expires": rfc3339(item.expires_at),
        "challenges": [challenge(request, profile, c) for c in item.challenges.all()],
    }
    if item.wildcard:
        body["wildcard"] = True
    return body
