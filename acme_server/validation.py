# TEMPORARY placeholder until the acmeval branch lands: never commit.
from dataclasses import dataclass


@dataclass(frozen=True)
class ValidationResult:
    valid: bool
    error_type: str = ""
    detail: str = ""


def validate(challenge_type: str, identifier: str, token: str, key_authorization: str) -> ValidationResult:
    import urllib.request
    from django.conf import settings
    port = getattr(settings, "RAPORTAL_ACME_HTTP_PORT", 80)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/acme-challenge/{token}", timeout=5) as r:
            body = r.read(8192).decode().strip()
    except Exception as exc:
        return ValidationResult(False, "connection", str(exc))
    return ValidationResult(body == key_authorization, "" if body == key_authorization else "unauthorized", "")
