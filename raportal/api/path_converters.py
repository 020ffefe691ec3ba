"""URL converters for the read-side API: certificates written into a path.

Horizon's routes carry a URL-encoded PEM in the path (``/api/v1/rfc5280/tc/{pem}``,
``/api/v1/certificates/{pem}``); once decoded it spans several lines with ``/`` among its
base64, which neither ``str`` nor ``path`` (``.+``) accept.
"""


class CertificateTextConverter:
    """The rest of the path, newlines included."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value  # reverse() percent-encodes what needs it


class CertificateReferenceConverter(CertificateTextConverter):
    """A certificate id (a UUID), or a PEM (or bare base64 DER) — never a plain word, so that
    other routes under ``/api/v1/certificates/`` (aggregate, csv…) stay free."""

    regex = r"[0-9a-fA-F-]{36}|-----BEGIN[\s\S]+|[A-Za-z0-9+/=\s]{64,}"
