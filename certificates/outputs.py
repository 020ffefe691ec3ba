"""Certificates as the Horizon contract writes them (camelCase, ``_id`` strings, dates in
epoch milliseconds): the certificate API's answers, and the certificate inside a request's."""

from typing import Any

from certificates import extensions
from certificates.models import Certificate


def epoch_ms(value) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def certificate_json(cert: Certificate) -> dict[str, Any]:
    return {
        "_id": str(cert.pk),
        "module": cert.module,
        "profile": cert.profile.name if cert.profile else None,
        "certificate": cert.pem,
        "serial": cert.serial,
        "thumbprint": cert.thumbprint,
        "publicKeyThumbprint": cert.public_key_thumbprint,
        "dn": cert.dn,
        "issuer": cert.issuer,
        "notBefore": epoch_ms(cert.not_before),
        "notAfter": epoch_ms(cert.not_after),
        "keyType": cert.key_type,
        "signingAlgorithm": cert.signing_algorithm,
        "subjectAlternateNames": cert.sans,
        "selfSigned": cert.self_signed,
        "holderId": cert.holder_id,
        "revoked": cert.revoked,
        "revocationDate": epoch_ms(cert.revocation_date),
        "revocationReason": cert.revocation_reason or None,
        "escrowed": cert.escrowed,
        "owner": cert.owner.get_username() if cert.owner else None,
        "team": cert.team.name if cert.team else None,
        "contactEmail": cert.contact_email or None,
        "labels": cert.labels,
        "metadata": cert.metadata,
        "extensions": [],
        "autoRenew": False,  # the client's Certificate model requires it; not offered here
        # What apps above add (discoveryInfo, discoveryData), from what the caller prefetched
        # with certificates.extensions.with_extensions: nothing, and no query, otherwise.
        **extensions.extension_json(cert),
    }
