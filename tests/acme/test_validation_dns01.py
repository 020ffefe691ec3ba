"""dns-01 (RFC 8555 §8.4) against a real DNS server on loopback: the TXT record at
_acme-challenge.<name> must hold base64url(SHA-256(key authorization))."""

import base64
import hashlib
import socket
import time

import pytest

from acme_server.validation import ValidationResult, dns01_digest, validate
from tests.acme.dns_server import dns_server

NAME = "www.dns01.test"
TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
KEY_AUTHORIZATION = f"{TOKEN}.nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ"


@pytest.fixture
def zone(settings):
    with dns_server() as (zone, address):
        settings.RAPORTAL_ACME_DNS_RESOLVER = address
        yield zone


def dns01() -> ValidationResult:
    return validate("dns-01", NAME, TOKEN, KEY_AUTHORIZATION)


def test_the_digest_is_unpadded_base64url_of_the_key_authorizations_sha256():
    digest = hashlib.sha256(KEY_AUTHORIZATION.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert dns01_digest(KEY_AUTHORIZATION) == expected
    assert len(expected) == 43 and "=" not in expected


def test_the_right_txt_record_among_others_validates(zone):
    zone.add(f'_acme-challenge.{NAME}. 60 IN TXT "left-over-from-last-time"')
    zone.add(f'_acme-challenge.{NAME}. 60 IN TXT "{dns01_digest(KEY_AUTHORIZATION)}"')
    result = dns01()
    assert result == ValidationResult(True), result
    assert (f"_acme-challenge.{NAME}.", "TXT") in zone.questions


def test_a_txt_record_split_into_several_strings_is_read_as_one_value(zone):
    digest = dns01_digest(KEY_AUTHORIZATION)
    zone.add(f'_acme-challenge.{NAME}. 60 IN TXT "{digest[:20]}" "{digest[20:]}"')
    result = dns01()
    assert result.valid, result


def test_a_wildcard_order_validates_its_base_name(zone):
    # RFC 8555 §7.1.3: the authorization of *.example is for example, and so is the record.
    zone.add(f'_acme-challenge.{NAME}. 60 IN TXT "{dns01_digest(KEY_AUTHORIZATION)}"')
    assert validate("dns-01", NAME.upper() + ".", TOKEN, KEY_AUTHORIZATION).valid


def test_a_wrong_txt_record_is_unauthorized_and_says_what_was_found(zone):
    zone.add(f'_acme-challenge.{NAME}. 60 IN TXT "{dns01_digest("another.authorization")}"')
    result = dns01()
    assert not result.valid and result.error_type == "unauthorized", result
    assert dns01_digest("another.authorization") in result.detail, result


def test_the_key_authorization_itself_in_the_record_is_unauthorized(zone):
    # The record holds the digest, never the key authorization (§8.4).
    zone.add(f'_acme-challenge.{NAME}. 60 IN TXT "{KEY_AUTHORIZATION}"')
    result = dns01()
    assert result.error_type == "unauthorized", result


def test_a_missing_name_is_a_dns_error(zone):
    zone.add(f'_acme-challenge.other.test. 60 IN TXT "{dns01_digest(KEY_AUTHORIZATION)}"')
    result = dns01()
    assert not result.valid and result.error_type == "dns", result
    assert "NXDOMAIN" in result.detail and f"_acme-challenge.{NAME}" in result.detail, result


def test_a_name_without_txt_records_is_a_dns_error(zone):
    zone.add(f"_acme-challenge.{NAME}. 60 IN A 192.0.2.1")
    result = dns01()
    assert result.error_type == "dns" and "no TXT record" in result.detail, result


def test_a_silent_dns_server_is_a_dns_error_within_the_timeout(settings):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # receives the queries, never answers
        settings.RAPORTAL_ACME_DNS_RESOLVER = silent.getsockname()
        settings.RAPORTAL_ACME_VALIDATION_TIMEOUT = 1
        started = time.monotonic()
        result = dns01()
        elapsed = time.monotonic() - started
    assert result.error_type == "dns" and "timed out" in result.detail, result
    assert elapsed < 3, elapsed


def test_a_name_that_is_not_a_dns_name_is_refused_before_any_lookup(zone):
    result = validate("dns-01", "www.exa mple.test", TOKEN, KEY_AUTHORIZATION)
    assert result.error_type == "malformed", result
    assert zone.questions == []


def test_an_unknown_challenge_type_is_a_value_error():
    with pytest.raises(ValueError, match="tls-sni-01"):
        validate("tls-sni-01", NAME, TOKEN, KEY_AUTHORIZATION)
