"""GET /api/v1/rfc5280/tc/{pem}: the certificate, then the portal CAs that issued it, proven
by signature and not by name alone."""

import datetime as dt
import json
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from horizon.models.cf_certificate_response import CFCertificateResponse

from certificates.pki.keys import generate_private_key
from tests.read_side import make_certificate


def chain(api, pem: str, query: str = "") -> tuple[int, list | dict]:
    return api.get("/api/v1/rfc5280/tc/" + quote(pem, safe="") + query)


def forged(issuer_name: x509.Name, subject: str = "forged.example.com") -> str:
    """A certificate naming ``issuer_name`` as its issuer, signed by some other key."""
    key = generate_private_key("ec-secp256r1")
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.PEM).decode()


def test_a_leaf_chains_to_its_issuing_ca_then_the_root(requester_api, profile, pki):
    leaf = make_certificate(profile)
    status, body = chain(requester_api, leaf.pem)
    assert status == 200, body
    parsed = [CFCertificateResponse.from_json(json.dumps(item)) for item in body]
    assert [c.dn for c in parsed] == [
        "CN=web.example.com",
        "CN=Test Issuing CA",
        "CN=Test Root CA",
    ], body
    assert parsed[0].pem == leaf.pem and parsed[2].self_signed is True
    assert parsed[1].pem == pki["issuing"].certificate_pem


def test_root_to_leaf_order_reverses_the_chain(requester_api, profile):
    status, body = chain(requester_api, make_certificate(profile).pem, "?order=root-to-leaf")
    assert status == 200, body
    assert [c["dn"] for c in body] == [
        "CN=Test Root CA",
        "CN=Test Issuing CA",
        "CN=web.example.com",
    ], body


def test_an_unknown_order_is_refused(requester_api, profile):
    status, body = chain(requester_api, make_certificate(profile).pem, "?order=sideways")
    assert status == 400 and body["error"] == "REQ-002", body


def test_a_ca_certificate_chains_from_itself(requester_api, pki):
    status, body = chain(requester_api, pki["issuing"].certificate_pem)
    assert status == 200 and [c["dn"] for c in body] == ["CN=Test Issuing CA", "CN=Test Root CA"], (
        body
    )
    status, body = chain(requester_api, pki["root"].certificate_pem)
    assert status == 200 and [c["dn"] for c in body] == ["CN=Test Root CA"], body


def test_a_certificate_that_only_borrows_the_issuers_name_chains_to_nothing(requester_api, pki):
    pem = forged(pki["issuing"].certificate.subject)
    status, body = chain(requester_api, pem)
    assert status == 200, body
    assert [c["dn"] for c in body] == ["CN=forged.example.com"], body


def test_a_pem_whose_newlines_became_spaces_still_parses(requester_api, profile):
    pem = make_certificate(profile).pem.replace("\n", " ")
    status, body = chain(requester_api, pem)
    assert status == 200 and len(body) == 3, body


def test_text_that_is_not_a_certificate_is_refused_with_rfc5280_002(requester_api, pki):
    for text in ("hello", "-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----"):
        status, body = chain(requester_api, text)
        assert status == 400, body
        assert body["error"] == "RFC5280-002" and body["message"] == "Invalid X509 Certificate"


def test_the_trust_chain_needs_no_credentials_but_checks_those_sent(api_as, pki, requester):
    # Open as the CA certificates are (/pki/): a client that renewed by proof of possession
    # has no account to read the chain with.
    status, body = chain(api_as(), pki["issuing"].certificate_pem)
    assert status == 200 and len(body) == 2, body
    status, body = chain(api_as(requester, key="wrong"), pki["root"].certificate_pem)
    assert status == 401 and body["error"] == "SEC-AUTH-002", body


def test_a_certificate_the_portal_cannot_read_is_a_400(requester_api, db):
    key = generate_private_key("ec-secp256r1")
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "odd")])
    odd = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DirectoryName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    status, body = chain(requester_api, odd.public_bytes(Encoding.PEM).decode())
    assert (status, body["error"]) == (400, "RFC5280-002"), body
