"""The absolute URLs of ACME resources (RFC 8555 §7.1): built from the request's own scheme
and host (Django's ALLOWED_HOSTS vouch for the host), so the ``url`` a client signs matches
what it was told."""

import uuid

from django.http import HttpRequest
from django.urls import reverse

from profiles.models import Profile


def absolute(request: HttpRequest, name: str, *args: object) -> str:
    return request.build_absolute_uri(reverse(name, args=list(args)))


def directory_url(request: HttpRequest, profile: Profile) -> str:
    return absolute(request, "acme-directory", profile.name)


def account_url(request: HttpRequest, profile: Profile, account_id: int) -> str:
    return absolute(request, "acme-account", profile.name, account_id)


def account_id_from_url(request: HttpRequest, profile: Profile, url: object) -> int | None:
    prefix = absolute(request, "acme-account", profile.name, 0)[: -len("0")]
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    tail = url[len(prefix) :]
    # ASCII digits only: str.isdigit() also says yes to "²" (int() refuses it) and to other
    # scripts' digits (int() reads them: a kid that is not the account's URL).
    return int(tail) if tail.isascii() and tail.isdigit() and len(tail) < 18 else None


def order_url(request: HttpRequest, profile: Profile, order_id: uuid.UUID) -> str:
    return absolute(request, "acme-order", profile.name, order_id)


def finalize_url(request: HttpRequest, profile: Profile, order_id: uuid.UUID) -> str:
    return absolute(request, "acme-finalize", profile.name, order_id)


def certificate_url(
    request: HttpRequest, profile: Profile, order_id: uuid.UUID, with_root: bool = False
) -> str:
    if with_root:
        return absolute(request, "acme-certificate-with-root", profile.name, order_id)
    return absolute(request, "acme-certificate", profile.name, order_id)


def authorization_url(request: HttpRequest, profile: Profile, authz_id: uuid.UUID) -> str:
    return absolute(request, "acme-authorization", profile.name, authz_id)


def challenge_url(request: HttpRequest, profile: Profile, challenge_id: uuid.UUID) -> str:
    return absolute(request, "acme-challenge", profile.name, challenge_id)
