"""Key material shared by the workflows that produce a key or a PKCS#12 (enroll, renew,
recover): CSR or generated key, authorized key types, the PKCS#12 password."""

from typing import Any

from cryptography import x509

from certificates.models import CertificateAuthority
from certificates.pki.csr import load_csr
from certificates.pki.keys import KEY_TYPES, PrivateKey, generate_private_key, key_type_of
from certificates.pki.pkcs12 import build_pkcs12
from profiles.models import PasswordMode, Profile
from raportal.errors import DomainError
from requests_app.models import Request
from requests_app.workflows.base import Body, Secrets


def _error(code: str, field: str, message: str) -> DomainError:
    return DomainError(code, message, fields={field: message})


def load_request_csr(text: str) -> x509.CertificateSigningRequest:
    try:
        return load_csr(text)
    except ValueError as exc:
        raise _error("WEBRA-ENROLL-003", "csr", str(exc)) from None


def check_key_type(key_type: str, profile: Profile, field: str = "keyType") -> None:
    allowed = profile.authorized_key_types
    if key_type not in KEY_TYPES or key_type not in allowed:
        raise _error(
            "WEBRA-ENROLL-002",
            field,
            f"key type {key_type} is not allowed by profile {profile.name} "
            f"(allowed: {', '.join(allowed) or 'none'})",
        )


def choose_key_material(
    template: dict[str, Any], profile: Profile, *, default_key_type: str, invalid_code: str
) -> tuple[x509.CertificateSigningRequest | None, str | None]:
    """(csr, None) when the requester brings a key, (None, key type) when the portal is to
    generate one; the profile decides which modes and key types are allowed. A keyType sent
    with a CSR (Horizon's clients send the profile's default) must name the CSR's key."""
    csr_text, key_type = template.get("csr"), template.get("keyType")
    if csr_text:
        if not profile.decentralized:
            raise _error(
                "WEBRA-ENROLL-001",
                "csr",
                f"profile {profile.name} does not accept CSRs; ask for a generated key with "
                "template.keyType",
            )
        csr = load_request_csr(csr_text)
        csr_key_type = key_type_of(csr.public_key())
        if key_type and key_type != csr_key_type:
            raise _error(
                "WEBRA-ENROLL-002",
                "keyType",
                f"keyType {str(key_type)[:40]} is not the CSR's key type ({csr_key_type}): "
                "send the CSR's, or leave keyType out",
            )
        check_key_type(csr_key_type, profile, field="csr")
        return csr, None
    if not profile.centralized:
        raise _error(
            "WEBRA-ENROLL-001",
            "keyType",
            f"profile {profile.name} only accepts CSRs: send one in template.csr",
        )
    key_type = key_type or default_key_type
    check_key_type(key_type, profile)
    return None, key_type


def check_mode_still_allowed(profile: Profile, *, with_csr: bool) -> None:
    """At approval: the profile may have changed since the submission."""
    if with_csr and not profile.decentralized:
        raise DomainError("WEBRA-ENROLL-001", "the profile no longer accepts CSRs")
    if not with_csr and not profile.centralized:
        raise DomainError("WEBRA-ENROLL-001", "the profile no longer generates keys")


def pkcs12_password(
    data: Body, profile: Profile, *, produces_pkcs12: bool, invalid_code: str
) -> str | None:
    """The requester's PKCS#12 password (manual mode, checked against the policy), or None
    when the portal will generate one (random mode) or no PKCS#12 is produced.

    As Horizon does, a password sent where none applies is not an error and is not used: with
    a CSR no PKCS#12 is made, and in random mode the portal's own password protects it (the
    answer carries that one). Horizon's clients send one whatever the mode."""
    given: str | None = (data.get("password") or {}).get("value")
    if not produces_pkcs12 or profile.p12_password_mode == PasswordMode.RANDOM:
        return None
    if not given:
        raise _error(
            invalid_code, "password", "password.value is required: it protects the PKCS#12"
        )
    problem = pkcs12_password_problem(profile, given)
    if problem:
        raise _error(invalid_code, "password", problem)
    return given


def pkcs12_password_problem(profile: Profile, password: str) -> str:
    """The rules of the profile's password policy that a PKCS#12 password breaks, in words
    ("the PKCS#12 password needs at least 12 characters and at least 1 digit"), never the
    password itself; empty when it follows them all. The API's detail and the pages' message
    (requests_app/pages/forms.py) are this one sentence."""
    return password_problem(profile, password, "the PKCS#12 password")


def password_problem(profile: Profile, password: str, what: str) -> str:
    """What ``password`` lacks under the profile's password policy, as "``what`` needs …";
    empty when it follows every rule (PKCS#12 and EST/SCEP challenge passwords alike)."""
    problems = profile.effective_password_policy().violations(password)
    if not problems:
        return ""
    listed = (
        problems[0] if len(problems) == 1 else ", ".join(problems[:-1]) + " and " + problems[-1]
    )
    return f"{what} needs {listed}"


def new_private_key(key_type: str) -> PrivateKey:
    return generate_private_key(key_type)


def approval_password(
    request: Request, profile: Profile, *, produces_pkcs12: bool, invalid_code: str
) -> str | None:
    """At approval: the requester's PKCS#12 password (manual mode), sealed since submission;
    None when the portal generates one or no PKCS#12 is produced."""
    if not produces_pkcs12 or profile.p12_password_mode != PasswordMode.MANUAL:
        return None
    password = request.open_password()
    if not password:
        raise DomainError(invalid_code, "the request's PKCS#12 password is no longer kept")
    return password


def deliver_pkcs12(
    *,
    key: PrivateKey,
    certificate: x509.Certificate,
    ca: CertificateAuthority | None,
    profile: Profile,
    password: str | None,
    serial: str,
) -> Secrets:
    """The key and its certificate (with the CA chain) in a PKCS#12, and its password: the
    requester's, or one generated under the profile's policy."""
    password = password or profile.effective_password_policy().generate()
    chain = [authority.certificate for authority in ca.chain()] if ca else []
    pkcs12 = build_pkcs12(
        key=key,
        certificate=certificate,
        chain=chain,
        password=password,
        friendly_name=friendly_name(certificate, serial),
        encryption=profile.p12_encryption,
    )
    return Secrets(pkcs12=pkcs12, password=password)


def friendly_name(certificate: x509.Certificate, fallback: str) -> str:
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else fallback
