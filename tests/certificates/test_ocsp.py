"""The OCSP responder (RFC 6960, RFC 5019) through Django's test client: good, revoked and
unknown answers, the errors in OCSP's own form, the nonce, HTTP caching of GET answers, and
answers signed once per status (the cache)."""

import datetime as dt
import hashlib
from email.utils import parsedate_to_datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp as x509_ocsp
from cryptography.x509.ocsp import OCSPCertStatus, OCSPResponseStatus
from django.utils import timezone

from certificates import ocsp as ocsp_service
from certificates.models import Certificate, OcspResponder
from certificates.pki import ocsp as pki_ocsp
from certificates.pki.fingerprints import hex_serial
from certificates.services import create_ca, revoke_certificate
from raportal.models import AuditEvent
from tests.certificates.ocsp_client import (
    ask,
    get_path,
    random_nonce,
    request_for,
    request_for_serial,
)


@pytest.fixture
def issuing(pki):
    return pki["issuing"]


@pytest.fixture
def leaf(issue) -> x509.Certificate:
    return x509.load_pem_x509_certificate(issue()["certificate"].encode())


@pytest.fixture
def signatures(monkeypatch):
    """Counts the answers signed (the responder's private-key operations)."""
    calls = []
    real = pki_ocsp.sign_response

    def counting(*args, **kwargs):
        calls.append(args[0].serial)
        return real(*args, **kwargs)

    monkeypatch.setattr(pki_ocsp, "sign_response", counting)
    return calls


def single(response: x509_ocsp.OCSPResponse):
    assert response.response_status == OCSPResponseStatus.SUCCESSFUL, response.response_status
    return next(response.responses)


def test_a_live_certificate_is_good_and_the_answer_verifies_with_the_responder_it_carries(
    client, issuing, leaf
):
    _, response = ask(client, issuing.name, request_for(leaf, issuing.certificate))
    answer = single(response)
    assert answer.certificate_status == OCSPCertStatus.GOOD
    assert answer.serial_number == leaf.serial_number
    (responder,) = response.certificates
    responder.verify_directly_issued_by(issuing.certificate)
    assert response.responder_key_hash == (
        x509.SubjectKeyIdentifier.from_public_key(responder.public_key()).digest
    )
    # The test CA is EC: so is its responder (the CA's key type).
    responder.public_key().verify(
        response.signature,
        response.tbs_response_bytes,
        ec.ECDSA(response.signature_hash_algorithm),
    )


def test_post_and_get_both_answer_and_a_sha256_certid_is_echoed(client, issuing, leaf):
    der = request_for(leaf, issuing.certificate, hashes.SHA256())
    for method in ("GET", "POST"):
        http, response = ask(client, issuing.name, der, method)
        answer = single(response)
        assert answer.certificate_status == OCSPCertStatus.GOOD, method
        assert isinstance(answer.hash_algorithm, hashes.SHA256), method
        name_hash, key_hash = pki_ocsp.issuer_hashes(issuing.certificate, "sha256")
        assert (answer.issuer_name_hash, answer.issuer_key_hash) == (name_hash, key_hash)
    assert http["Cache-Control"] == "no-store"  # the POST's


def test_get_answers_carry_rfc5019_caching_headers_until_next_update(
    client, issuing, leaf, settings
):
    http, response = ask(client, issuing.name, request_for(leaf, issuing.certificate))
    answer = single(response)
    assert answer.next_update_utc - answer.this_update_utc == dt.timedelta(
        minutes=settings.RAPORTAL_OCSP_VALIDITY_MINUTES
    )
    assert abs(answer.this_update_utc - timezone.now()) < dt.timedelta(minutes=1)
    directives = [part.strip() for part in http["Cache-Control"].split(",")]
    assert directives[1:] == ["public", "no-transform", "must-revalidate"], directives
    max_age = int(directives[0].removeprefix("max-age="))
    assert 0 < max_age <= (answer.next_update_utc - timezone.now()).total_seconds() + 1
    assert parsedate_to_datetime(http["Expires"]) == answer.next_update_utc
    assert parsedate_to_datetime(http["Last-Modified"]) == answer.this_update_utc
    assert http["ETag"] == f'"{hashlib.sha1(http.content).hexdigest()}"'  # noqa: S324 (an ETag)


def test_a_revoked_certificate_is_revoked_with_its_time_and_reason_at_once(
    client, issuing, leaf, signatures
):
    der = request_for(leaf, issuing.certificate)
    assert single(ask(client, issuing.name, der)[1]).certificate_status == OCSPCertStatus.GOOD
    row = Certificate.objects.get(serial=hex_serial(leaf.serial_number))
    revoke_certificate(row, "keycompromise")
    answer = single(ask(client, issuing.name, der)[1])  # the cached "good" is not served
    assert answer.certificate_status == OCSPCertStatus.REVOKED
    assert answer.revocation_reason == x509.ReasonFlags.key_compromise
    row.refresh_from_db()
    assert answer.revocation_time_utc == row.revocation_date.replace(microsecond=0)
    assert len(signatures) == 2, signatures


def test_an_unspecified_revocation_reason_is_left_out(client, issuing, leaf):
    row = Certificate.objects.get(serial=hex_serial(leaf.serial_number))
    revoke_certificate(row, "unspecified")
    answer = single(ask(client, issuing.name, request_for(leaf, issuing.certificate))[1])
    assert answer.certificate_status == OCSPCertStatus.REVOKED
    assert answer.revocation_reason is None


def test_a_serial_the_ca_never_issued_is_unknown(client, issuing, leaf):
    for algorithm in ("sha1", "sha256"):
        der = request_for_serial(issuing.certificate, leaf.serial_number + 1, algorithm)
        answer = single(ask(client, issuing.name, der)[1])
        assert answer.certificate_status == OCSPCertStatus.UNKNOWN, algorithm


def test_the_responder_and_subordinate_cas_are_good_though_no_certificate_row_names_them(
    client, pki, issuing, leaf
):
    _, response = ask(client, issuing.name, request_for(leaf, issuing.certificate))
    (responder,) = response.certificates
    about_responder = request_for(responder, issuing.certificate)
    assert single(ask(client, issuing.name, about_responder)[1]).certificate_status == (
        OCSPCertStatus.GOOD
    )
    about_issuing = request_for(issuing.certificate, pki["root"].certificate)
    answer = single(ask(client, pki["root"].name, about_issuing)[1])
    assert answer.certificate_status == OCSPCertStatus.GOOD


def test_a_certid_of_another_issuer_or_an_unknown_ca_is_unauthorized(client, pki, issuing, leaf):
    cases = {
        "certid of the issuing CA sent to the root": (
            pki["root"].name,
            request_for(leaf, issuing.certificate),
        ),
        "a serial with the root's hashes sent to the issuing CA": (
            issuing.name,
            request_for_serial(pki["root"].certificate, leaf.serial_number),
        ),
        "no such CA": ("no-such-ca", request_for(leaf, issuing.certificate)),
    }
    for case, (name, der) in cases.items():
        for method in ("GET", "POST"):
            _, response = ask(client, name, der, method)
            assert response.response_status == OCSPResponseStatus.UNAUTHORIZED, (case, method)


def test_a_trust_entry_without_its_key_answers_nothing(client, pki, leaf, issuing):
    from certificates.models import CertificateAuthority

    CertificateAuthority.objects.filter(pk=issuing.pk).update(sealed_key=None)
    _, response = ask(client, issuing.name, request_for(leaf, issuing.certificate))
    assert response.response_status == OCSPResponseStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "body",
    [b"", b"not DER", b"\x30\x03\x02\x01\x01", b"\x30" + b"\xff" * 20],
    ids=["empty", "text", "wrong-sequence", "bad-length"],
)
def test_a_malformed_body_is_answered_malformed_request(client, issuing, body):
    for method in ("GET", "POST"):
        _, response = ask(client, issuing.name, body, method)
        assert response.response_status == OCSPResponseStatus.MALFORMED_REQUEST, method


def test_a_path_that_is_not_base64_is_answered_malformed_request(client, issuing):
    response = client.get(f"/ocsp/{issuing.name}/%25%25not-base64!!")
    assert response.status_code == 200, response.content
    parsed = x509_ocsp.load_der_ocsp_response(response.content)
    assert parsed.response_status == OCSPResponseStatus.MALFORMED_REQUEST
    assert response["Cache-Control"] == "no-store"


def test_a_body_larger_than_any_request_is_refused_unread(client, issuing):
    response = client.post(
        f"/ocsp/{issuing.name}", b"\x30" * 20000, content_type="application/ocsp-request"
    )
    parsed = x509_ocsp.load_der_ocsp_response(response.content)
    assert parsed.response_status == OCSPResponseStatus.MALFORMED_REQUEST


def test_url_safe_base64_without_padding_is_read_too(client, issuing, leaf):
    import base64

    der = request_for(leaf, issuing.certificate)
    encoded = base64.urlsafe_b64encode(der).decode().rstrip("=")
    response = client.get(f"/ocsp/{issuing.name}/{encoded}")
    answer = single(x509_ocsp.load_der_ocsp_response(response.content))
    assert answer.certificate_status == OCSPCertStatus.GOOD


def test_the_nonce_is_echoed_and_such_answers_are_signed_each_time_never_cached(
    client, issuing, leaf, signatures
):
    first, second = random_nonce(), random_nonce()
    answers = []
    for nonce in (first, second):
        http, response = ask(
            client, issuing.name, request_for(leaf, issuing.certificate, nonce=nonce)
        )
        echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        assert echoed == nonce
        assert http["Cache-Control"] == "no-store"
        answers.append(http.content)
    assert answers[0] != answers[1]
    assert len(signatures) == 2


def test_a_nonce_longer_than_32_octets_is_malformed(client, issuing, leaf):
    der = request_for(leaf, issuing.certificate, nonce=b"n" * 33)
    _, response = ask(client, issuing.name, der, "POST")
    assert response.response_status == OCSPResponseStatus.MALFORMED_REQUEST


def test_a_second_get_is_served_from_the_cache_without_signing(client, issuing, leaf, signatures):
    der = request_for(leaf, issuing.certificate)
    first, _ = ask(client, issuing.name, der)
    second, _ = ask(client, issuing.name, der, "POST")
    third, _ = ask(client, issuing.name, der)
    assert first.content == second.content == third.content
    assert signatures == [leaf.serial_number]
    # Another hash algorithm is another CertID: an answer of its own.
    ask(client, issuing.name, request_for(leaf, issuing.certificate, hashes.SHA256()))
    assert len(signatures) == 2


def test_a_cache_that_fails_costs_a_signature_not_the_answer(
    client, issuing, leaf, monkeypatch, signatures
):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(ocsp_service.cache, "get", broken)
    monkeypatch.setattr(ocsp_service.cache, "set", broken)
    der = request_for(leaf, issuing.certificate)
    for _ in range(2):
        assert single(ask(client, issuing.name, der)[1]).certificate_status == OCSPCertStatus.GOOD
    assert len(signatures) == 2


def test_an_unexpected_failure_is_an_internal_error_answer_not_a_500(
    client, issuing, leaf, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("database is gone")

    monkeypatch.setattr(ocsp_service, "certificate_status", broken)
    _, response = ask(client, issuing.name, request_for(leaf, issuing.certificate))
    assert response.response_status == OCSPResponseStatus.INTERNAL_ERROR


def test_an_ed25519_ca_answers_too(client, db, profile):
    ca = create_ca(common_name="Edwards CA", key_type="ed-25519", validity_days=30)
    _, response = ask(client, ca.name, request_for_serial(ca.certificate, 12345))
    assert single(response).certificate_status == OCSPCertStatus.UNKNOWN
    (responder,) = response.certificates
    responder.public_key().verify(response.signature, response.tbs_response_bytes)


def test_the_get_route_is_named_and_reversible(issuing, leaf):
    from django.urls import reverse

    der = request_for(leaf, issuing.certificate)
    assert get_path(issuing.name, der).startswith(reverse("ocsp", args=[issuing.name]) + "/")


def test_the_responder_is_its_own_row_never_a_portal_certificate(client, issuing, leaf):
    before = Certificate.objects.count()
    ask(client, issuing.name, request_for(leaf, issuing.certificate))
    assert Certificate.objects.count() == before
    assert OcspResponder.objects.filter(ca=issuing).count() == 1
    event = AuditEvent.objects.filter(action="ocsp.responder.issue").get()
    assert event.detail["serial"] == OcspResponder.objects.get().serial


def test_a_cached_answer_costs_two_queries_the_ca_and_the_status(
    client, issuing, leaf, django_assert_num_queries
):
    der = request_for(leaf, issuing.certificate)
    ask(client, issuing.name, der)
    with django_assert_num_queries(2):
        ask(client, issuing.name, der)
