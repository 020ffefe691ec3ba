"""Protocol garbage on the SCEP endpoint — random bytes, truncated and mutated pkiMessages
(POST and GET), envelopes that are not for the RA, a CSR signed with the wrong key, huge
bodies — never answers 500 and never issues: the challenge stays open."""

import base64
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificates.models import Certificate
from certificates.pki import scep as messages
from requests_app.models import Request
from tests.abuse.test_input_fuzz import FUZZ, mutated_bytes
from tests.scep.conftest import OTHER_KEY, csr_der, pkcs_req, post, self_signed, status_of

pytestmark = pytest.mark.django_db


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
    assert messages.FAILURE in status_of(response.content)
    assert Certificate.objects.count() == 0
    assert Request.objects.get(pk=request_id).status == "approved"


@pytest.mark.slow
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
        status, _ = status_of(response.content)
        assert status == messages.FAILURE, text
    assert Certificate.objects.count() == 0, text
    assert Request.objects.get(pk=request_id).status == "approved", text


def test_ndes_path_serves_the_default_scep_profile(client, scep_setup, settings):
    assert client.get("/certsrv/mscep/mscep.dll?operation=GetCACaps").status_code == 404
    settings.RAPORTAL_SCEP_DEFAULT_PROFILE = "scep-garbage"
    response = client.get("/certsrv/mscep/mscep.dll/pkiclient.exe?operation=GetCACaps")
    assert response.status_code == 200 and b"POSTPKIOperation" in response.content
