"""Key types, named as Horizon names them (``rsa-2048``, ``ec-secp256r1``, ``ed-25519``)."""

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

# The private keys the portal generates (KEY_TYPES).
PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
# The public keys that sign and verify here (certificates, CRLs, proofs of possession); an
# X25519/X448 or DSA key does neither.
SigningPublicKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)
SIGNING_PUBLIC_KEY_CLASSES = (
    rsa.RSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
)


def signing_public_key(certificate: x509.Certificate) -> SigningPublicKey:
    """The certificate's public key, if of a kind that signs; ValueError otherwise."""
    key = certificate.public_key()
    if not isinstance(key, SIGNING_PUBLIC_KEY_CLASSES):
        raise ValueError(f"a {type(key).__name__} does not sign")
    return key


@dataclass(frozen=True)
class KeyType:
    name: str
    label: str
    family: str  # rsa | ec | ed
    size: int = 0
    curve: type[ec.EllipticCurve] | None = None


KEY_TYPES: dict[str, KeyType] = {
    kt.name: kt
    for kt in [
        KeyType("rsa-2048", "RSA 2048 bits", "rsa", 2048),
        KeyType("rsa-3072", "RSA 3072 bits", "rsa", 3072),
        KeyType("rsa-4096", "RSA 4096 bits", "rsa", 4096),
        KeyType("ec-secp256r1", "ECDSA P-256", "ec", 256, ec.SECP256R1),
        KeyType("ec-secp384r1", "ECDSA P-384", "ec", 384, ec.SECP384R1),
        KeyType("ec-secp521r1", "ECDSA P-521", "ec", 521, ec.SECP521R1),
        KeyType("ed-25519", "Ed25519", "ed", 255),
        KeyType("ed-448", "Ed448", "ed", 448),
    ]
}

KEY_TYPE_CHOICES = [(kt.name, kt.label) for kt in KEY_TYPES.values()]


def generate_private_key(key_type: str) -> PrivateKey:
    kt = KEY_TYPES[key_type]
    if kt.family == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=kt.size)
    if kt.family == "ec":
        if kt.curve is None:
            raise ValueError(f"key type {kt.name} names no curve")
        return ec.generate_private_key(kt.curve())
    if kt.name == "ed-25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ed448.Ed448PrivateKey.generate()


def key_type_of(public_key) -> str:
    """The Horizon-style name of a public key's type, also for types we do not issue
    (``rsa-1024``, ``dsa``), so that an error message can name what was received."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"rsa-{public_key.key_size}"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"ec-{public_key.curve.name}"
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "ed-25519"
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "ed-448"
    return type(public_key).__name__.replace("PublicKey", "").lower() or "unknown"


def key_label(key_type: str) -> str:
    """``ec-secp256r1`` → ``ECDSA P-256``: the name pages show (the type as stored for one
    the portal does not issue)."""
    known = KEY_TYPES.get(key_type or "")
    return known.label if known else key_type
