"""How random a configured secret looks: the settings refuse, with DEBUG off, a
``DJANGO_SECRET_KEY`` or ``RAPORTAL_KEK`` that is plainly not random (development defaults,
``"x" * 40``, all-zero bytes, a repeated pattern, a passphrase where random bytes belong).

These are heuristics on the value alone — no test can prove a key random — set so that a key
generated as the README says (``secrets.token_urlsafe(50)``, ``openssl rand -base64 32``)
always passes: its chance of failing is far below 10^-9. Pure Python, no Django: settings.py
imports it before Django is set up.
"""

import math
from collections import Counter

# Django's own deploy check (security.W009) wants 50 characters and 5 distinct ones.
SECRET_KEY_MIN_LENGTH = 50
# Shannon entropy of the characters' frequencies, in bits per character. A random key over
# base64 or hex letters has 3.7 to 5.6; English text about 4; "abab…" 1, "xxxx…" 0.
SECRET_KEY_MIN_BITS_PER_CHAR = 3.0
SECRET_KEY_MIN_DISTINCT = 10
# 32 random bytes repeat a value only a few times (about two collisions on average).
KEK_MIN_DISTINCT_BYTES = 20


def shannon_bits_per_symbol(values) -> float:
    counts = Counter(values)
    total = sum(counts.values())
    return -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0


def _periodic(values) -> bool:
    """True when ``values`` is a shorter run repeated ("abcabcab…")."""
    length = len(values)
    return any(
        all(values[i] == values[i % period] for i in range(length))
        for period in range(1, length // 2 + 1)
    )


def secret_key_weakness(key: str) -> str | None:
    """Why ``key`` is no good as Django's SECRET_KEY, or None. Never quotes the key."""
    if key.startswith("django-insecure-"):
        return "it is one Django's startproject generated for development"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it must be at least {SECRET_KEY_MIN_LENGTH} characters long"
    if (
        len(set(key)) < SECRET_KEY_MIN_DISTINCT
        or shannon_bits_per_symbol(key) < SECRET_KEY_MIN_BITS_PER_CHAR
        or _periodic(key)
    ):
        return "it repeats too few characters, or a pattern, to be random"
    return None


def kek_weakness(kek: bytes) -> str | None:
    """Why ``kek`` (32 decoded bytes) is no good as the key-encryption key, or None."""
    if len(set(kek)) < KEK_MIN_DISTINCT_BYTES or _periodic(kek):
        return "its bytes repeat too much to be random"
    if all(0x20 <= byte < 0x7F for byte in kek):
        # 32 random bytes are all printable one time in 10^13: this is a passphrase.
        return "it decodes to printable text (a passphrase), not random bytes"
    return None
