"""PKCS#12 bundles for server-generated keys: AES-256-CBC under PBES2/PBKDF2-SHA256 with a
SHA-256 MAC (RFC 8018, RFC 7292), readable by OpenSSL 3 and current operating systems."""

import secrets
import string

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

KDF_ROUNDS = 50_000


def build_pkcs12(
    *,
    key,
    certificate: x509.Certificate,
    chain: list[x509.Certificate],
    password: str,
    friendly_name: str,
) -> bytes:
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(KDF_ROUNDS)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode(), key, certificate, chain or None, encryption
    )


def random_password(
    length: int, *, upper: int, lower: int, digits: int, special: int, special_chars: str
) -> str:
    """A random password that satisfies a password policy's minimum counts."""
    special_chars = special_chars or "!#$%&*+-=?@_"
    required = (
        [secrets.choice(string.ascii_uppercase) for _ in range(upper)]
        + [secrets.choice(string.ascii_lowercase) for _ in range(lower)]
        + [secrets.choice(string.digits) for _ in range(digits)]
        + [secrets.choice(special_chars) for _ in range(special)]
    )
    alphabet = string.ascii_letters + string.digits
    rest = [secrets.choice(alphabet) for _ in range(max(length - len(required), 0))]
    chars = required + rest
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
