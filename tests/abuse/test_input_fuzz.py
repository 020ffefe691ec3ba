"""Hypothesis property tests: broken key material and passwords get the documented 400.

Random bytes, truncated and mutated PEM/DER — made from a valid CSR (``make_csr``) and a
certificate the portal issued (``issue``) — are sent where the API takes a CSR or a
certificate, and random text where it takes a PKCS#12 password. Whatever arrives, the answer
is never a 5xx, every error is ``application/problem+json``, and its code is the one the
contract documents for that input:

| input                                   | refused with                                     |
|-----------------------------------------|--------------------------------------------------|
| enroll ``template.csr``                 | 400 WEBRA-ENROLL-003 (Invalid certificate request) |
| import ``certificatePem``               | 400 WEBRA-IMPORT-001 (Invalid request)           |
| revoke ``certificatePem``               | 400 WEBRA-REVOKE-005 (Invalid certificate), or   |
|                                         | WEBRA-REVOKE-004 when it parses but is not known |
| ``GET /api/v1/certificates/{PEM}``      | 400 CERT-SEARCH-002, or 404 CERT-SEARCH-003      |
| ``GET /api/v1/rfc5280/tc/{PEM}``        | 400 RFC5280-002 (Invalid X509 Certificate)       |
| centralized enroll ``password.value``   | 400 WEBRA-ENROLL-012 (policy not met)            |

Text that is not valid JSON-string content for the contract (a NUL, a lone surrogate, longer
than the field allows) is refused before any of that by the body's shape: 400 REQ-002.
"""

import base64
import json
import textwrap
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raportal.api.problems import PROBLEM_CONTENT_TYPE
from tests.conftest import enroll_body
from tests.factories import make_csr

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,  # issuing (a key, a signature, a PKCS#12) is slow next to the checks
    derandomize=True,  # CI sees the same inputs every run
    database=None,
    # The database fixtures are function-scoped on purpose: every example of a test runs in
    # that test's transaction and sees the same profile, principals and certificate.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Ed25519 signs deterministically: with a fixed key the CSR, and so every mutation of it, is
# the same in every run. (The certificate comes from a fresh test CA each run; what is done to
# it is fixed.)
CSR_PEM, _ = make_csr(
    "ed-25519",
    subject=[("cn.1", "fuzz.example.com")],
    key=Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
)
CSR_DER = x509.load_pem_x509_csr(CSR_PEM.encode()).public_bytes(Encoding.DER)
MAX_PEM_FIELD = 65536  # inputs.py: csr and certificatePem are StrictCharField(max_length=65536)
MAX_PASSWORD = 256  # inputs.py: SecretStringInput.value


# --- what is sent ------------------------------------------------------------------------


def pem(der: bytes, label: str) -> str:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


@st.composite
def mutated_bytes(draw, original: bytes) -> bytes:
    """A few bytes replaced, inserted or deleted somewhere in ``original``."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["replace", "insert", "delete", "flip"]))
        if action == "replace" and data:
            data[position] = draw(st.integers(0, 255))
        elif action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data.insert(position, draw(st.integers(0, 255)))
        elif data:
            del data[position]
    return bytes(data)


@st.composite
def mutated_text(draw, original: str) -> str:
    """A few characters of the PEM text replaced, inserted or deleted (any Unicode)."""
    chars = list(original)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, max(len(chars) - 1, 0)))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        if action == "delete" and chars:
            del chars[position]
        else:
            new = draw(st.characters(codec=None, exclude_categories=()))
            if action == "replace" and chars:
                chars[position] = new
            else:
                chars.insert(position, new)
    return "".join(chars)


def broken_key_material(valid_pem: str, valid_der: bytes, label: str):
    """Random bytes, and truncations and mutations of one valid PEM/DER, as text."""
    random_bytes = st.binary(min_size=1, max_size=1500)
    truncated_der = st.integers(0, len(valid_der) - 1).map(lambda n: valid_der[:n])
    return st.one_of(
        random_bytes.map(lambda b: b.decode("latin-1")),  # raw bytes, as the JSON string
        random_bytes.map(lambda b: base64.b64encode(b).decode()),  # bare base64 "DER"
        random_bytes.map(lambda b: pem(b, label)),  # armoured garbage
        st.integers(1, len(valid_pem) - 1).map(lambda n: valid_pem[:n]),  # truncated PEM
        truncated_der.map(lambda der: pem(der, label)),  # truncated DER, armoured
        mutated_bytes(valid_der).map(lambda der: pem(der, label)),  # mutated DER
        mutated_bytes(valid_der).map(lambda der: base64.b64encode(der).decode()),
        mutated_text(valid_pem),  # mutated PEM text
    ).filter(lambda text: text.strip())  # "" or blanks mean "no CSR/certificate given"


def refused_by_shape(text: str, max_length: int) -> bool:
    """What StrictCharField refuses before a workflow sees the value (REQ-002)."""
    if "\x00" in text or len(text) > max_length:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return False


# --- what must come back -----------------------------------------------------------------


def problem(status: int, body: dict, response) -> dict:
    """The answer as a problem (asserting it is one), or the body of a success."""
    assert status < 500, f"server error {status}: {body}"
    if status >= 400:
        assert response["Content-Type"] == PROBLEM_CONTENT_TYPE, (
            f"{status} answered as {response['Content-Type']!r}: {body}"
        )
        assert body.get("status") == status, body
    return body


def post(api, path: str, body: dict):
    response = api.client.post(
        path, json.dumps(body), content_type="application/json", **api.headers
    )
    return response.status_code, _json(response), response


def get(api, path: str):
    response = api.client.get(path, **api.headers)
    return response.status_code, _json(response), response


def _json(response) -> dict:
    try:
        return response.json()
    except ValueError:
        return {"_raw": response.content[:500]}


@pytest.fixture
def certificate(issue):
    """A certificate the portal issued on the demo-like profile: PEM and DER."""
    issued = issue("fuzz.example.com")
    parsed = x509.load_pem_x509_certificate(issued["certificate"].encode())
    return issued, issued["certificate"], parsed.public_bytes(Encoding.DER)


# --- the properties ----------------------------------------------------------------------


@pytest.mark.slow
@FUZZ
@given(csr=broken_key_material(CSR_PEM, CSR_DER, "CERTIFICATE REQUEST"))
def test_a_broken_csr_is_refused_as_an_invalid_certificate_request(approver_api, profile, csr):
    status, body, response = post(approver_api, "/api/v1/requests/submit", enroll_body(csr=csr))
    problem(status, body, response)
    if refused_by_shape(csr, MAX_PEM_FIELD):
        assert (status, body.get("error")) == (400, "REQ-002"), body
    elif status != 201:  # a mutation of the PEM's layout only can leave the same CSR
        assert (status, body.get("error")) == (400, "WEBRA-ENROLL-003"), body


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_a_broken_certificate_is_refused_on_import(approver_api, certificate, data):
    _, valid_pem, valid_der = certificate
    text = data.draw(broken_key_material(valid_pem, valid_der, "CERTIFICATE"), label="pem")
    body = {"profile": "webra-demo", "workflow": "import", "certificatePem": text}
    status, answer, response = post(approver_api, "/api/v1/requests/submit", body)
    problem(status, answer, response)
    # Never accepted: the demo profile escrows keys and no key is sent, and an unchanged
    # certificate is already registered. Both are WEBRA-IMPORT-001 too.
    expected = "REQ-002" if refused_by_shape(text, MAX_PEM_FIELD) else "WEBRA-IMPORT-001"
    assert (status, answer.get("error")) == (400, expected), answer


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_a_broken_certificate_is_refused_on_revoke(approver_api, certificate, data):
    _, valid_pem, valid_der = certificate
    text = data.draw(broken_key_material(valid_pem, valid_der, "CERTIFICATE"), label="pem")
    body = {
        "module": "webra",
        "workflow": "revoke",
        "certificatePem": text,
        "template": {"revocationReason": "keyCompromise"},
        "dryRun": True,  # the certificate stays valid for the next example
    }
    status, answer, response = post(approver_api, "/api/v1/requests/submit", body)
    problem(status, answer, response)
    if refused_by_shape(text, MAX_PEM_FIELD):
        assert (status, answer.get("error")) == (400, "REQ-002"), answer
    elif status != 201:  # the same certificate, its PEM laid out differently
        assert status == 400, answer
        assert answer.get("error") in {"WEBRA-REVOKE-005", "WEBRA-REVOKE-004"}, answer


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_a_broken_certificate_in_the_path_is_refused_or_not_found(approver_api, certificate, data):
    issued, valid_pem, valid_der = certificate
    text = data.draw(broken_key_material(valid_pem, valid_der, "CERTIFICATE"), label="pem")
    status, body, response = get(approver_api, "/api/v1/certificates/" + quote(text, safe=""))
    problem(status, body, response)
    if status == 200:  # the same certificate, its PEM laid out differently
        assert body.get("thumbprint") == issued["thumbprint"], body
    elif status == 404:
        # CERT-SEARCH-003: no such certificate; REQ-001: not even a certificate reference
        # (the route only takes an id, a PEM or 64+ base64 characters).
        assert body.get("error") in {"CERT-SEARCH-003", "REQ-001"}, body
    else:
        assert (status, body.get("error")) == (400, "CERT-SEARCH-002"), body


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_a_broken_certificate_gets_no_trust_chain_but_an_invalid_certificate_problem(
    approver_api, certificate, data
):
    _, valid_pem, valid_der = certificate
    text = data.draw(broken_key_material(valid_pem, valid_der, "CERTIFICATE"), label="pem")
    status, body, response = get(approver_api, "/api/v1/rfc5280/tc/" + quote(text, safe=""))
    problem(status, body, response)
    if status == 200:  # still a certificate: the chain starts with it
        assert isinstance(body, list) and body, body
    else:
        assert (status, body.get("error")) == (400, "RFC5280-002"), body


PASSWORDS = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=300),  # any Unicode
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40).map(
        lambda suffix: "Correct-Horse-9-battery" + suffix  # meets the policy, then anything
    ),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),  # bytes, NUL included
)


@pytest.mark.slow
@FUZZ
@given(password=PASSWORDS)
def test_any_pkcs12_password_is_either_used_or_refused_by_the_policy(
    approver_api, profile, password
):
    body = enroll_body(keyType="ec-secp256r1")
    body["password"] = {"value": password}
    status, answer, response = post(approver_api, "/api/v1/requests/submit", body)
    problem(status, answer, response)
    if refused_by_shape(password, MAX_PASSWORD):
        assert (status, answer.get("error")) == (400, "REQ-002"), answer
    elif not password or profile.effective_password_policy().violations(password):
        assert (status, answer.get("error")) == (400, "WEBRA-ENROLL-012"), answer
    else:
        assert status == 201 and answer.get("status") == "completed", answer


# --- regressions found by the properties above -------------------------------------------


@pytest.mark.parametrize("reference", ["-----BEGIN", "A" * 63])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_path_one_slash_short_of_a_certificate_reference_is_a_problem_not_a_redirect(
    approver_api, reference, method
):
    # "…/-----BEGIN/" and 63 base64 characters plus "/" match the certificate route: Django's
    # APPEND_SLASH answered an HTML 301 there (certificates/read_api.py CertificateDetailView).
    api = approver_api
    response = getattr(api.client, method)("/api/v1/certificates/" + reference, **api.headers)
    assert response.status_code == 404, (response.status_code, response.content[:300])
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE, response.content[:300]
    assert response.json()["error"] == "REQ-001", response.json()
