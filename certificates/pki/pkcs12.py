"""PKCS#12 bundles for server-generated keys (RFC 7292), encrypted as the profile says
(Horizon's ``p12storeEncryptionType``):

- ``AES_STRONG``: AES-256-CBC under PBES2/PBKDF2-SHA256 with a SHA-256 MAC (RFC 8018), readable
  by OpenSSL 3 and current operating systems;
- ``DES_AVERAGE``: pbeWithSHAAnd3-KeyTripleDES-CBC with a SHA-1 MAC (RFC 7292 appendix C), for
  systems that cannot read the former (Windows Server 2016 and older, Java 8 before 8u301,
  older macOS keychains). Weaker: only where needed.
"""

import secrets
import string

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

KDF_ROUNDS = 50_000
ENCRYPTIONS = {
    "AES_STRONG": (pkcs12.PBES.PBESv2SHA256AndAES256CBC, hashes.SHA256()),
    "DES_AVERAGE": (pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC, hashes.SHA1()),  # noqa: S303
}


def build_pkcs12(
    *,
    key,
    certificate: x509.Certificate,
    chain: list[x509.Certificate],
    password: str,
    friendly_name: str,
    encryption: str = "AES_STRONG",
) -> bytes:
    algorithm, mac = ENCRYPTIONS[encryption]
    built = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(KDF_ROUNDS)
        .key_cert_algorithm(algorithm)
        .hmac_hash(mac)
        .build(password.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode(), key, certificate, chain or None, built
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
