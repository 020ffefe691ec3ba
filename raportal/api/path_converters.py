"""URL converters: what a path parameter may hold.

``text`` replaces Django's ``str`` (``[^/]+``) for names and ids: it refuses control
characters (raportal/control_characters.py) with 400 — a NUL would otherwise reach
PostgreSQL, which cannot compare it, and answer 500.

Horizon's routes also carry a URL-encoded PEM in the path (``/api/v1/rfc5280/tc/{pem}``,
``/api/v1/certificates/{pem}``); once decoded it spans several lines with ``/`` among its
base64, which neither ``str`` nor ``path`` (``.+``) accept. Its one reader,
``certificates.trust_chain.load_certificate_text``, refuses control characters other than
tab, CR and LF, as the invalid certificate each route has its own code for.
"""

from django.core.exceptions import BadRequest

from raportal.control_characters import problem_with


class CertificateTextConverter:
    """The rest of the path, line breaks included."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value  # reverse() percent-encodes what needs it


class TextConverter(CertificateTextConverter):
    """One path segment without control characters (a 400 otherwise, not a 404: the
    route is right, the value is not)."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        problem = problem_with(value)
        if problem:
            raise BadRequest(f"The path {problem}.")
        return value


class CertificateReferenceConverter(CertificateTextConverter):
    """A certificate id (a UUID), or a PEM (or bare base64 DER) — never a plain word, so that
    other routes under ``/api/v1/certificates/`` (aggregate, csv…) stay free."""

    regex = r"[0-9a-fA-F-]{36}|-----BEGIN[\s\S]+|[A-Za-z0-9+/=\s]{64,}"


CONVERTERS = {
    "text": TextConverter,
    "certificate_text": CertificateTextConverter,  # read-side: PEMs in paths
    "certificate_reference": CertificateReferenceConverter,
}
