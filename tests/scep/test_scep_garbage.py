"""Protocol garbage on the SCEP endpoint — random bytes, truncated and mutated pkiMessages
(POST and GET), envelopes that are not for the RA, a CSR signed with the wrong key, huge
bodies — never answers 500 and never issues: the challenge stays open."""

import base64
import datetime as dt
import urllib.parse

import pytest
from asn1crypto import csr as asn1_csr
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AttributeOID, NameOID
from hypothesis import given
from hypothesis import strategies as st

from certificates.models import Certificate
from certificates.pki import scep as messages
from certificates.scep_ra import current_ra
from requests_app.models import Request
from tests.abuse.test_input_fuzz import FUZZ, mutated_bytes
from tests.factories import ProfileFactory, grant

pytestmark = pytest.mark.django_db

DEVICE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "garbage-device")])


def self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(NAME)
        .issuer_name(NAME)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def csr_der(password: str, *, wrong_signature: bool = False) -> bytes:
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(NAME)
        .add_attribute(AttributeOID.CHALLENGE_PASSWORD, password.encode())
    )
    der = builder.sign(DEVICE_KEY, hashes.SHA256()).public_bytes(Encoding.DER)
    if not wrong_signature:
        return der
    parsed = asn1_csr.CertificationRequest.load(der)
    parsed["signature"] = builder.sign(OTHER_KEY, hashes.SHA256()).signature
    return parsed.dump(force=True)


def pkcs_req(recipient: x509.Certificate, content: bytes) -> bytes:
    signer = self_signed(DEVICE_KEY)
    return messages.signed_message(
        messages.envelope(content, recipient),
        signer,
        DEVICE_KEY,
        {
            "scep_transaction_id": "garbage-1",
            "scep_message_type": messages.PKCS_REQ,
            "scep_sender_nonce": b"\x01" * 16,
        },
    )


@pytest.fixture
def scep_setup(pki, approver, api_as):
    profile = ProfileFactory(
        name="scep-garbage",
        module="scep",
        ca=pki["issuing"],
        authorized_key_types=["rsa-2048"],
        default_key_type="rsa-2048",
    )
    grant(profile, approver, "perform")
    body = {"profile": profile.name, "module": "scep", "workflow": "enroll"}
    status, answer = api_as(approver).submit(body)
    assert status == 201, answer
    ra = current_ra(pki["issuing"]).certificate
    return answer["_id"], answer["password"]["value"], ra


def post(client, body: bytes):
    return client.post(
        "/scep/scep-garbage?operation=PKIOperation", body, content_type="application/x-pki-message"
    )


def test_a_well_formed_pkcsreq_enrolls(client, scep_setup):
    """The baseline the garbage below is made from: unchanged, it issues."""
    request_id, password, ra = scep_setup
    response = post(client, pkcs_req(ra, csr_der(password)))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/x-pki-message"
    assert Request.objects.get(pk=request_id).status == "completed"


def test_a_csr_signed_with_the_wrong_key_fails_with_bad_message_check(client, scep_setup):
    request_id, password, ra = scep_setup
    response = post(client, pkcs_req(ra, csr_der(password, wrong_signature=True)))
    assert response.status_code == 200, response.content[:300]
    assert messages.FAILURE in _status_of(response.content)
    assert Certificate.objects.count() == 0
    assert Request.objects.get(pk=request_id).status == "approved"


def _status_of(der: bytes) -> tuple[str, str | None]:
    """(pkiStatus, failInfo) of a CertRep, read without checking who signed it."""
    from asn1crypto import cms

    signer_info = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    found = {a["type"].native: a["values"][0].native for a in signer_info["signed_attrs"]}
    return found["scep_pki_status"], found.get("scep_fail_info")


@FUZZ
@given(data=st.data())
def test_garbage_never_answers_500_and_never_issues(client, scep_setup, data):
    request_id, password, ra = scep_setup
    valid = pkcs_req(ra, csr_der(password))
    not_for_us = pkcs_req(self_signed(OTHER_KEY), csr_der(password))
    body = data.draw(
        st.one_of(
            st.binary(min_size=0, max_size=3000),
            st.integers(1, len(valid) - 1).map(lambda n: valid[:n]),
            mutated_bytes(valid).filter(lambda mutated: mutated != valid),
            st.just(not_for_us),
            st.just(valid * 40),  # over the size limit
        ),
        label="body",
    )
    if data.draw(st.booleans(), label="over GET"):
        message = urllib.parse.quote(base64.b64encode(body[:20000]).decode())
        response = client.get(f"/scep/scep-garbage?operation=PKIOperation&message={message}")
    else:
        response = post(client, body)
    text = response.content[:300]
    assert response.status_code in (200, 400), (response.status_code, text)
    if response.status_code == 200:
        status, _ = _status_of(response.content)
        assert status == messages.FAILURE, text
    assert Certificate.objects.count() == 0, text
    assert Request.objects.get(pk=request_id).status == "approved", text


def test_ndes_path_serves_the_default_scep_profile(client, scep_setup, settings):
    assert client.get("/certsrv/mscep/mscep.dll?operation=GetCACaps").status_code == 404
    settings.RAPORTAL_SCEP_DEFAULT_PROFILE = "scep-garbage"
    response = client.get("/certsrv/mscep/mscep.dll/pkiclient.exe?operation=GetCACaps")
    assert response.status_code == 200 and b"POSTPKIOperation" in response.content
