"""Which certificate renewed which, for a page of a list: one query for the whole page, so
that a renewed certificate links to its successor (and a renewal to what it renews) without
a query per row."""

import uuid
from dataclasses import dataclass

from certificates.models import Certificate, RevocationReason
from certificates.renewal import PREVIOUS, RENEWED, linked_id


@dataclass
class Lineage:
    marker: str = ""  # "renewed" (a renewal replaced it), "replaced" (revoked: superseded)
    successor: Certificate | None = None
    predecessor: Certificate | None = None


def lineage_of(user, certificates: list[Certificate]) -> dict[uuid.UUID, Lineage]:
    """For each certificate (by pk): its marker and the certificates it is linked to, those
    the user may see."""
    wanted = {
        linked
        for c in certificates
        for key in (RENEWED, PREVIOUS)
        if (linked := linked_id(c, key)) is not None
    }
    others = (
        {
            str(other.pk): other
            for other in Certificate.objects.visible_to(user)
            .filter(pk__in=wanted)
            .only("pk", "serial", "not_before", "not_after")
        }
        if wanted
        else {}
    )
    out = {}
    for c in certificates:
        renewed_by = linked_id(c, RENEWED)
        if renewed_by is not None:
            marker = "renewed"
        elif c.revocation_reason == RevocationReason.SUPERSEDED and c.revoked:
            marker = "replaced"
        else:
            marker = ""
        out[c.pk] = Lineage(
            marker,
            others.get(renewed_by) if renewed_by else None,
            others.get(linked_id(c, PREVIOUS) or ""),
        )
    return out
