"""API authentication: ``X-API-ID`` + ``X-API-KEY`` headers, or a browser session with CSRF.

Missing credentials → 401 SEC-AUTH-009; wrong ones → 401 SEC-AUTH-002 (see problems.py).
Repeated wrong ones, for one ``X-API-ID`` from one address or from one address for any, →
429 SEC-AUTH-002 with ``Retry-After`` until the block ends; many for one ``X-API-ID`` from
everywhere alert its owner (raportal/throttling.py).
Browsers use DRF's SessionAuthentication, which enforces CSRF on unsafe methods.

As in Horizon, a local account's password is accepted as its ``X-API-KEY`` (``X-API-ID`` = its
username) when no API credential has that ``X-API-ID``: generated keys are looked up first,
with their fast hash. A password costs a password hash (~300 ms), so a verified one is
remembered in Django's cache for ``RAPORTAL_PASSWORD_AUTH_CACHE_SECONDS``, under an HMAC
(keyed from ``SECRET_KEY``) of the username, the password and the account's stored password
hash: the cache holds no password, and a password change (or an unusable password) makes the
entry unreachable at once. Inactive accounts and accounts without a usable password are
refused. Wrong passwords are counted and throttled exactly like wrong keys; an ``X-API-ID``
that names no account costs a password hash too, so that timing does not tell accounts apart.
"""

import datetime as dt
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections, router
from django.db.models import FETCH_ONE
from django.db.models.query import get_related_populators
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework import authentication, exceptions

from raportal import throttling
from raportal.errors import DomainError
from raportal.models import AUDIT_API_ID, ApiCredential

log = logging.getLogger(__name__)

LAST_USED_RESOLUTION = timedelta(minutes=5)
VERIFIED_CACHE_PREFIX = "raportal:pwauth:"
VERIFIED_HMAC_SALT = "raportal.api.authentication.password"


# What other apps want read with the credential, in the same query: name → (an expression to
# annotate the credential with, a function given its value once the key is verified).
# Registered at startup, from above (profiles: the configuration revision, which the
# request's cached profile and grants are checked against).
CREDENTIAL_EXTRAS: dict[str, tuple[Any, Callable[[Any], None]]] = {}


class AuthenticationThrottled(DomainError):
    """Too many wrong credentials: the contract's code for wrong credentials, with 429 (the
    contract documents no code of its own for throttling)."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(
            "SEC-AUTH-002",
            f"Too many failed authentication attempts; retry in {retry_after} s.",
            status=429,
        )


class _CompiledLookup:
    """The credential's query (``ApiCredential.objects.active()``, its account, the extras),
    turned into SQL once per process: every API call runs it, and the ORM's compilation of
    it cost more than the query itself. Only the API ID and the time change from call to
    call; the rows become model instances as the ORM's own iterator makes them."""

    API_ID, NOW = "\x00api-id\x00", dt.datetime(1970, 1, 2, 3, 4, 5, 6789, tzinfo=dt.UTC)

    def __init__(self, using: str):
        queryset = ApiCredential.objects.using(using).active(now=self.NOW)
        queryset = queryset.select_related("user").filter(api_id=self.API_ID).order_by("pk")
        if CREDENTIAL_EXTRAS:
            queryset = queryset.annotate(
                **{name: expression for name, (expression, _) in CREDENTIAL_EXTRAS.items()}
            )
        self.using = using
        self.compiler = queryset[:1].query.get_compiler(using)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        # As the ORM passes a time (SQLite: a string), so as to find it and replace it.
        self.adapt = connections[using].ops.adapt_datetimefield_value
        self.api_id_at = [i for i, p in enumerate(params) if p == self.API_ID]
        self.now_at = [i for i, p in enumerate(params) if p == self.adapt(self.NOW)]
        if len(self.api_id_at) != 1 or len(self.now_at) != 1:
            raise RuntimeError("the credential query names its API ID and the time once")
        klass_info, select = self.compiler.klass_info, self.compiler.select
        fields = klass_info["select_fields"]
        self.model_slice = slice(fields[0], fields[-1] + 1)
        self.init_list = [column[0].target.attname for column in select[self.model_slice]]
        self.related = get_related_populators(klass_info, select, using, FETCH_ONE)
        self.annotations = dict(self.compiler.annotation_col_map)

    def fetch(self, api_id: str) -> ApiCredential | None:
        params = list(self.params)
        params[self.api_id_at[0]] = api_id
        params[self.now_at[0]] = self.adapt(timezone.now())
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        for row in self.compiler.results_iter([rows]):
            credential = ApiCredential.from_db(self.using, self.init_list, row[self.model_slice])
            for populator in self.related:
                populator.populate(row, credential)
            for name, position in self.annotations.items():
                setattr(credential, name, row[position])
            return credential
        return None


_lookups: dict[tuple[str, tuple[str, ...]], _CompiledLookup] = {}


def active_credential(api_id: str) -> ApiCredential | None:
    """The active credential ``api_id`` with its account (and CREDENTIAL_EXTRAS), one query."""
    using = router.db_for_read(ApiCredential)
    key = (using, tuple(CREDENTIAL_EXTRAS))
    lookup = _lookups.get(key)
    if lookup is None:
        lookup = _lookups[key] = _CompiledLookup(using)
    return lookup.fetch(api_id)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        api_id = request.META.get("HTTP_X_API_ID")
        api_key = request.META.get("HTTP_X_API_KEY")
        if api_id is None and api_key is None:
            return None  # let the session try; nobody at all → SEC-AUTH-009
        wait = throttling.blocked_for(request, "api", api_id)
        if wait:
            # Read by AuthThrottleMiddleware, which adds Retry-After.
            setattr(request._request, throttling.REQUEST_FLAG, wait)
            raise AuthenticationThrottled(wait)
        if not api_id or not api_key:
            throttling.record_failure(request, "api", api_id)
            raise exceptions.AuthenticationFailed()
        credential = active_credential(api_id)
        if credential is None:
            # A password, as in Horizon: its guesses also spend the account's web sign-in
            # budget (one budget per password, whichever door the guesses come through).
            wait = throttling.blocked_for(request, "web", api_id)
            if wait:
                setattr(request._request, throttling.REQUEST_FLAG, wait)
                raise AuthenticationThrottled(wait)
            user = password_user(api_id, api_key)
            if user is None:
                throttling.record_failure(request, "api+web", api_id)
                raise exceptions.AuthenticationFailed()
            throttling.record_success(request, api_id)
            return user, None
        if not credential.check_key(api_key):
            throttling.record_failure(request, "api", api_id)
            raise exceptions.AuthenticationFailed()
        throttling.record_success(request, api_id)
        for name, (_, receive) in CREDENTIAL_EXTRAS.items():
            receive(getattr(credential, name))
        now = timezone.now()
        if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
            ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
        # The audit log names the key an account acted with (raportal.models.record).
        setattr(credential.user, AUDIT_API_ID, credential.api_id)
        return credential.user, credential

    def authenticate_header(self, request):
        # Any value makes DRF answer 401 (not 403) to unauthenticated calls.
        return 'X-API-KEY realm="api"'


def _password_cache_key(identifier: str, secret: str, stored_hash: str) -> str:
    # Length-prefixed: no choice of identifier and secret reads as another pair.
    message = f"{len(identifier)}:{identifier}{len(secret)}:{secret}{stored_hash}"
    digest = salted_hmac(VERIFIED_HMAC_SALT, message, algorithm="sha256").hexdigest()
    return VERIFIED_CACHE_PREFIX + digest


def _remembered(key: str) -> bool:
    try:
        return bool(cache.get(key))
    except Exception as exc:  # no cache: verify the password instead
        log.warning("password verification cache unavailable (%s)", exc.__class__.__name__)
        return False


def _remember(key: str, seconds: int) -> None:
    try:
        cache.set(key, True, timeout=seconds)
    except Exception as exc:
        log.warning("password verification cache unavailable (%s)", exc.__class__.__name__)


def password_user(identifier: str, secret: str):
    """The active account named ``identifier`` whose usable password is ``secret``, or None."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: identifier}).first()
    if user is None or not user.is_active or not user.password or not user.has_usable_password():
        user_model().set_password(secret)  # the work of a real check: timing tells nothing
        return None
    seconds = getattr(settings, "RAPORTAL_PASSWORD_AUTH_CACHE_SECONDS", 300)
    if seconds and _remembered(_password_cache_key(identifier, secret, user.password)):
        return user
    if not user.check_password(secret):
        return None
    if seconds:
        # After check_password, which may have upgraded (and saved) the stored hash.
        _remember(_password_cache_key(identifier, secret, user.password), seconds)
    return user
