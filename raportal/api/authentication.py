"""API authentication: ``X-API-ID`` + ``X-API-KEY`` headers, or a browser session with CSRF.

Missing credentials → 401 SEC-AUTH-009; wrong ones → 401 SEC-AUTH-002 (see problems.py).
Browsers use DRF's SessionAuthentication, which enforces CSRF on unsafe methods.
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from raportal.models import ApiCredential, hash_api_key

LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        api_id = request.META.get("HTTP_X_API_ID")
        api_key = request.META.get("HTTP_X_API_KEY")
        if api_id is None and api_key is None:
            return None  # let the session try; nobody at all → SEC-AUTH-009
        if not api_id or not api_key:
            raise exceptions.AuthenticationFailed()
        credential = (
            ApiCredential.objects.active().select_related("user").filter(api_id=api_id).first()
        )
        if credential is None:
            hash_api_key(api_key)  # same work as a known id: timing does not tell ids apart
            raise exceptions.AuthenticationFailed()
        if not credential.check_key(api_key):
            raise exceptions.AuthenticationFailed()
        now = timezone.now()
        if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
            ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
        return credential.user, credential

    def authenticate_header(self, request):
        # Any value makes DRF answer 401 (not 403) to unauthenticated calls.
        return 'X-API-KEY realm="api"'
