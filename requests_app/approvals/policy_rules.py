"""The rules of the profile's crypto and lifetime policy on the decision page, beside the
template rules: the key against the authorized key types (the check submission and approval
run), the lifetime the certificate will get, and the requester form's warning on a host name
in the Common Name alone (requests_app/pages/advice.py: one rule, two pages)."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from certificates.pki import names
from certificates.pki.keys import KEY_TYPES, key_label
from certificates.services import leaf_lifetime
from profiles.models import Profile
from raportal.errors import DomainError
from requests_app.pages import advice
from requests_app.workflows.keys import check_key_type

# CA/Browser Forum Baseline Requirements §6.3.2: TLS server certificates issued since
# 2020-09-01 are valid at most 398 days; browsers refuse longer ones.
TLS_SERVER_MAX_DAYS = 398


@dataclass
class PolicyResult:
    what: str
    rule: str
    value: str
    problem: str = ""  # breaks the rule: approval is refused or the certificate is unusable
    warning: str = ""  # allowed, but worth a look


def key_rule(key_type: str, profile: Profile) -> PolicyResult:
    """The key against the profile's authorized types; a key of an allowed family but
    smaller than every allowed size is said to be too small."""
    allowed = profile.authorized_key_types or []
    rule = "one of " + ", ".join(key_label(k) for k in allowed) if allowed else "none allowed"
    result = PolicyResult("Key type and size", rule, key_label(key_type))
    try:
        check_key_type(key_type, profile)
    except DomainError as error:
        family, _, size = key_type.partition("-")
        sizes = [KEY_TYPES[k].size for k in allowed if k in KEY_TYPES and k.startswith(family)]
        if family in ("rsa", "ec") and sizes and size.isdigit() and int(size) < min(sizes):
            result.problem = (
                f"too small: {size} bits, the profile needs at least {min(sizes)} bits "
                f"for {family.upper()}"
            )
        else:
            result.problem = error.detail
    return result


def validity_rule(profile: Profile, at: dt.datetime | None = None) -> PolicyResult:
    """The lifetime the certificate gets if approved now: the CA's certificate lifetime or
    the profile's validity, cut where the issuing CA's own certificate ends (RFC 5280
    §6.1: a certificate is not valid past its issuer)."""
    at = at or dt.datetime.now(dt.UTC)
    ca = profile.ca
    lifetime = leaf_lifetime(ca, profile)
    rule = (
        f"{lifetime.days} days (lifetime of CA {ca.name})"
        if ca.certificate_lifetime
        else f"{lifetime.days} days (the profile's validity)"
    )
    ca_end = ca.certificate.not_valid_after_utc
    end = min(at + lifetime, ca_end)
    days = max(0, (end - at).days)
    result = PolicyResult("Validity", rule, f"{days} days, until {end:%Y-%m-%d}")
    if end < at + lifetime:
        result.warning = (
            f"cut short: the issuing CA {ca.name} expires on {ca_end:%Y-%m-%d}, "
            f"{days} of {lifetime.days} days"
        )
    elif "serverAuth" in (profile.extended_key_usages or []) and days > TLS_SERVER_MAX_DAYS:
        result.warning = (
            f"longer than the {TLS_SERVER_MAX_DAYS} days browsers accept for TLS server "
            "certificates"
        )
    return result


def requested_names(
    template: dict[str, Any], csr: x509.CertificateSigningRequest | None
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The subject and SANs the certificate will carry, as the enroll service decides: the
    submission's, else the CSR's (requested_template.check_for_requester)."""
    subject = {item["element"]: item["value"] for item in template.get("subject", [])}
    sans: dict[str, list[str]] = {}
    for item in template.get("sans", []):
        sans.setdefault(item["type"], []).extend(item["value"])
    if csr is not None and not subject:
        subject = dict(names.name_to_elements(csr.subject))
    if csr is not None and not any(sans.values()):
        try:
            for kind, value in names.sans_of(csr.extensions):
                sans.setdefault(kind, []).append(value)
        except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
            pass
    return subject, sans


def cn_rules(
    subject: dict[str, str], sans: dict[str, list[str]], profile: Profile
) -> list[PolicyResult]:
    """The enrollment form's warning on a host name in the CN but in no DNS name."""
    dns_allowed = any(r.san_type == "DNSNAME" and r.max > 0 for r in profile.san_rules.all())
    out = []
    for element, value in subject.items():
        if element.startswith("cn.") and value:
            text = advice.cn_not_in_dns_names(
                value, sans.get("DNSNAME", []), dns_allowed=dns_allowed
            )
            if text:
                out.append(
                    PolicyResult(
                        "Common name and DNS names",
                        "a host name in the CN is also a DNS name",
                        value,
                        warning=text,
                    )
                )
    return out
