"""How a renewal links two certificates, in their metadata: the new one names the certificate
it renews (``PREVIOUS``), the old one the certificate that renewed it (``RENEWED``), by id. The
renew workflow writes them (requests_app/workflows/renew.py); the certificate page shows them."""

PREVIOUS, RENEWED = "previous_certificate_id", "renewed_certificate_id"
