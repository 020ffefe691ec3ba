"""Periodic upkeep of the built-in CAs: keeping every CRL fresh.

One implementation for the ``refresh_crls`` management command and the hourly
``certificates.tasks.refresh_crls`` task (Celery beat).
"""

import logging

from certificates.models import CertificateAuthority
from certificates.services import current_crl

logger = logging.getLogger(__name__)


def refresh_crls() -> dict[str, int | None]:
    """Regenerates the CRL of every CA whose CRL is stale (a certificate was revoked since)
    or past half its validity, so relying parties never fetch one past its nextUpdate
    (RFC 5280 §5.1.2.5) even when nobody fetched it for a while. Fresh CRLs are left alone:
    running this often costs one read per CA.

    Returns each CA's CRL number (None for a CA whose CRL could not be signed: logged, and
    the other CAs are still refreshed)."""
    numbers: dict[str, int | None] = {}
    for ca in CertificateAuthority.objects.issuers().order_by(
        "created_at"
    ):  # trust entries sign none
        try:
            current_crl(ca)  # regenerates only when needed, under the CA's row lock
        except Exception:
            logger.exception("CRL refresh failed for CA %s", ca.name)
            numbers[ca.name] = None
            continue
        numbers[ca.name] = (
            CertificateAuthority.objects.filter(pk=ca.pk).values_list("crl_number", flat=True)
        ).get()
    return numbers
