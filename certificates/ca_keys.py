"""CA private keys: sealed at rest, opened once per process (the signing hot path must not
pay an AES-GCM open and a key parse on every certificate)."""

from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from raportal.crypto import open_sealed, seal
from raportal.errors import DomainError

if TYPE_CHECKING:
    from certificates.models import CertificateAuthority

_cache: dict[tuple[int, bytes], PrivateKeyTypes] = {}


def seal_private_key(key, context: str) -> bytes:
    """A private key as kept at rest: PKCS#8 DER sealed under the KEK, bound to ``context``
    (CA keys, OCSP responder and SCEP RA keys: each bound to its row)."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return seal(der, context)


def open_private_key(sealed: bytes | memoryview, context: str) -> PrivateKeyTypes:
    return serialization.load_der_private_key(open_sealed(bytes(sealed), context), None)


def seal_ca_key(ca_pk: int, key) -> bytes:
    return seal_private_key(key, f"ca-key:{ca_pk}")


def ca_private_key(ca: "CertificateAuthority") -> PrivateKeyTypes:
    """The CA's private key. A keyless CA (a trust entry) has none: DomainError, never a
    signature with something else."""
    if not ca.sealed_key:
        raise DomainError(
            "WEBRA-ENROLL-011",
            f"the CA {ca.name} has no private key here (it is a trust entry, known for "
            "chains): it cannot sign; an administrator must give it a key (an integrated "
            "PKI connector) or choose another CA",
        )
    sealed = bytes(ca.sealed_key)
    cache_key = (ca.pk, sealed[-16:])  # the GCM tag changes whenever the key is re-sealed
    key = _cache.get(cache_key)
    if key is None:
        key = open_private_key(sealed, f"ca-key:{ca.pk}")
        _cache[cache_key] = key
    return key
