"""The portal's landing page."""

from django.shortcuts import render

from certificates.api import ENTRY_PREFETCH, ENTRY_RELATED, visible_entry
from certificates.models import CaEntry


def home(request):
    # The public entries of the list of CAs (Horizon's "exposed on the registration
    # authority"); their certificates offered for download where the entry says so.
    cas = list(
        CaEntry.objects.public().select_related(*ENTRY_RELATED).prefetch_related(*ENTRY_PREFETCH)
    )
    for entry in cas:  # its issuer by the public entry naming it, if any
        parent = entry.authority.parent
        issuer = visible_entry(parent, None) if parent else None
        entry.issuer_name = issuer.name if issuer else ("" if parent else "(root)")
    return render(request, "home.html", {"cas": cas})
