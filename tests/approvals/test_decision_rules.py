"""The decision page checks what the enrollment form warns of and what the crypto policy
says: a host name in the CN alone, the key against the authorized key types (too small is
said so), the lifetime the certificate will get; and shows the CSR's technical details."""

import re

import pytest

from profiles.models import Profile
from tests.conftest import enroll_body
from tests.factories import make_csr


@pytest.fixture
def submit(profile, requester_api):
    def make(cn="app.example.com", *, key_type="ec-secp256r1", sans=None, **template):
        template.setdefault("subject", [{"element": "cn.1", "value": cn}])
        template.setdefault("csr", make_csr(key_type, subject=[("cn.1", cn)], sans=sans or [])[0])
        status, answer = requester_api.submit(enroll_body(**template))
        assert status == 201 and answer["status"] == "pending", answer
        return answer["_id"]

    return make


def policy_row(client, request_id, what: str) -> str:
    response = client.get(f"/approvals/{request_id}/")
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    rows = re.findall(r'<tr class="policy-rule">.*?</tr>', page, re.S)
    found = [row for row in rows if f"<td>{what}</td>" in row]
    assert found, rows or page
    return found[0]


def test_a_host_name_in_the_cn_and_in_no_dns_name_is_a_warning(submit, approver, client):
    request_id = submit("app.example.com", sans=[])
    client.force_login(approver)
    row = policy_row(client, request_id, "Common name and DNS names")
    assert ">warning</span>" in row, row
    assert "Browsers ignore the Common Name: add app.example.com as a DNS name." in row, row


def test_a_cn_repeated_as_a_dns_name_gives_no_warning(submit, approver, client):
    request_id = submit("app.example.com", sans=[("DNSNAME", "app.example.com")])
    client.force_login(approver)
    page = client.get(f"/approvals/{request_id}/").content.decode()
    assert "Common name and DNS names" not in page and "Browsers ignore" not in page, page


def test_a_key_smaller_than_the_profile_now_allows_is_flagged(submit, approver, profile, client):
    request_id = submit(key_type="rsa-2048")
    Profile.objects.filter(pk=profile.pk).update(authorized_key_types=["rsa-3072", "rsa-4096"])
    client.force_login(approver)
    row = policy_row(client, request_id, "Key type and size")
    assert ">fails</span>" in row, row
    assert "too small: 2048 bits, the profile needs at least 3072 bits for RSA" in row, row
    assert "one of RSA 3072 bits, RSA 4096 bits" in row, row


def test_an_allowed_key_passes(submit, approver, client):
    request_id = submit(key_type="ec-secp384r1")
    client.force_login(approver)
    row = policy_row(client, request_id, "Key type and size")
    assert ">ok</span>" in row and "ECDSA P-384" in row, row


def test_the_validity_rule_shows_the_lifetime_and_warns_when_the_ca_cuts_it_short(
    submit, approver, profile, client
):
    request_id = submit()
    client.force_login(approver)
    row = policy_row(client, request_id, "Validity")
    assert "365 days (the profile&#x27;s validity)" in row and ">ok</span>" in row, row
    Profile.objects.filter(pk=profile.pk).update(validity_days=5000)  # the CA has 1825
    row = policy_row(client, request_id, "Validity")
    assert ">warning</span>" in row and "cut short: the issuing CA" in row, row


def test_the_decision_page_shows_the_csrs_technical_details(submit, approver, client):
    request_id = submit(key_type="rsa-3072", sans=[("DNSNAME", "app.example.com")])
    client.force_login(approver)
    page = client.get(f"/approvals/{request_id}/").content.decode()
    panel = page[page.index('id="csr-details"') :].split("</section>")[0]
    assert "Technical details of the CSR" in panel
    assert "RSA 3072 bits <span" in panel and "DNS name: <code>app.example.com</code>" in panel
