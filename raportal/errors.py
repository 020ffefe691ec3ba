"""The domain error every service raises: it carries the contract's error code.

Services raise ``DomainError("WEBRA-ENROLL-004", "cn.1 is mandatory")``; the API turns it
into an RFC 7807 problem with the contract's status and message, the HTML pages into a form
error. ``detail`` is the human explanation of this occurrence and must never hold a secret.
"""

from django.utils.safestring import SafeString

from raportal.api.error_codes import KNOWN_CODES


class DomainError(Exception):
    # For a 409: "exists" or "referenced" (conflict() below; the admin API maps it to a code).
    reason: str | None = None
    # ``detail`` for the pages, with links to the objects it names (built with format_html,
    # raportal/identifiers.py); the API answers with ``detail``.
    html: SafeString | None = None

    def __init__(
        self,
        code: str,
        detail: str | None = None,
        *,
        status: int | None = None,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        if code not in KNOWN_CODES:
            raise ValueError(f"unknown error code {code!r}")
        default_status, message = KNOWN_CODES[code]
        self.code = code
        self.status = status or default_status
        self.message = message
        self.detail = detail or message
        # What each input element did wrong (``cn.1``, ``san:DNSNAME``, ``owner``…), for
        # forms to show beside their fields; the API answers with ``detail``.
        self.fields = fields or {}
        # Answer headers that go with the problem (a fresh Replay-Nonce, certificates/pop.py).
        self.headers = headers or {}
        super().__init__(f"{code}: {self.detail}")


def invalid_request(detail: str) -> DomainError:
    """A body that is not what the contract describes (REQ-002)."""
    return DomainError("REQ-002", detail)


def forbidden(detail: str = "Insufficient privileges") -> DomainError:
    return DomainError("SEC-PERM-001", detail)


def request_not_found() -> DomainError:
    return DomainError("REQ-003", "Request not found")


def conflict(detail: str, *, reason: str = "referenced") -> DomainError:
    """A change refused because of what exists: ``reason`` "exists" (the name or the
    certificate is taken) or "referenced" (the object is in use), which the admin API turns
    into Horizon's codes (administration/api/base.py)."""
    error = DomainError("REQ-002", detail, status=409)
    error.reason = reason
    return error
