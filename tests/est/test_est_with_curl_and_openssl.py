"""EST (RFC 7030) end to end with curl and openssl only, against a live portal: the CA
certificates, an enrollment authenticated by a challenge created through the API, the
challenge spent once, a CSR the profile refuses, and re-enrollment with the current
certificate forwarded by the TLS proxy — honoured from the proxy's address only."""

import subprocess
import urllib.parse
from pathlib import Path

import pytest
from cryptography import x509

from certificates.models import Certificate
from certificates.pki.fingerprints import thumbprint
from certificates.renewal import PREVIOUS, RENEWED
from requests_app.models import Request
from tests.factories import ProfileFactory, grant

# Slow (`make test-fast` leaves it out): runs curl and openssl against a live server.
pytestmark = pytest.mark.slow

CURL_TIMEOUT = 60


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, timeout=CURL_TIMEOUT)


def curl(url: str, *options: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a curl call."""
    result = run("curl", "-sS", "-D", "-", *options, url)
    assert result.returncode == 0, result.stderr.decode()
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


@pytest.fixture
def est_profile(pki, approver):
    profile = ProfileFactory(
        name="est-demo", module="est", ca=pki["issuing"], renewal_period_days=400
    )
    grant(profile, approver, "perform")
    return profile


@pytest.fixture
def est(live_server, est_profile):
    return f"{live_server.url}/.well-known/est/{est_profile.name}"


def challenge(approver_api, profile, **fields) -> tuple[str, str]:
    body = {"profile": profile.name, "module": "est", "workflow": "enroll", **fields}
    status, answer = approver_api.submit(body)
    assert status == 201 and answer["status"] == "approved", answer
    return answer["_id"], answer["password"]["value"]


def openssl_csr(tmp_path: Path, name: str, subject: str | None, *extra: str) -> Path:
    """A key and a base64 DER CSR made by openssl, as an EST client sends it."""
    key, der, b64 = tmp_path / f"{name}.key", tmp_path / f"{name}.der", tmp_path / f"{name}.b64"
    result = run(
        "openssl", "req", "-new",
        *([] if "-newkey" in extra else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
        "-nodes", "-keyout", str(key), *(["-subj", subject] if subject else []),
        "-outform", "DER", "-out", str(der), *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert run("openssl", "base64", "-in", str(der), "-out", str(b64)).returncode == 0
    return b64


def certificate_of(tmp_path: Path, body: bytes, name: str) -> Path:
    """The certificate of a base64 certs-only PKCS#7 answer, PEM, through openssl."""
    p7, pem = tmp_path / f"{name}.p7.b64", tmp_path / f"{name}.pem"
    p7.write_bytes(body)
    der = run("openssl", "base64", "-d", "-in", str(p7)).stdout
    result = run(
        "openssl", "pkcs7", "-inform", "DER", "-print_certs", "-out", str(pem), stdin=der
    )  # fmt: skip
    assert result.returncode == 0, body.decode(errors="replace") + result.stderr.decode()
    return pem


def enroll(est: str, csr: Path, *auth: str) -> tuple[int, dict[str, str], bytes]:
    return curl(
        f"{est}/simpleenroll", "-H", "Content-Type: application/pkcs10",
        "--data-binary", f"@{csr}", *auth,
    )  # fmt: skip


def test_cacerts_gives_the_chain_that_verifies_what_simpleenroll_issues(
    est, est_profile, approver_api, tmp_path
):
    status, headers, body = curl(f"{est}/cacerts")
    assert status == 200, body
    assert headers["content-type"] == "application/pkcs7-mime"
    assert headers["content-transfer-encoding"] == "base64"
    chain = certificate_of(tmp_path, body, "chain")
    assert chain.read_text().count("BEGIN CERTIFICATE") == 2

    request_id, password = challenge(approver_api, est_profile)
    csr = openssl_csr(tmp_path, "device", "/CN=device-1")
    status, headers, body = enroll(est, csr, "-u", f"{request_id}:{password}")
    assert status == 200, body
    assert headers["content-type"] == "application/pkcs7-mime; smime-type=certs-only"
    leaf = certificate_of(tmp_path, body, "leaf")
    verified = run("openssl", "verify", "-CAfile", str(chain), str(leaf))
    assert verified.returncode == 0, verified.stdout + verified.stderr

    issued = x509.load_pem_x509_certificate(leaf.read_bytes())
    request = Request.objects.get(pk=request_id)
    assert request.status == "completed" and request.challenge_hash == ""
    assert request.certificate.thumbprint == thumbprint(issued)
    assert request.template["enrollment"]["protocol"] == "est"
    assert request.template["enrollment"]["clientAddress"] == "127.0.0.1"


def test_a_spent_or_wrong_challenge_is_refused_with_401_and_nothing_issued(
    est, est_profile, approver_api, tmp_path
):
    request_id, password = challenge(approver_api, est_profile)
    csr = openssl_csr(tmp_path, "device", "/CN=device-2")
    assert enroll(est, csr, "-u", f"{request_id}:{password}")[0] == 200
    issued = Certificate.objects.count()

    status, headers, body = enroll(est, csr, "-u", f"{request_id}:{password}")
    assert status == 401, body
    assert headers["www-authenticate"].startswith("Basic realm=")

    other_id, _ = challenge(approver_api, est_profile)
    status, _, body = enroll(est, csr, "-u", f"{other_id}:not-the-password")
    assert status == 401, body
    status, headers, body = enroll(est, csr)  # no credentials at all
    assert status == 401 and "www-authenticate" in headers, body
    assert Certificate.objects.count() == issued
    assert Request.objects.get(pk=other_id).status == "approved"


def test_a_challenge_password_inside_the_csr_authenticates_too(
    est, est_profile, approver_api, tmp_path
):
    request_id, password = challenge(approver_api, est_profile)
    # openssl req writes challengePassword from its config's attributes section (and
    # ignores it when -subj is given: the config names the subject too).
    config = tmp_path / "req.cnf"
    config.write_text(
        "[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n"
        "[dn]\nCN=device-3\n"
        f"[attrs]\nchallengePassword={password}\n"
    )
    csr = openssl_csr(tmp_path, "device", None, "-config", str(config))
    status, _, body = enroll(est, csr)
    assert status == 200, body
    assert Request.objects.get(pk=request_id).status == "completed"


@pytest.mark.parametrize(
    "subject, key",
    [
        ("/O=Example", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),  # no CN
        ("/CN=device-4", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"]),  # key type
    ],
    ids=["mandatory-cn-missing", "key-type-not-allowed"],
)
def test_a_csr_the_profile_refuses_answers_400_and_keeps_the_challenge(
    est, est_profile, approver_api, tmp_path, subject, key
):
    request_id, password = challenge(approver_api, est_profile)
    issued = Certificate.objects.count()
    csr = openssl_csr(tmp_path, "device", subject, *key)
    status, headers, body = enroll(est, csr, "-u", f"{request_id}:{password}")
    assert status == 400, body
    assert headers["content-type"].startswith("text/plain")
    assert Certificate.objects.count() == issued
    assert Request.objects.get(pk=request_id).status == "approved"  # still usable


def test_simplereenroll_with_the_certificate_forwarded_by_the_proxy(
    est, est_profile, approver_api, tmp_path, settings
):
    settings.RAPORTAL_CLIENT_CERT_PROXIES = ["127.0.0.1/32"]
    request_id, password = challenge(approver_api, est_profile)
    csr = openssl_csr(tmp_path, "device", "/CN=device-5")
    status, _, body = enroll(est, csr, "-u", f"{request_id}:{password}")
    assert status == 200, body
    current = certificate_of(tmp_path, body, "current")
    old_row = Certificate.objects.get(
        thumbprint=thumbprint(x509.load_pem_x509_certificate(current.read_bytes()))
    )
    header = "X-SSL-Client-Cert: " + urllib.parse.quote(current.read_text())

    renewal = openssl_csr(tmp_path, "renewal", "/CN=device-5")
    status, _, body = curl(
        f"{est}/simplereenroll", "-H", "Content-Type: application/pkcs10",
        "--data-binary", f"@{renewal}", "-H", header,
    )  # fmt: skip
    assert status == 200, body
    new = x509.load_pem_x509_certificate(certificate_of(tmp_path, body, "new").read_bytes())
    new_row = Certificate.objects.get(thumbprint=thumbprint(new))
    old_row.refresh_from_db()
    assert {"key": PREVIOUS, "value": str(old_row.pk)} in new_row.metadata
    assert {"key": RENEWED, "value": str(new_row.pk)} in old_row.metadata
    assert new.subject == x509.load_pem_x509_certificate(current.read_bytes()).subject
    assert Request.objects.filter(module="est", workflow="renew", certificate=new_row).exists()

    settings.RAPORTAL_CLIENT_CERT_PROXIES = ["192.0.2.10/32"]  # not this client's address
    again = openssl_csr(tmp_path, "again", "/CN=device-5")
    status, headers, body = curl(
        f"{est}/simplereenroll", "-H", "Content-Type: application/pkcs10",
        "--data-binary", f"@{again}", "-H", header,
    )  # fmt: skip
    assert status == 401 and "www-authenticate" in headers, body
