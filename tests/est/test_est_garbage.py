"""Protocol garbage on the EST endpoints — random bytes, truncated and mutated CSRs, a CSR
whose signature is not its key's, wrong content types, huge bodies — never answers 500 and
never issues: the challenge stays open for the real device."""

import base64

import pytest
from asn1crypto import csr as asn1_csr
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st

from certificates.models import Certificate
from requests_app.models import Request
from tests.abuse.test_input_fuzz import FUZZ, mutated_bytes
from tests.factories import ProfileFactory, grant

pytestmark = pytest.mark.django_db

KEY = ec.derive_private_key(42, ec.SECP256R1())  # fixed: the same inputs every run
OTHER_KEY = ec.derive_private_key(43, ec.SECP256R1())
NAME = x509.Name.from_rfc4514_string("CN=garbage-device")
VALID = (
    x509.CertificateSigningRequestBuilder().subject_name(NAME).sign(KEY, hashes.SHA256())
).public_bytes(Encoding.DER)


def wrongly_signed() -> bytes:
    """VALID's signed part (KEY's public key) with a signature made by OTHER_KEY."""
    forged = x509.CertificateSigningRequestBuilder().subject_name(NAME)
    signature = forged.sign(OTHER_KEY, hashes.SHA256()).signature
    parsed = asn1_csr.CertificationRequest.load(VALID)
    parsed["signature"] = signature
    return parsed.dump(force=True)


BODIES = st.one_of(
    st.binary(min_size=0, max_size=2000),  # raw bytes
    st.binary(min_size=1, max_size=2000).map(base64.encodebytes),  # base64 garbage
    st.integers(0, len(VALID) - 1).map(lambda n: base64.encodebytes(VALID[:n])),  # truncated
    mutated_bytes(VALID).map(base64.encodebytes),  # a few bytes changed
    st.just(base64.encodebytes(wrongly_signed())),  # signed with the wrong key
    st.just(base64.encodebytes(VALID) * 2000),  # far over the size limit
)
CONTENT_TYPES = st.sampled_from(
    ["application/pkcs10", "application/pkcs10", "text/plain", "application/json", ""]
)


@pytest.fixture
def open_challenge(pki, approver, api_as):
    profile = ProfileFactory(name="est-garbage", module="est", ca=pki["issuing"])
    grant(profile, approver, "perform")
    body = {"profile": profile.name, "module": "est", "workflow": "enroll"}
    status, answer = api_as(approver).submit(body)
    assert status == 201, answer
    return answer["_id"], answer["password"]["value"]


@pytest.mark.slow
@FUZZ
@given(
    body=BODIES,
    content_type=CONTENT_TYPES,
    operation=st.sampled_from(["simpleenroll", "simplereenroll"]),
)
def test_garbage_never_answers_500_and_never_issues(
    client, open_challenge, body, content_type, operation
):
    request_id, password = open_challenge
    issued = Certificate.objects.count()
    credentials = base64.b64encode(f"{request_id}:{password}".encode()).decode()
    response = client.post(
        f"/.well-known/est/est-garbage/{operation}",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    text = response.content[:300]
    unchanged = body.replace(b"\n", b"") == base64.encodebytes(VALID).replace(b"\n", b"")
    if unchanged and operation == "simpleenroll" and content_type == "application/pkcs10":
        return  # a mutation that changed nothing is a valid CSR: issuing it is right
    assert response.status_code in (400, 401, 413, 415), (response.status_code, text)
    assert response["Content-Type"].startswith("text/plain"), text
    assert Certificate.objects.count() == issued, text
    assert Request.objects.get(pk=request_id).status == "approved", text


def test_the_wrongly_signed_csr_is_well_formed_but_its_signature_fails():
    csr = x509.load_der_x509_csr(wrongly_signed())  # parses: only the signature is wrong
    assert csr.public_key() == KEY.public_key() and not csr.is_signature_valid
