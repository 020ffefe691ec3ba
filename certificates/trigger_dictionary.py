"""What triggers' templates know of a certificate (``{{certificate.dn}}`` …), and the team
and profile around it. Never a secret: the PEM is the public certificate.

Keys: ``certificate.id``, ``.serial``, ``.dn``, ``.issuer``, ``.notBefore``, ``.notAfter``
(UTC, ISO 8601), ``.daysLeft``, ``.keyType``, ``.thumbprint``, ``.profile``, ``.module``,
``.owner``, ``.owner.email``, ``.team``, ``.contactEmail``, ``.dnsNames``, ``.rfc822Names``,
``.revoked``, ``.revocationReason``, ``.url`` (its page), ``.pem``, ``.chainPem``;
``labels.<name>``; ``team.name``, ``team.contactEmail``, ``team.managers.emails``;
``profile.name``, ``portal.url``.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate
from profiles.models import Team


def iso_utc(value) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def team_dictionary(team: Team | None) -> dict[str, Any]:
    if team is None:
        return {}
    return {
        "team.name": team.name,
        "team.contactEmail": team.contact_email,
        "team.managers.emails": sorted(
            team.managers.filter(is_active=True).exclude(email="").values_list("email", flat=True)
        ),
    }


def certificate_dictionary(cert: Certificate) -> dict[str, Any]:
    sans = cert.sans or []
    owner = cert.owner
    chain = [ca.certificate_pem.strip() + "\n" for ca in cert.ca.chain()] if cert.ca else []
    values: dict[str, Any] = {
        "certificate.id": str(cert.pk),
        "certificate.serial": cert.serial,
        "certificate.dn": cert.dn,
        "certificate.issuer": cert.issuer,
        "certificate.notBefore": iso_utc(cert.not_before),
        "certificate.notAfter": iso_utc(cert.not_after),
        "certificate.daysLeft": max((cert.not_after - timezone.now()).days, 0),
        "certificate.keyType": cert.key_type,
        "certificate.thumbprint": cert.thumbprint,
        "certificate.profile": cert.profile.name if cert.profile else "",
        "certificate.module": cert.module,
        "certificate.owner": owner.get_username() if owner else "",
        "certificate.owner.email": owner.email if owner and owner.is_active else "",
        "certificate.team": cert.team.name if cert.team else "",
        "certificate.contactEmail": cert.contact_email,
        "certificate.dnsNames": [s["value"] for s in sans if s.get("sanType") == "DNSNAME"],
        "certificate.rfc822Names": [s["value"] for s in sans if s.get("sanType") == "RFC822NAME"],
        "certificate.revoked": "true" if cert.revocation_date else "false",
        "certificate.revocationReason": cert.revocation_reason or "",
        "certificate.url": settings.RAPORTAL_BASE_URL
        + reverse("certificate-detail", args=[cert.pk]),
        "certificate.pem": cert.pem.strip() + "\n",
        "certificate.chainPem": "".join(chain),
        "profile.name": cert.profile.name if cert.profile else "",
        "portal.url": settings.RAPORTAL_BASE_URL,
    }
    for label in cert.labels or []:
        values[f"labels.{label['key']}"] = label["value"]
    return {**values, **team_dictionary(cert.team)}
