"""The certificate authorities the landing page lists (the page itself, a dashboard over
requests too, is requests_app/pages/home.py)."""

from certificates.api import ENTRY_PREFETCH, ENTRY_RELATED, visible_entry
from certificates.models import CaEntry


def public_authorities() -> list[CaEntry]:
    """The public entries of the list of CAs (Horizon's "exposed on the registration
    authority"), each with ``issuer_name``: its issuer by the public entry naming it, if any;
    their certificates are offered for download where the entry says so."""
    cas = list(
        CaEntry.objects.public().select_related(*ENTRY_RELATED).prefetch_related(*ENTRY_PREFETCH)
    )
    for entry in cas:
        parent = entry.authority.parent
        issuer = visible_entry(parent, None) if parent else None
        entry.issuer_name = issuer.name if issuer else ("" if parent else "(root)")
    return cas
