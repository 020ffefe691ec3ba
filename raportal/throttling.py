"""Throttling of repeated authentication failures: wrong API keys and wrong web passwords.

Every failure counts in Django's cache (Redis, so that every app server sees the same
counters; settings.py refuses a per-process cache with DEBUG off unless told otherwise):

- per account *and* client address (``RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP``, 10): when
  reached, that address may not try that account again for one window. A stranger's wrong
  keys thus block the stranger, never the holder of the account at another address;
- per client address (``RAPORTAL_AUTH_FAILURES_PER_IP``, 50), whatever the account: when
  reached, that address is blocked for every account (one address trying many accounts);
- per account, from every address (``RAPORTAL_AUTH_FAILURES_PER_ACCOUNT``, 100): a guessing
  attack spread over many addresses. Crossing it alerts the account's owner once per window
  (mail, a WARNING log line, an ``auth.failures.threshold`` audit event: raportal/
  auth_alerts.py) and *guards* the account for one window: it may then be tried only from
  the addresses it has authenticated from before (remembered ``KNOWN_ADDRESS_SECONDS``).
  The holder's right key from their usual address is still accepted; a stranger spreading
  guesses over fresh addresses gets 429 without a check. Alerting alone would leave
  passwords (accepted as API keys, as in Horizon) open to guessing at the pace of the
  attacker's address count; blocking every address would hand strangers the lock-out back.

While blocked, further attempts answer 429 with ``Retry-After`` *before* any credential is
checked: a correct guess made while blocked is refused too, otherwise the difference between
429 and 200 would tell an attacker when they have guessed right.

Nothing else is slowed: successful sign-ins are never counted, and a valid caller pays one
cache read per authentication (and one write the first time from an address).

The counters are fixed windows that start at the first failure; a block, once reached, lasts
``RAPORTAL_AUTH_FAILURE_WINDOW`` seconds. If the cache is unreachable the throttle fails open
(logged): an outage of Redis must not lock every user out of the RA.
"""

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

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
# Set on the Django HttpRequest by blocked_for(): the "known address" keys it found.
_KNOWN_FLAG = "raportal_auth_known"
# How long an address an account authenticated from counts as its usual one.
KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600


def _setting(name: str, default: int) -> int:
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


def _digest(*parts: str) -> str:
    # Hashed: the cache never holds user names or addresses in clear, and keys stay short and
    # free of characters a cache backend could reject.
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class _Counter:
    """One failure counter and the block it leads to. ``kind`` is "address", "<scope>-pair"
    (account and address) or "<scope>-account" (account-wide: a guard, see the docstring)."""

    kind: str
    digest: str
    limit: int

    @property
    def counter_key(self) -> str:
        return f"raportal:authfail:{self.digest}"

    @property
    def block_key(self) -> str:
        return f"raportal:authblock:{self.digest}"

    @property
    def account_wide(self) -> bool:
        return self.kind.endswith("-account")


def _account(account: str | None) -> str:
    return (account or "").strip().casefold()


def _counters(request, scope: str, account: str | None) -> list[_Counter]:
    """The counters one failure adds to. ``scope`` may name several, "api+web": a password
    sent as an API key counts against the account's API and web sign-in budgets both (and
    once against the address)."""
    name = _account(account)
    address = _address_bucket(client_ip(request))
    targets = []
    if name:
        for one in scope.split("+"):
            pair_limit = _setting("RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP", 10)
            targets.append(_Counter(f"{one}-pair", _digest(one, name, address), pair_limit))
            account_limit = _setting("RAPORTAL_AUTH_FAILURES_PER_ACCOUNT", 100)
            targets.append(_Counter(f"{one}-account", _digest(one, name), account_limit))
    if address:
        targets.append(
            _Counter(
                "address",
                _digest("address", address),
                _setting("RAPORTAL_AUTH_FAILURES_PER_IP", 50),
            )
        )
    return [target for target in targets if target.limit]  # 0 turns a counter off


def _known_key(request, account: str | None) -> str | None:
    """The cache key marking this address as one the account authenticated from (in any
    scope), or None without an account or an address."""
    name, address = _account(account), _address_bucket(client_ip(request))
    if not name or not address:
        return None
    return f"raportal:authknown:{_digest('known', name, address)}"


def _django_request(request):
    return getattr(request, "_request", request)  # DRF's Request wraps Django's


def blocked_for(request, scope: str, account: str | None) -> int | None:
    """Seconds until this account may be tried again from this address, or None when it may
    now."""
    counters = _counters(request, scope, account)
    known = _known_key(request, account)
    if not counters:
        return None
    keys = [counter.block_key for counter in counters] + ([known] if known else [])
    try:
        found = _cache().get_many(keys)
    except Exception as exc:  # fail open: see the module's docstring
        log.warning("authentication throttle unavailable (%s)", exc.__class__.__name__)
        return None
    if known:
        setattr(_django_request(request), _KNOWN_FLAG, {known: known in found})
    blocks = [
        found[counter.block_key]
        for counter in counters
        if counter.block_key in found
        # The account-wide guard does not apply where the account is at home.
        and not (counter.account_wide and known in found)
    ]
    if not blocks:
        return None
    remaining = max(float(until) for until in blocks) - time.time()
    return max(1, math.ceil(remaining))


def record_success(request, account: str | None) -> None:
    """Remembers the address as one the account authenticates from (once per
    ``KNOWN_ADDRESS_SECONDS``: no write when blocked_for() saw it already)."""
    known = _known_key(request, account)
    if not known:
        return
    if getattr(_django_request(request), _KNOWN_FLAG, {}).get(known):
        return
    try:
        _cache().set(known, 1, timeout=KNOWN_ADDRESS_SECONDS)
    except Exception as exc:  # fail open: see the module's docstring
        log.warning("authentication throttle unavailable (%s)", exc.__class__.__name__)


def record_failure(request, scope: str, account: str | None) -> None:
    window = _setting("RAPORTAL_AUTH_FAILURE_WINDOW", 300)
    crossed = 0  # failures counted for the account when it crossed its account-wide limit
    try:
        cache = _cache()
        for counter in _counters(request, scope, account):
            if cache.add(counter.counter_key, 1, timeout=window):
                count = 1
            else:
                try:
                    count = cache.incr(counter.counter_key)
                except ValueError:  # expired between add() and incr()
                    cache.set(counter.counter_key, 1, timeout=window)
                    count = 1
            if count < counter.limit:
                continue
            cache.set(counter.block_key, time.time() + window, timeout=window)
            cache.delete(counter.counter_key)  # the next window starts when the block ends
            if counter.account_wide:
                crossed = max(crossed, count)
                continue
            log.warning(
                "authentication blocked for %s s after %d failures: %s from %s",
                window,
                count,
                "the address" if counter.kind == "address" else _loggable_account(scope, account),
                client_ip(request),
            )
        # One alert per account and window, whichever scopes crossed.
        alert_key = f"raportal:authalert:{_digest('alert', _account(account))}"
        if not crossed or not cache.add(alert_key, 1, timeout=window):
            return
    except Exception as exc:  # fail open: see the module's docstring
        log.warning("authentication throttle unavailable (%s)", exc.__class__.__name__)
        return
    from raportal.auth_alerts import alert_account_owner

    try:
        alert_account_owner(
            scope=scope,
            account=account or "",
            failures=crossed,
            window=window,
            address=client_ip(request),
        )
    except Exception:  # the caller still gets its 401, never a 500
        log.exception("the owner of an account could not be alerted of failed sign-ins")


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
        user = super().authenticate(request, username=username, password=password, **credentials)
        if user is not None and request is not None:
            record_success(request, user.get_username())
        return user


@receiver(user_login_failed, dispatch_uid="raportal.throttling.count_login_failure")
def count_login_failure(sender, credentials, request=None, **kwargs):
    if request is None or getattr(request, REQUEST_FLAG, None):
        return  # refused by the throttle itself: not another failure
    username = credentials.get(get_user_model().USERNAME_FIELD, credentials.get("username"))
    record_failure(request, "web", username)


class ThrottledLoginFormMixin(AuthenticationForm):
    """Says why a sign-in was refused when the throttle refused it."""

    def clean(self) -> dict[str, Any]:
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
