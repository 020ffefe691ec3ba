"""Secrets at rest: AES-256-GCM under the key-encryption key (settings.RAPORTAL_KEK).

Every ciphertext is bound to what it protects through the associated data (for example
``b"ca-key:<id>"``), so a sealed blob copied onto another row does not open there.

Layout: ``b"v1" | key id (4 bytes) | nonce (12 bytes) | ciphertext+tag``. The key id is the
start of SHA-256(KEK): opening with the wrong key says so instead of failing obscurely.
"""

import hashlib
import os
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = b"v1"
NONCE_BYTES = 12


class SecretBoxError(Exception):
    pass


@cache
def _cipher(kek: bytes) -> tuple[AESGCM, bytes]:
    return AESGCM(kek), hashlib.sha256(kek).digest()[:4]


def seal(plaintext: bytes, context: str) -> bytes:
    aead, key_id = _cipher(settings.RAPORTAL_KEK)
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + key_id + nonce + aead.encrypt(nonce, plaintext, context.encode())


def open_sealed(blob: bytes, context: str) -> bytes:
    blob = bytes(blob)
    aead, key_id = _cipher(settings.RAPORTAL_KEK)
    if blob[:2] != VERSION:
        raise SecretBoxError("unknown secret format")
    if blob[2:6] != key_id:
        raise SecretBoxError("secret was sealed under another RAPORTAL_KEK")
    nonce, ciphertext = blob[6 : 6 + NONCE_BYTES], blob[6 + NONCE_BYTES :]
    try:
        return aead.decrypt(nonce, ciphertext, context.encode())
    except Exception as exc:  # InvalidTag: tampered, or bound to another record
        raise SecretBoxError("secret does not open in this context") from exc
