"""Each CA's delegated OCSP responder (RFC 6960 §4.2.2.2): its certificate, its sealed key,
its renewal past two thirds of its life (on use, by the hourly task, once under concurrency),
pkilint on it and on its answers, and the OCSP URL in the AIA of issued certificates."""

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID
from django.db import connection

from certificates.api import certificate_details
from certificates.ca_keys import ca_private_key, seal_ca_key
from certificates.models import CertificateAuthority, OcspResponder
from certificates.ocsp_responders import current_signer, renew_due_responders
from certificates.pki.fingerprints import hex_serial
from certificates.services import create_ca
from raportal.crypto import open_sealed
from raportal.models import AuditEvent
from tests.certificates.ocsp_client import ask, request_for, request_for_serial

BIN = Path(sys.executable).parent


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.fixture
def issuing(pki):
    return pki["issuing"]


def responder_of(client, ca) -> x509.Certificate:
    """The responder certificate carried by an answer of ``ca``'s responder."""
    _, response = ask(client, ca.name, request_for_serial(ca.certificate, 7))
    (responder,) = response.certificates
    return responder


def test_the_responder_certificate_is_issued_by_the_ca_for_ocsp_signing_only(
    client, issuing, settings
):
    responder = responder_of(client, issuing)
    responder.verify_directly_issued_by(issuing.certificate)
    extensions = responder.extensions
    eku = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    assert isinstance(extensions.get_extension_for_class(x509.OCSPNoCheck).value, x509.OCSPNoCheck)
    usage = extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    with pytest.raises(x509.ExtensionNotFound):  # nocheck: nothing to check it against
        extensions.get_extension_for_class(x509.CRLDistributionPoints)
    life = responder.not_valid_after_utc - responder.not_valid_before_utc
    backdate = dt.timedelta(minutes=5)
    assert life == dt.timedelta(days=settings.RAPORTAL_OCSP_RESPONDER_DAYS), life
    assert responder.not_valid_before_utc >= issuing.certificate.not_valid_before_utc - backdate
    assert responder.subject.rfc4514_string() == "CN=Test Issuing CA OCSP Responder"


def test_the_responder_key_is_sealed_at_rest(client, issuing):
    responder = responder_of(client, issuing)
    row = OcspResponder.objects.get(ca=issuing)
    der = open_sealed(bytes(row.sealed_key), f"ocsp-responder-key:{row.pk}")
    key = serialization.load_der_private_key(der, None)
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert key.public_key().public_bytes(*spki) == responder.public_key().public_bytes(*spki)
    assert der not in bytes(row.sealed_key)


def test_a_responder_is_kept_until_two_thirds_of_its_life_then_renewed_on_first_use(
    client, issuing, settings
):
    first = responder_of(client, issuing)
    start = first.not_valid_before_utc
    life = dt.timedelta(days=settings.RAPORTAL_OCSP_RESPONDER_DAYS)
    with time_machine.travel(start + life * 0.6, tick=False):
        assert responder_of(client, issuing) == first
    with time_machine.travel(start + life * 0.7, tick=False):
        second = responder_of(client, issuing)
        assert second != first
        assert second.not_valid_before_utc > first.not_valid_before_utc
        assert responder_of(client, issuing) == second  # and kept
    assert OcspResponder.objects.filter(ca=issuing).count() == 2
    events = AuditEvent.objects.filter(action="ocsp.responder.issue").order_by("pk")
    assert [event.detail["serial"] for event in events] == [
        hex_serial(first.serial_number),
        hex_serial(second.serial_number),
    ]


def test_the_hourly_task_issues_missing_responders_and_renews_due_ones_only(pki, settings):
    first = renew_due_responders()
    assert set(first) == {pki["root"].name, pki["issuing"].name}
    assert renew_due_responders() == first  # none due: the same responders
    life = dt.timedelta(days=settings.RAPORTAL_OCSP_RESPONDER_DAYS)
    with time_machine.travel(dt.datetime.now(dt.UTC) + life * 0.7, tick=False):
        renewed = renew_due_responders()
    assert all(renewed[name] != first[name] for name in first), (first, renewed)
    assert OcspResponder.objects.count() == 4


def test_a_new_ca_certificate_gets_a_new_responder_at_once(client, issuing):
    first = responder_of(client, issuing)
    other = create_ca(common_name="Other CA", key_type="ec-secp256r1", validity_days=30)
    # An administrator gave the CA another certificate and key.
    CertificateAuthority.objects.filter(pk=issuing.pk).update(
        certificate_pem=other.certificate_pem,
        sealed_key=seal_ca_key(issuing.pk, ca_private_key(other)),
    )
    replaced = CertificateAuthority.objects.get(pk=issuing.pk)
    second = responder_of(client, replaced)
    assert second != first
    second.verify_directly_issued_by(other.certificate)


@pytest.mark.django_db(transaction=True)
def test_workers_finding_no_responder_together_make_one(postgres_only, pki):
    ca = pki["issuing"]
    barrier = threading.Barrier(8)
    serials, errors = [], []

    def ask_signer():
        try:
            barrier.wait()
            serials.append(current_signer(ca).certificate.serial_number)
        except Exception as error:  # reported below
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask_signer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(set(serials)) == 1, serials
    assert OcspResponder.objects.filter(ca=ca).count() == 1


@pytest.mark.slow
def test_pkilint_finds_no_error_in_the_responder_certificate_nor_its_answers(
    client, issuing, issue, tmp_path
):
    leaf = x509.load_pem_x509_certificate(issue()["certificate"].encode())
    http, response = ask(client, issuing.name, request_for(leaf, issuing.certificate))
    answer = tmp_path / "answer.der"
    answer.write_bytes(http.content)
    result = run(str(BIN / "lint_ocsp_response"), "lint", "-s", "ERROR", str(answer))
    assert result.returncode == 0, result.stdout + result.stderr
    responder = tmp_path / "responder.pem"
    responder.write_bytes(response.certificates[0].public_bytes(Encoding.PEM))
    result = run(str(BIN / "lint_pkix_cert"), "lint", "-s", "ERROR", str(responder))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_a_profile_that_says_so_names_the_ocsp_responder_in_the_aia(
    profile, issue, issuing, settings, tmp_path
):
    def access(cert) -> dict:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        return {d.access_method: d.access_location.value for d in aia}

    without = x509.load_pem_x509_certificate(issue()["certificate"].encode())
    assert AuthorityInformationAccessOID.OCSP not in access(without)
    profile.ocsp_in_aia = True
    profile.save()
    pem = issue()["certificate"]
    found = access(x509.load_pem_x509_certificate(pem.encode()))
    assert found[AuthorityInformationAccessOID.OCSP] == (
        f"{settings.RAPORTAL_PKI_BASE_URL}/ocsp/{issuing.name}"
    )
    assert found[AuthorityInformationAccessOID.CA_ISSUERS] == issuing.certificate_url()
    # Horizon's CFCertificateResponse (trust chains) lists it as aias.ocsp.
    assert certificate_details(x509.load_pem_x509_certificate(pem.encode()))["aias"] == {
        "crt": [issuing.certificate_url()],
        "ocsp": [issuing.ocsp_url()],
    }
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(pem)
    result = run(str(BIN / "lint_pkix_cert"), "lint", "-s", "ERROR", str(leaf))
    assert result.returncode == 0, result.stdout + result.stderr
