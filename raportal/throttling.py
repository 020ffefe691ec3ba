"""Throttling of repeated authentication failures: wrong API keys and wrong web passwords.

Every failure counts twice in Django's cache (Redis when configured, so that every app server
sees the same counters): once for the account identifier (the ``X-API-ID``, or the username
typed on a sign-in form) and once for the client's network address. When either counter
reaches its limit within the window, that account — or that address — is blocked for one
window: further attempts answer 429 with ``Retry-After``, *before* any credential is checked.
A correct guess made while blocked is refused too, otherwise the difference between 429 and
200 would tell an attacker when they have guessed right.

Nothing else is slowed: successful sign-ins are never counted, and a valid caller pays one
cache read per authentication. Another account is only affected through the address counter,
so hammering account A does not throttle account B used from another address.

The counters are fixed windows that start at the first failure; the block, once reached,
lasts ``RAPORTAL_AUTH_FAILURE_WINDOW`` seconds. If the cache is unreachable the throttle
fails open (logged): an outage of Redis must not lock every user out of the RA.
"""

import hashlib
import ipaddress
import logging
import math
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.dispatch import receiver

log = logging.getLogger(__name__)

# Set on the Django HttpRequest when an attempt was refused: seconds until it may retry.
REQUEST_FLAG = "raportal_auth_throttled"


def _setting(name: str, default):
    return getattr(settings, name, default)


def _cache():
    return caches["default"]


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or — behind ``RAPORTAL_TRUSTED_PROXY_COUNT``
    reverse proxies that append to ``X-Forwarded-For`` — the entry the first of them wrote.
    Entries further left are written by the client and could be forged."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    proxies = _setting("RAPORTAL_TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [
            item.strip()
            for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if item.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return address


def _address_bucket(address: str) -> str:
    """IPv6 clients get a whole /64 each (one subscriber's usual allocation): counting single
    addresses would let them rotate through 2^64 of them."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _keys(request, scope: str, account: str | None) -> list[tuple[str, str, int, str]]:
    """(counter key, block key, limit, label) for the account and for the address. ``scope``
    may name several, "api+web": a password sent as an API key counts against the account's
    API and web sign-in budgets both (and once against the address)."""
    window_keys = []
    targets = []
    account = (account or "").strip().casefold()
    if account:
        for one in scope.split("+"):
            targets.append(
                (f"{one}-account", account, _setting("RAPORTAL_AUTH_FAILURES_PER_ACCOUNT", 10))
            )
    address = _address_bucket(client_ip(request))
    if address:
        targets.append(("address", address, _setting("RAPORTAL_AUTH_FAILURES_PER_IP", 50)))
    for kind, value, limit in targets:
        if not limit:
            continue  # 0 turns this counter off
        # Hashed: the cache never holds user names or addresses in clear, and keys stay short
        # and free of characters a cache backend could reject.
        digest = hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()[:40]
        window_keys.append(
            (f"raportal:authfail:{digest}", f"raportal:authblock:{digest}", limit, kind)
        )
    return window_keys


def blocked_for(request, scope: str, account: str | None) -> int | None:
    """Seconds until this account or address may try again, or None when it may now."""
    keys = _keys(request, scope, account)
    if not keys:
        return None
    try:
        blocks = _cache().get_many([block for _, block, _, _ in keys])
    except Exception as exc:  # fail open: see the module's docstring
        log.warning("authentication throttle unavailable (%s)", exc.__class__.__name__)
        return None
    if not blocks:
        return None
    remaining = max(float(until) for until in blocks.values()) - time.time()
    return max(1, math.ceil(remaining))


def record_failure(request, scope: str, account: str | None) -> None:
    window = _setting("RAPORTAL_AUTH_FAILURE_WINDOW", 300)
    try:
        cache = _cache()
        for counter, block, limit, kind in _keys(request, scope, account):
            if cache.add(counter, 1, timeout=window):
                count = 1
            else:
                try:
                    count = cache.incr(counter)
                except ValueError:  # expired between add() and incr()
                    cache.set(counter, 1, timeout=window)
                    count = 1
            if count >= limit:
                cache.set(block, time.time() + window, timeout=window)
                cache.delete(counter)  # the next window starts when the block ends
                log.warning(
                    "authentication blocked for %s s after %d failures: %s from %s",
                    window,
                    count,
                    "the address" if kind == "address" else _loggable_account(scope, account),
                    client_ip(request),
                )
    except Exception as exc:  # fail open: see the module's docstring
        log.warning("authentication throttle unavailable (%s)", exc.__class__.__name__)


def _loggable_account(scope: str, account: str | None) -> str:
    """The account's name when it is one: what was typed as a name may be a password or a
    key (a user swapping the two fields), and must then not reach the log."""
    from raportal.models import ApiCredential

    account = account or ""
    if scope == "api":
        known = ApiCredential.objects.filter(api_id=account).exists()
    elif scope == "api+web":
        user_model = get_user_model()
        known = ApiCredential.objects.filter(api_id=account).exists() or (
            user_model._default_manager.filter(**{user_model.USERNAME_FIELD: account}).exists()
        )
    else:
        user_model = get_user_model()
        known = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: account}).exists()
    return f"account {account!r}" if known else "an unknown account"


def throttled_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (
        "Too many failed sign-in attempts for this account or from your network. "
        f"Try again in {minutes} minute{'s' if minutes > 1 else ''}."
    )


# --- web sign-in -------------------------------------------------------------------------


class ThrottledModelBackend(ModelBackend):
    """Django's user/password backend, which first refuses — on the portal's sign-in page, the
    admin's, or any other form — before a password is hashed, while the account or the
    address is blocked."""

    def authenticate(self, request, username=None, password=None, **credentials):
        if request is not None:
            account = username
            if account is None:
                account = credentials.get(get_user_model().USERNAME_FIELD)
            wait = blocked_for(request, "web", account)
            if wait:
                setattr(request, REQUEST_FLAG, wait)
                raise PermissionDenied  # authenticate() stops here and reports a failed login
        return super().authenticate(request, username=username, password=password, **credentials)


@receiver(user_login_failed, dispatch_uid="raportal.throttling.count_login_failure")
def count_login_failure(sender, credentials, request=None, **kwargs):
    if request is None or getattr(request, REQUEST_FLAG, None):
        return  # refused by the throttle itself: not another failure
    username = credentials.get(get_user_model().USERNAME_FIELD, credentials.get("username"))
    record_failure(request, "web", username)


class ThrottledLoginFormMixin:
    """Says why a sign-in was refused when the throttle refused it."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            wait = getattr(self.request, REQUEST_FLAG, None)
            if wait:
                raise ValidationError(throttled_message(wait), code="throttled") from None
            raise


class ThrottledAuthenticationForm(ThrottledLoginFormMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginFormMixin, AdminAuthenticationForm):
    pass


class AuthThrottleMiddleware:
    """Turns any answer to a refused attempt into 429 with ``Retry-After`` (RFC 9110 §10.2.3):
    the sign-in pages re-display their form, the API answers its problem."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        wait = getattr(request, REQUEST_FLAG, None)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response
