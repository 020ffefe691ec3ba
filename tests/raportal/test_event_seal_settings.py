"""RAPORTAL_EVENT_SEAL_KEY and RAPORTAL_EVENT_RETENTION_DAYS: checked as the other secrets
and numbers are, with DEBUG off."""

import pytest

from tests.raportal.test_settings import GOOD, kek_of, settings_load

# Slow (`make test-fast` leaves it out): every test loads the settings in a fresh interpreter.
pytestmark = pytest.mark.slow

SEAL_KEY = "q0Cqz9F1b8mBv3Yc0xkJpR6tT2wLhN4eUaG7sDiZoEw="


def test_a_random_seal_key_and_a_retention_are_accepted():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        f"import base64; print(s.RAPORTAL_EVENT_SEAL_KEY == base64.b64decode({SEAL_KEY!r}), "
        "s.RAPORTAL_EVENT_RETENTION_DAYS)"
    )
    result = settings_load(
        code=code, **GOOD, RAPORTAL_EVENT_SEAL_KEY=SEAL_KEY, RAPORTAL_EVENT_RETENTION_DAYS="400"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "400"], result.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not base64!", "base64"),
        ("c2hvcnQ=", "32 bytes"),
        (kek_of(bytes(32)), "RAPORTAL_EVENT_SEAL_KEY is too weak"),
        (kek_of(b"event-seal-key-0123456789abcdefg"), "RAPORTAL_EVENT_SEAL_KEY is too weak"),
        (GOOD["RAPORTAL_KEK"], "must differ from RAPORTAL_KEK"),
    ],
)
def test_a_weak_or_malformed_seal_key_is_refused(value, message):
    result = settings_load(**GOOD, RAPORTAL_EVENT_SEAL_KEY=value)
    assert result.returncode != 0 and message in result.stderr, result.stderr
    assert value not in result.stderr or value == "not base64!"


def test_a_negative_retention_is_refused():
    result = settings_load(**GOOD, RAPORTAL_EVENT_RETENTION_DAYS="-1")
    assert result.returncode != 0 and "RAPORTAL_EVENT_RETENTION_DAYS" in result.stderr
