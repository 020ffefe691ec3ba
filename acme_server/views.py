"""The ACME server's endpoints (RFC 8555 §7), one directory per ACME profile at
``/acme/<profile>/directory``.

Every answer carries a fresh ``Replay-Nonce`` (§6.5), a ``Link: <directory>;rel="index"``
(§7.1) and ``Cache-Control: no-store``; every error is a problem document with the RFC's
type (acme_server/problems.py). Resources other than the directory and newNonce are read
with POST-as-GET (§6.3) and only by the account they belong to — others get 404, as if they
did not exist.
"""

import json
import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from acme_server import accounts, orders, resources, revocation, urls_of
from acme_server.jws import Signed, check_request
from acme_server.models import (
    AcmeAccount,
    AcmeAuthorization,
    AcmeChallenge,
    AcmeOrder,
    ChallengeStatus,
    OrderStatus,
)
from acme_server.nonces import new_nonce
from acme_server.principal import acting_principal
from acme_server.problems import AcmeProblem, problem_response
from profiles.models import Module, Profile
from raportal.throttling import client_ip

log = logging.getLogger(__name__)

PEM_CHAIN = "application/pem-certificate-chain"
RETRY_AFTER_SECONDS = "3"

View = Callable[..., HttpResponse]


def _profile(name: str) -> Profile:
    profile = (
        Profile.objects.filter(name=name, module=Module.ACME, enabled=True)
        .select_related("ca")
        .first()
    )
    if profile is None:
        raise AcmeProblem("malformed", f"no enabled ACME profile is named {name!r}", status=404)
    return profile


def _finish(
    request: HttpRequest, response: HttpResponse, profile_name: str, nonce: bool
) -> HttpResponse:
    if nonce:
        response["Replay-Nonce"] = new_nonce()
    response["Cache-Control"] = "no-store"
    index = f'<{urls_of.absolute(request, "acme-directory", profile_name)}>;rel="index"'
    response["Link"] = f"{response['Link']}, {index}" if response.has_header("Link") else index
    return response


def acme_view(methods: tuple[str, ...], *, nonce: bool = True) -> Callable[[View], View]:
    """The endpoint's methods (405 otherwise), its profile, and every answer's headers (the
    directory's without a nonce: §7.2 asks one of newNonce and of every POST's answer)."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, profile: str, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise AcmeProblem(
                        "malformed",
                        f"use {' or '.join(methods)} here (resources are read with POST-as-GET)",
                        status=405,
                        headers={"Allow": ", ".join(methods)},
                    )
                response = view(request, _profile(profile), **kwargs)
            except AcmeProblem as problem:
                response = problem_response(problem)
            except Exception:  # a bug: logged, and still answered in ACME's form (§6.7)
                log.exception("ACME %s %s failed", request.method, request.path)
                response = problem_response(
                    AcmeProblem("serverInternal", "the server failed; try again later")
                )
            return _finish(request, response, profile, nonce)

        return wrapper

    return decorate


def _json(body: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _signed(request: HttpRequest, profile: Profile, key_from: str = "kid") -> Signed:
    return check_request(
        request, profile, request.build_absolute_uri(request.path), key_from=key_from
    )


def _account_signed(request: HttpRequest, profile: Profile) -> tuple[Signed, AcmeAccount]:
    signed = _signed(request, profile)
    assert signed.account is not None
    return signed, signed.account


def _post_as_get(signed: Signed) -> None:
    if signed.payload is not None:
        raise AcmeProblem("malformed", "this resource is read with POST-as-GET: an empty payload")


def _not_found(what: str) -> AcmeProblem:
    return AcmeProblem("malformed", f"no such {what}", status=404)


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise _not_found("resource") from None


# --- directory, nonces, accounts ---------------------------------------------------------


@acme_view(("GET",), nonce=False)
def directory(request: HttpRequest, profile: Profile) -> HttpResponse:
    return _json(resources.directory(request, profile))


@acme_view(("GET", "HEAD"))
def new_nonce_view(request: HttpRequest, profile: Profile) -> HttpResponse:
    # §7.2: 200 to HEAD, 204 to GET; the nonce is added with every answer.
    return HttpResponse(status=200 if request.method == "HEAD" else 204)


@acme_view(("POST",))
def new_account(request: HttpRequest, profile: Profile) -> HttpResponse:
    signed = _signed(request, profile, key_from="jwk")
    account, created = accounts.new_account(
        profile,
        signed.key,
        signed.payload or {},
        url=request.build_absolute_uri(request.path),
        address=client_ip(request),
    )
    location = urls_of.account_url(request, profile, account.pk)
    return _json(resources.account(request, account), 201 if created else 200, Location=location)


@acme_view(("POST",))
def account_view(request: HttpRequest, profile: Profile, account_id: int) -> HttpResponse:
    signed, account = _account_signed(request, profile)
    if account.pk != account_id:
        raise AcmeProblem("unauthorized", "an account may act on itself only")
    if signed.payload is not None:
        account = accounts.update_account(account, signed.payload, address=client_ip(request))
    return _json(resources.account(request, account))


@acme_view(("POST",))
def account_orders(request: HttpRequest, profile: Profile, account_id: int) -> HttpResponse:
    signed, account = _account_signed(request, profile)
    _post_as_get(signed)
    if account.pk != account_id:
        raise AcmeProblem("unauthorized", "an account may list its own orders only")
    ids = orders.orders_of(account).values_list("pk", flat=True)[:1000]
    return _json({"orders": [urls_of.order_url(request, profile, pk) for pk in ids]})


@acme_view(("POST",))
def key_change(request: HttpRequest, profile: Profile) -> HttpResponse:
    signed, account = _account_signed(request, profile)
    account = accounts.change_key(
        account,
        signed.payload,
        outer_url=request.build_absolute_uri(request.path),
        account_url=urls_of.account_url(request, profile, account.pk),
        url_of=lambda holder: urls_of.account_url(request, profile, holder.pk),
        address=client_ip(request),
    )
    return _json(resources.account(request, account))


# --- orders ------------------------------------------------------------------------------


def _order_of(account: AcmeAccount, order_id: str) -> AcmeOrder:
    order = (
        AcmeOrder.objects.filter(pk=_uuid(order_id), account=account)
        .select_related("account__profile", "request")
        .first()
    )
    if order is None:
        raise _not_found("order")
    return orders.refresh_order(order)


def _order_response(request: HttpRequest, order: AcmeOrder, status: int = 200, **headers: str):
    if order.status == OrderStatus.PROCESSING:
        headers["Retry_After"] = RETRY_AFTER_SECONDS
    return _json(resources.order(request, order), status, **headers)


@acme_view(("POST",))
def new_order(request: HttpRequest, profile: Profile) -> HttpResponse:
    signed, account = _account_signed(request, profile)
    order = orders.new_order(account, signed.payload or {})
    location = urls_of.order_url(request, profile, order.pk)
    return _order_response(request, order, 201, Location=location)


@acme_view(("POST",))
def order_view(request: HttpRequest, profile: Profile, order_id: str) -> HttpResponse:
    signed, account = _account_signed(request, profile)
    _post_as_get(signed)
    return _order_response(request, _order_of(account, order_id))


@acme_view(("POST",))
def finalize(request: HttpRequest, profile: Profile, order_id: str) -> HttpResponse:
    signed, account = _account_signed(request, profile)
    order = _order_of(account, order_id)
    principal = acting_principal(account, client_ip(request))
    order = orders.finalize_order(order, signed.payload, principal)
    location = urls_of.order_url(request, profile, order.pk)
    return _order_response(request, order, Location=location)


@acme_view(("POST",))
def certificate(
    request: HttpRequest, profile: Profile, order_id: str, with_root: bool = False
) -> HttpResponse:
    signed, account = _account_signed(request, profile)
    _post_as_get(signed)
    order = _order_of(account, order_id)
    if order.status != OrderStatus.VALID or order.certificate is None:
        raise _not_found("certificate")
    leaf = order.certificate
    chain = [ca.certificate_pem for ca in leaf.ca.chain()] if leaf.ca else []
    if not with_root and len(chain) > 1:
        chain = chain[:-1]  # the root is the relying party's to trust, not to be sent
    body = "".join(pem.strip() + "\n" for pem in [leaf.pem, *chain])
    response = HttpResponse(body, content_type=PEM_CHAIN)
    other = urls_of.certificate_url(request, profile, order.pk, with_root=not with_root)
    response["Link"] = f'<{other}>;rel="alternate"'
    return response


# --- authorizations and challenges -------------------------------------------------------


@acme_view(("POST",))
def authorization(request: HttpRequest, profile: Profile, authz_id: str) -> HttpResponse:
    signed, account = _account_signed(request, profile)
    item = (
        AcmeAuthorization.objects.filter(pk=_uuid(authz_id), order__account=account)
        .prefetch_related("challenges")
        .first()
    )
    if item is None:
        raise _not_found("authorization")
    orders.refresh_authorization(item)
    if signed.payload is not None:
        if signed.payload.get("status") != "deactivated":
            raise AcmeProblem("malformed", "an authorization may only be deactivated")
        item = orders.deactivate_authorization(item)
    body = resources.authorization(request, profile, item)
    checking = any(c["status"] == ChallengeStatus.PROCESSING for c in body["challenges"])
    return _json(body, 200, **({"Retry_After": RETRY_AFTER_SECONDS} if checking else {}))


@acme_view(("POST",))
def challenge(request: HttpRequest, profile: Profile, challenge_id: str) -> HttpResponse:
    signed, account = _account_signed(request, profile)
    item = (
        AcmeChallenge.objects.filter(pk=_uuid(challenge_id), authorization__order__account=account)
        .select_related("authorization")
        .first()
    )
    if item is None:
        raise _not_found("challenge")
    if signed.payload is not None:  # §7.5.1: {} says "validate now"
        item = orders.respond_to_challenge(item)
    up = urls_of.authorization_url(request, profile, item.authorization_id)
    headers = {"Link": f'<{up}>;rel="up"'}
    if item.status == ChallengeStatus.PROCESSING:  # §7.5.1: when to look again
        headers["Retry_After"] = RETRY_AFTER_SECONDS
    return _json(resources.challenge(request, profile, item), 200, **headers)


@acme_view(("POST",))
def revoke_cert(request: HttpRequest, profile: Profile) -> HttpResponse:
    signed = _signed(request, profile, key_from="either")
    revocation.revoke(profile, signed, client_ip(request))
    return HttpResponse(status=200)
