"""PKCS#12 bundles (RFC 7292): those read at import (``read_pkcs12``), and those built for
server-generated keys, encrypted as the profile says
(Horizon's ``p12storeEncryptionType``):

- ``AES_STRONG``: AES-256-CBC under PBES2/PBKDF2-SHA256 with a SHA-256 MAC (RFC 8018), readable
  by OpenSSL 3 and current operating systems;
- ``DES_AVERAGE``: pbeWithSHAAnd3-KeyTripleDES-CBC with a SHA-1 MAC (RFC 7292 appendix C), for
  systems that cannot read the former (Windows Server 2016 and older, Java 8 before 8u301,
  older macOS keychains). Weaker: only where needed.
"""

import secrets
import string

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

KDF_ROUNDS = 50_000
# The most key-derivation rounds (MAC or encryption) a file read at import may ask for: its
# author chooses them, and OpenSSL runs them all before saying whether the password is right
# — 2^31 rounds would hold a server's worker for minutes. Tools write 2 048 (OpenSSL) to
# 600 000 (OWASP's PBKDF2 advice); this leaves room above.
MAX_READ_ROUNDS = 1_000_000
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


class Pkcs12Error(ValueError):
    """A PKCS#12 file that cannot be read; ``reason``: ``not_pkcs12``, ``password`` (wrong or
    missing) or ``mismatch`` (its key belongs to none of its certificates)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def looks_like_pkcs12(data: bytes) -> bool:
    """Whether ``data`` starts as a DER PFX does (RFC 7292 §4: a SEQUENCE whose first element
    is the INTEGER version 3): tells "not a PKCS#12" from "wrong password", which the parser
    reports alike."""
    if len(data) < 5 or data[0] != 0x30:
        return False
    first = data[1]
    offset = 2 if first < 0x80 else 2 + (first & 0x7F)
    return first != 0x80 and data[offset : offset + 3] == b"\x02\x01\x03"


def kdf_rounds(data: bytes) -> int:
    """The most rounds a PKCS#12 file asks for — its MAC's, its shrouded keys', its encrypted
    contents' — read from its clear structure, before any password is tried. Raises
    Pkcs12Error when the structure cannot be read."""
    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        rounds = [pfx["mac_data"]["iterations"].native or 1] if pfx["mac_data"] else []
        for content in pfx.authenticated_safe:
            kind = content["content_type"].native
            if kind == "data":
                for bag in asn1_pkcs12.SafeContents.load(content["content"].native):
                    if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
                        algorithm = bag["bag_value"]["encryption_algorithm"]
                        rounds.append(algorithm.kdf_iterations)
            elif kind == "encrypted_data":
                info = content["content"]["encrypted_content_info"]
                rounds.append(info["content_encryption_algorithm"].kdf_iterations)
    except (ValueError, TypeError, KeyError):
        raise Pkcs12Error("not_pkcs12", "This file is not a PKCS#12 (.p12 or .pfx) file.") from None
    return max(rounds, default=0)


def read_pkcs12(
    data: bytes, password: str
) -> tuple[PrivateKeyTypes | None, x509.Certificate | None, list[x509.Certificate]]:
    """The key of a PKCS#12 file, the certificate that key belongs to (the file's own one when
    it has no key), and the other certificates it carries (a chain). Pkcs12Error, in words,
    when it is no PKCS#12, the password does not open it, or its key matches none of its
    certificates. The password is never part of a message."""
    if not looks_like_pkcs12(data):
        raise Pkcs12Error("not_pkcs12", "This file is not a PKCS#12 (.p12 or .pfx) file.")
    if kdf_rounds(data) > MAX_READ_ROUNDS:
        raise Pkcs12Error(
            "not_pkcs12",
            f"This PKCS#12 file asks for more than {MAX_READ_ROUNDS:,} key-derivation rounds: "
            "export it again with the tool's default settings.",
        )
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError:
        if password:
            raise Pkcs12Error("password", "This password does not open this file.") from None
        raise Pkcs12Error("password", "This file is protected: type its password.") from None
    except (TypeError, UnsupportedAlgorithm):
        raise Pkcs12Error(
            "not_pkcs12", "This PKCS#12 file uses an encryption the portal cannot read."
        ) from None
    candidates = [c for c in [certificate, *others] if c is not None]
    if key is None or not candidates:  # the certificate alone, or the key alone
        return key, certificate, others
    owned = next((c for c in candidates if c.public_key() == key.public_key()), None)
    if owned is None:
        raise Pkcs12Error(
            "mismatch", "The key in this file does not belong to any certificate in it."
        )
    return key, owned, [c for c in candidates if c is not owned]
