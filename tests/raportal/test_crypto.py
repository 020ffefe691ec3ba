"""AES-GCM sealing of secrets at rest."""

import pytest

from raportal.crypto import SecretBoxError, open_sealed, seal


def test_a_sealed_secret_opens_only_in_its_own_context():
    blob = seal(b"private key bytes", "escrow:1")
    assert b"private key bytes" not in blob
    assert open_sealed(blob, "escrow:1") == b"private key bytes"
    with pytest.raises(SecretBoxError):
        open_sealed(blob, "escrow:2")


def test_a_tampered_secret_does_not_open():
    blob = bytearray(seal(b"secret", "ctx"))
    blob[-1] ^= 1
    with pytest.raises(SecretBoxError):
        open_sealed(bytes(blob), "ctx")


def test_a_secret_sealed_under_another_key_says_so(settings):
    blob = seal(b"secret", "ctx")
    settings.RAPORTAL_KEK = b"\x01" * 32
    with pytest.raises(SecretBoxError, match="another RAPORTAL_KEK"):
        open_sealed(blob, "ctx")


def test_error_reports_hide_the_key_encryption_key(rf):
    from django.views.debug import get_default_exception_reporter_filter

    settings_shown = get_default_exception_reporter_filter().get_safe_settings()
    assert settings_shown["RAPORTAL_KEK"] == "********************"
