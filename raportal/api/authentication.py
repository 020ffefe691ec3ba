"""API authentication: ``X-API-ID`` + ``X-API-KEY`` headers, or a browser session with CSRF.

Missing credentials → 401 SEC-AUTH-009; wrong ones → 401 SEC-AUTH-002 (see problems.py).
Repeated wrong ones, for one ``X-API-ID`` or from one address, → 429 SEC-AUTH-002 with
``Retry-After`` until the block ends (raportal/throttling.py).
Browsers use DRF's SessionAuthentication, which enforces CSRF on unsafe methods.
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from raportal import throttling
from raportal.errors import DomainError
from raportal.models import ApiCredential, hash_api_key

LAST_USED_RESOLUTION = timedelta(minutes=5)


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
        credential = (
            ApiCredential.objects.active().select_related("user").filter(api_id=api_id).first()
        )
        if credential is None:
            hash_api_key(api_key)  # same work as a known id: timing does not tell ids apart
            throttling.record_failure(request, "api", api_id)
            raise exceptions.AuthenticationFailed()
        if not credential.check_key(api_key):
            throttling.record_failure(request, "api", api_id)
            raise exceptions.AuthenticationFailed()
        now = timezone.now()
        if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
            ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
        return credential.user, credential

    def authenticate_header(self, request):
        # Any value makes DRF answer 401 (not 403) to unauthenticated calls.
        return 'X-API-KEY realm="api"'
