"""How a renewal links two certificates, in their metadata: the new one names the certificate
it renews (``PREVIOUS``), the old one the certificate that renewed it (``RENEWED``), by id. The
renew workflow and device re-enrollment write them (requests_app/workflows/renew.py,
requests_app/reenrollment.py); the certificate page shows them."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from certificates.models import Certificate

PREVIOUS, RENEWED = "previous_certificate_id", "renewed_certificate_id"


def linked_id(certificate: "Certificate", key: str) -> str | None:
    """The id ``certificate``'s metadata links under ``key`` (PREVIOUS or RENEWED), if any."""
    return next((m["value"] for m in certificate.metadata if m["key"] == key), None)


def mark_renewed(old: "Certificate", new: "Certificate") -> None:
    """Writes on ``old`` that ``new`` renewed it (inside the issuing transaction)."""
    old.metadata = [m for m in old.metadata if m["key"] != RENEWED] + [
        {"key": RENEWED, "value": str(new.pk)}
    ]
    old.save(update_fields=["metadata"])
