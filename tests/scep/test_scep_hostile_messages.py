"""Well-formed but hostile SCEP messages, each found by a review: none answers 500, none
issues, and the RA key tells nothing through the answers (one failure for every way an
envelope fails to open)."""

import datetime as dt
import os

import pytest
from asn1crypto import cms
from asn1crypto import csr as asn1_csr
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509.oid import AttributeOID, NameOID

from certificates.models import Certificate
from certificates.pki import scep as messages
from certificates.scep_ra import renew_ra
from requests_app.models import Request
from tests.scep.conftest import DEVICE_KEY, csr_der, pkcs_req, post, signed, status_of

pytestmark = pytest.mark.django_db


def tampered(envelope: bytes, *, key: bytes | None = None, drop_iv: bool = False) -> bytes:
    info = cms.ContentInfo.load(envelope)
    enveloped = info["content"]
    if key is not None:
        enveloped["recipient_infos"][0].chosen["encrypted_key"] = key
    if drop_iv:
        enveloped["encrypted_content_info"]["content_encryption_algorithm"]["parameters"] = None
    return info.dump(force=True)


def refused(response, fail_info: str | None = None) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    if response.status_code == 200:
        status, info = status_of(response.content)
        assert status == messages.FAILURE, (status, info)
        if fail_info is not None:
            assert info == fail_info, info
    assert Certificate.objects.count() == 0


def test_envelopes_that_cannot_open_fail_alike_whatever_went_wrong(client, scep_setup):
    request_id, password, ra = scep_setup
    envelope = messages.envelope(csr_der(password), ra)
    wrong_length = ra.public_key().encrypt(b"12345", padding.PKCS1v15())
    answers = set()
    for body in [
        signed(tampered(envelope, key=os.urandom(256))),  # bad padding
        signed(tampered(envelope, key=os.urandom(256))),
        signed(tampered(envelope, key=wrong_length)),  # good padding, wrong key length
    ]:
        response = post(client, body)
        refused(response, messages.BAD_MESSAGE_CHECK)
        answers.add((response.status_code, status_of(response.content)))
    assert len(answers) == 1, answers
    assert Request.objects.get(pk=request_id).status == "approved"


def test_an_envelope_without_an_iv_is_refused(client, scep_setup):
    _, password, ra = scep_setup
    refused(post(client, signed(tampered(messages.envelope(csr_der(password), ra), drop_iv=True))))


def test_a_signer_with_an_ec_key_is_refused_before_anything_is_issued(client, scep_setup):
    request_id, password, ra = scep_setup
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec-device")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )

    class EcSigner:  # signed_message signs with PKCS#1 v1.5 arguments: give ECDSA instead
        def sign(self, data, _padding, algorithm):
            return key.sign(data, ec.ECDSA(algorithm))

    body = messages.signed_message(
        messages.envelope(csr_der(password), ra),
        certificate,
        EcSigner(),  # type: ignore[arg-type]
        {
            "scep_transaction_id": "ec-1",
            "scep_message_type": messages.PKCS_REQ,
            "scep_sender_nonce": b"\x02" * 16,
        },
    )
    refused(post(client, body), messages.BAD_ALG)
    assert Request.objects.get(pk=request_id).status == "approved"


@pytest.mark.parametrize("algorithm", ["rsaes_oaep", "rsassa_pss"])
def test_a_signer_certificate_with_a_relabelled_key_never_answers_500(
    client, scep_setup, algorithm
):
    _, password, ra = scep_setup
    info = cms.ContentInfo.load(pkcs_req(ra, csr_der(password)))
    signed_data = info["content"]
    certificate = asn1_x509.Certificate.load(signed_data["certificates"][0].chosen.dump())
    spki = certificate["tbs_certificate"]["subject_public_key_info"]
    spki["algorithm"]["algorithm"] = algorithm
    spki["algorithm"]["parameters"] = None
    signed_data["certificates"] = [
        cms.CertificateChoices(
            name="certificate", value=asn1_x509.Certificate.load(certificate.dump(force=True))
        )
    ]
    response = post(client, info.dump(force=True))
    # Refused where cryptography cannot read the key; where it reads the same RSA key under
    # another label (RSASSA-PSS), the signature verifies and the challenge is what counts.
    assert response.status_code in (200, 400), response.content[:300]


def test_a_csr_with_an_unknown_key_algorithm_is_refused(client, scep_setup):
    _, password, ra = scep_setup
    request = asn1_csr.CertificationRequest.load(csr_der(password))
    request["certification_request_info"]["subject_pk_info"]["algorithm"]["algorithm"] = (
        "rsaes_oaep"
    )
    refused(post(client, pkcs_req(ra, request.dump(force=True))))


def test_a_csr_with_two_san_extensions_is_refused(client, scep_setup):
    _, password, ra = scep_setup
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "garbage-device")]))
        .add_attribute(AttributeOID.CHALLENGE_PASSWORD, password.encode())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("a.example")]), False)
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    request = asn1_csr.CertificationRequest.load(
        builder.sign(DEVICE_KEY, hashes.SHA256()).public_bytes(Encoding.DER)
    )
    info = request["certification_request_info"]
    for attribute in info["attributes"]:
        if attribute["type"].native == "extension_request":
            extensions = attribute["values"][0]
            extensions.append(extensions[0].copy())
    request["signature"] = DEVICE_KEY.sign(
        info.dump(force=True), padding.PKCS1v15(), hashes.SHA256()
    )
    refused(post(client, pkcs_req(ra, request.dump(force=True))))


def test_a_transaction_id_with_a_nul_byte_is_refused(client, scep_setup):
    _, _, ra = scep_setup
    body = pkcs_req(ra, b"\x30\x00", message_type=messages.CERT_POLL, transaction_id="a\x00b")
    response = post(client, body)
    assert response.status_code == 400, response.content[:300]


def test_the_oldest_of_many_open_challenges_still_enrolls(client, scep_setup, approver, api_as):
    request_id, password, ra = scep_setup
    for _ in range(25):
        status, answer = api_as(approver).submit(
            {"profile": "scep-garbage", "module": "scep", "workflow": "enroll"}
        )
        assert status == 201, answer
    response = post(client, pkcs_req(ra, csr_der(password)))
    assert status_of(response.content)[0] == messages.SUCCESS
    assert Request.objects.get(pk=request_id).status == "completed"


def test_a_device_holding_the_previous_ra_certificate_still_enrolls(
    client, scep_setup, pki, approver
):
    request_id, password, old_ra = scep_setup
    renew_ra(pki["issuing"], approver)
    response = post(client, pkcs_req(old_ra, csr_der(password)))
    assert status_of(response.content)[0] == messages.SUCCESS, status_of(response.content)
    assert Request.objects.get(pk=request_id).status == "completed"
