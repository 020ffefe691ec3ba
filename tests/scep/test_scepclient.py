"""SCEP (RFC 8894) end to end with Debian's scepclient (micromdm) against a live portal: a
challenge created through the API, the certificate that verifies against the chain and
passes pkilint, the challenge spent once; a challenge waiting for approval answered PENDING
until an approver approves, then the client's retry receives the certificate; renewal
signed with the current certificate."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509

from certificates.models import Certificate
from certificates.pki.fingerprints import thumbprint
from certificates.renewal import PREVIOUS
from requests_app.models import Request
from requests_app.workflows.challenge import WAITING
from tests.factories import ProfileFactory, grant

# Skipped where Debian's scep package is missing, except in CI (.ci/run installs it), where a
# missing client fails instead of hiding the tests. Slow (`make test-fast` leaves them out).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("scepclient") is None
        and not os.environ.get("RAPORTAL_TEST_REQUIRE_SCEPCLIENT"),
        reason="Debian's scep package (scepclient) is needed: apt-get install scep",
    ),
]

BIN = Path(sys.executable).parent
DN = "CN=device-1,OU=MDM,O=scep-client,C=US"  # scepclient's defaults with -cn device-1


@pytest.fixture
def scep_profile(pki, approver, requester):
    profile = ProfileFactory(
        name="scep-demo",
        module="scep",
        ca=pki["issuing"],
        dn_whitelist=True,
        validity_days=60,
        renewal_period_days=90,
        authorized_key_types=["rsa-2048", "rsa-3072"],
        default_key_type="rsa-2048",
    )
    grant(profile, approver, "perform")
    grant(profile, requester, "request")
    return profile


@pytest.fixture
def server(live_server, scep_profile):
    return f"{live_server.url}/scep/{scep_profile.name}"


def scepclient(server: str, folder: Path, *options: str, timeout: int = 90):
    folder.mkdir(exist_ok=True)
    return subprocess.run(
        ["scepclient", "-server-url", server, "-private-key", str(folder / "k.pem"),
         "-cn", "device-1", "-certificate", str(folder / "out.pem"), *options],
        capture_output=True, text=True, timeout=timeout, cwd=folder,
    )  # fmt: skip


def challenge(api, profile, **fields) -> dict:
    body = {"profile": profile.name, "module": "scep", "workflow": "enroll", "dn": DN, **fields}
    status, answer = api.submit(body)
    assert status == 201, answer
    return answer


def chain_files(pki, tmp_path) -> tuple[Path, Path]:
    root, issuing = tmp_path / "root.pem", tmp_path / "issuing.pem"
    root.write_text(pki["root"].certificate_pem)
    issuing.write_text(pki["issuing"].certificate_pem)
    return root, issuing


def test_scepclient_enrolls_with_a_challenge_spent_once(
    server, scep_profile, approver_api, pki, tmp_path
):
    answer = challenge(approver_api, scep_profile)
    password = answer["password"]["value"]
    result = scepclient(server, tmp_path / "device", "-challenge", password)
    assert result.returncode == 0, result.stdout + result.stderr
    leaf = tmp_path / "device" / "out.pem"
    root, issuing = chain_files(pki, tmp_path)
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(root), "-untrusted", str(issuing), str(leaf)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    linted = subprocess.run(
        [str(BIN / "lint_pkix_cert"), "lint", "-s", "ERROR", str(leaf)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert linted.returncode == 0, linted.stdout + linted.stderr

    issued = x509.load_pem_x509_certificate(leaf.read_bytes())
    request = Request.objects.get(pk=answer["_id"])
    assert request.status == "completed"
    assert request.certificate.thumbprint == thumbprint(issued)
    assert request.template["enrollment"]["protocol"] == "scep"

    count = Certificate.objects.count()
    again = scepclient(server, tmp_path / "other", "-challenge", password)
    assert again.returncode != 0 and "failInfo" in again.stdout + again.stderr, again.stdout
    assert Certificate.objects.count() == count


def test_a_challenge_waiting_for_approval_answers_pending_then_the_certificate(
    server, scep_profile, requester_api, approver_api, tmp_path
):
    scep_profile.challenge_password_mode = "manual"
    scep_profile.save()
    password = "Device-Secret-2026!"
    answer = challenge(requester_api, scep_profile, password={"value": password})
    assert answer["status"] == "pending", answer
    folder = tmp_path / "device"
    folder.mkdir()
    client = subprocess.Popen(
        ["scepclient", "-server-url", server, "-private-key", str(folder / "k.pem"),
         "-cn", "device-1", "-certificate", str(folder / "out.pem"), "-challenge", password],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=folder,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not Request.objects.get(pk=answer["_id"]).template.get(WAITING):
            assert client.poll() is None, client.stdout.read() if client.stdout else ""
            assert time.monotonic() < deadline, "the device never reached the RA"
            time.sleep(0.5)
        status, decided = approver_api.post(
            "/api/v1/requests/approve",
            {"_id": answer["_id"], "module": "scep", "workflow": "enroll"},
        )
        assert status == 200 and decided["status"] == "approved", decided
        output, _ = client.communicate(timeout=90)  # scepclient retries after 30 s
    finally:
        client.kill()
    assert client.returncode == 0, output
    assert "PENDING" in output and "SUCCESS" in output, output
    request = Request.objects.get(pk=answer["_id"])
    assert request.status == "completed" and request.certificate is not None


def test_scepclient_renews_with_its_current_certificate(
    server, scep_profile, approver_api, tmp_path
):
    password = challenge(approver_api, scep_profile)["password"]["value"]
    folder = tmp_path / "device"
    assert scepclient(server, folder, "-challenge", password).returncode == 0
    old = x509.load_pem_x509_certificate((folder / "out.pem").read_bytes())
    # With a certificate beside the key, scepclient sends a RenewalReq signed with it.
    result = scepclient(server, folder)
    assert result.returncode == 0, result.stdout + result.stderr
    new = x509.load_pem_x509_certificate((folder / "out.pem").read_bytes())
    assert new.serial_number != old.serial_number and new.subject == old.subject
    old_row = Certificate.objects.get(thumbprint=thumbprint(old))
    new_row = Certificate.objects.get(thumbprint=thumbprint(new))
    assert {"key": PREVIOUS, "value": str(old_row.pk)} in new_row.metadata
    assert Request.objects.filter(module="scep", workflow="renew", certificate=new_row).exists()
