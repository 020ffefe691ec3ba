"""What the SCEP tests share: a device key and its self-signed certificate, CSRs and
PKCSReq messages built with the portal's own CMS writer, a profile with an open challenge."""

import datetime as dt

import pytest
from asn1crypto import cms
from asn1crypto import csr as asn1_csr
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import AttributeOID, NameOID

from certificates.pki import scep as messages
from certificates.scep_ra import current_ra
from tests.factories import ProfileFactory, grant

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


def pkcs_req(
    recipient: x509.Certificate,
    content: bytes,
    *,
    message_type: str = messages.PKCS_REQ,
    transaction_id: str = "garbage-1",
) -> bytes:
    return signed(messages.envelope(content, recipient), message_type, transaction_id)


def signed(
    envelope: bytes, message_type: str = messages.PKCS_REQ, transaction_id: str = "garbage-1"
) -> bytes:
    return messages.signed_message(
        envelope,
        self_signed(DEVICE_KEY),
        DEVICE_KEY,
        {
            "scep_transaction_id": transaction_id,
            "scep_message_type": message_type,
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


def status_of(der: bytes) -> tuple[str, str | None]:
    """(pkiStatus, failInfo) of a CertRep, read without checking who signed it."""
    signer_info = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    found = {a["type"].native: a["values"][0].native for a in signer_info["signed_attrs"]}
    return found["scep_pki_status"], found.get("scep_fail_info")
