"""Whether an existing certificate is one a profile could have issued — the guard before a
profile takes a certificate in (import, migrate) or signs its names again (renew)."""

from cryptography import x509

from certificates.models import CertificateAuthority
from certificates.pki import fingerprints, names
from certificates.pki.keys import key_type_of
from profiles import template_rules as rules
from profiles.models import Profile
from raportal.errors import DomainError


def check_fits(certificate: x509.Certificate, profile: Profile, *, code: str) -> None:
    """Could a requester have obtained exactly these names and this key on the profile? Every
    rule applies: allowed elements, fixed values, mandatory ones, regexes, SAN counts, key
    types. Raises DomainError(code) saying what does not fit."""
    elements = names.name_to_elements(certificate.subject)
    if len(elements) != len(certificate.subject):
        raise DomainError(code, "the certificate's subject has attributes no profile sets")
    sans: dict[str, list[str]] = {}
    for san_type, value in names.sans_of(certificate.extensions):
        sans.setdefault(san_type, []).append(value)
    try:
        rules.check_subject(
            profile,
            [{"element": e, "value": v} for e, v in elements],
            editor=rules.REQUESTER,
            current=rules.default_subject(profile),
        )
        rules.check_sans(
            profile,
            [{"type": t, "value": v} for t, v in sans.items()],
            editor=rules.REQUESTER,
            current=[],
        )
    except DomainError as exc:
        raise DomainError(
            code, f"the certificate does not fit profile {profile.name}: {exc.detail}"
        ) from None
    key_type = key_type_of(certificate.public_key())
    if key_type not in profile.authorized_key_types:
        raise DomainError(code, f"profile {profile.name} does not allow {key_type} keys")


def refuse_authorities(certificate: x509.Certificate, *, code: str) -> None:
    """CA certificates are not end-entity business: importing, revoking or renewing one
    through a request could take down or impersonate a CA."""
    try:
        basic = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        basic = None
    if basic is not None and basic.ca:
        raise DomainError(
            code,
            "this is a CA certificate; requests and the inventory are of end-entity ones "
            "(CAs are added as CAs: /api/v1/cas)",
        )
    spki = fingerprints.public_key_thumbprint(certificate)
    for authority in CertificateAuthority.objects.all():
        if fingerprints.public_key_thumbprint(authority.certificate) == spki:
            raise DomainError(code, f"this key belongs to the CA {authority.name}")
