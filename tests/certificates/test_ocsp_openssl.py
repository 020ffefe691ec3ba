"""The OCSP responder against OpenSSL's own client, over HTTP to a live portal: good, revoked
with its reason, unknown, the signature and the nonce checked by ``openssl ocsp``; RFC 5019
GET fetched with a Python client and its answer verified by ``openssl ocsp -respin``."""

import subprocess
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from certificates.ca_keys import ca_private_key
from certificates.models import Certificate
from certificates.pki import signing
from certificates.pki.fingerprints import hex_serial
from certificates.pki.keys import generate_private_key
from certificates.services import revoke_certificate
from tests.certificates.ocsp_client import get_path, request_for

# Slow (`make test-fast` leaves it out): runs openssl against a live server.
pytestmark = pytest.mark.slow


def openssl(*args: str) -> str:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


@pytest.fixture
def files(pki, issue, tmp_path) -> dict[str, Path]:
    """PEM files: the issuing CA, the chain up to the root, and a certificate it issued."""
    paths = {name: tmp_path / f"{name}.pem" for name in ("issuer", "chain", "leaf")}
    paths["issuer"].write_text(pki["issuing"].certificate_pem)
    paths["chain"].write_text(pki["issuing"].certificate_pem + pki["root"].certificate_pem)
    paths["leaf"].write_text(issue()["certificate"])
    return paths


@pytest.fixture
def url(live_server, pki) -> str:
    return f"{live_server.url}/ocsp/{pki['issuing'].name}"


def ask(url: str, files: dict[str, Path], *cert_options: str) -> str:
    return openssl(
        "ocsp", "-issuer", str(files["issuer"]), *cert_options, "-url", url,
        "-CAfile", str(files["chain"]), "-resp_text",
    )  # fmt: skip


def test_openssl_hears_good_for_a_live_certificate_signed_and_nonced(url, files):
    out = ask(url, files, "-cert", str(files["leaf"]))
    assert f"{files['leaf']}: good" in out, out
    assert "Response verify OK" in out, out
    # openssl sends a nonce and checks it comes back (it warns otherwise).
    assert "WARNING" not in out and "OCSP Nonce" in out, out
    assert "OCSP Signing" in out and "OCSP No Check" in out, out  # the responder it carries


def test_openssl_hears_revoked_with_the_reason_after_a_revocation(url, files, pki):
    leaf = x509.load_pem_x509_certificate(files["leaf"].read_bytes())
    assert f"{files['leaf']}: good" in ask(url, files, "-cert", str(files["leaf"]), "-no_nonce")
    revoke_certificate(
        Certificate.objects.get(serial=hex_serial(leaf.serial_number)), "keycompromise"
    )
    out = ask(url, files, "-cert", str(files["leaf"]), "-no_nonce")
    assert f"{files['leaf']}: revoked" in out, out
    assert "Reason: keyCompromise" in out and "Revocation Time:" in out, out
    assert "Response verify OK" in out, out


def test_openssl_hears_unknown_for_a_certificate_the_portal_never_recorded(
    url, files, pki, tmp_path
):
    issuing = pki["issuing"]
    key = generate_private_key("ec-secp256r1")
    stray = signing.sign_leaf(
        ca_cert=issuing.certificate,
        ca_key=ca_private_key(issuing),
        public_key=key.public_key(),
        subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stray.example.com")]),
        sans=[],
        validity=signing.BACKDATE * 100,
        ekus=[],
        crl_url=issuing.crl_url(),
        ca_issuers_url=issuing.certificate_url(),
    )
    path = tmp_path / "stray.pem"
    path.write_bytes(stray.public_bytes(Encoding.PEM))
    out = ask(url, files, "-cert", str(path))
    assert f"{path}: unknown" in out, out
    assert "Response verify OK" in out, out


def test_openssl_asking_about_two_certificates_at_once_hears_malformed_request(url, files):
    out = ask(url, files, "-cert", str(files["leaf"]), "-cert", str(files["leaf"]))
    assert "Responder Error: malformedrequest" in out, out


def test_a_get_answer_fetched_over_http_verifies_with_openssl(live_server, pki, files, tmp_path):
    issuing = pki["issuing"]
    leaf = x509.load_pem_x509_certificate(files["leaf"].read_bytes())
    der = request_for(leaf, issuing.certificate)
    with urllib.request.urlopen(live_server.url + get_path(issuing.name, der)) as response:  # noqa: S310
        body, headers = response.read(), response.headers
    assert headers["Content-Type"] == "application/ocsp-response"
    assert "public" in headers["Cache-Control"] and headers["ETag"], dict(headers)
    answer = tmp_path / "answer.der"
    answer.write_bytes(body)
    out = openssl(
        "ocsp", "-respin", str(answer), "-issuer", str(files["issuer"]),
        "-cert", str(files["leaf"]), "-CAfile", str(files["chain"]),
    )  # fmt: skip
    assert f"{files['leaf']}: good" in out and "Response verify OK" in out, out
