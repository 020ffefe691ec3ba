"""Lists that tell certificates apart (short serial with the whole one on hover, validity,
issuer, key, renewed markers linking the successor), request ids as links, display names with
the technical name on hover, the technical details panel, and download names."""

import datetime as dt
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.utils import timezone

from certificates.models import Certificate
from profiles.models import Profile
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import make_csr

PASSWORD = "Correct-Horse-9-battery"


def page_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def row_of(page: str, certificate_id: str) -> str:
    match = re.search(rf'<tr id="certificate-{certificate_id}">.*?</tr>', page, re.S)
    assert match, page
    return match.group(0)


@pytest.fixture
def renewed(issue, requester, approver_api, profile):
    """A certificate of the requester and the renewal that replaced it."""
    old = issue(cn="short.example.com", owned_by=requester)
    Certificate.objects.filter(pk=old["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=10)  # inside the renewal period
    )
    status, body = approver_api.submit(
        {
            "module": "webra",
            "workflow": "renew",
            "certificateId": old["_id"],
            "template": {"keyType": "ec-secp384r1"},
            "password": {"value": PASSWORD},
        }
    )
    assert status == 201 and body["status"] == "completed", body
    return Certificate.objects.get(pk=old["_id"]), Certificate.objects.get(
        pk=body["certificate"]["_id"]
    )


def test_a_renewed_certificate_is_marked_and_links_to_its_successor(renewed, requester, client):
    old, new = renewed
    client.force_login(requester)
    page = page_of(client, "/certificates/")
    old_row, new_row = row_of(page, old.pk), row_of(page, new.pk)
    assert f'title="Serial {old.serial}"><code>{old.serial[:8]}…</code>' in old_row, old_row
    assert f'title="Serial {new.serial}"><code>{new.serial[:8]}…</code>' in new_row, new_row
    assert ">renewed</span>" in old_row and ">renewed</span>" not in new_row
    successor = re.search(r'class="small successor">.*?</div>', old_row, re.S).group(0)
    assert f'href="/certificates/{new.pk}/"' in successor, successor
    assert f'href="/certificates/{old.pk}/"' in new_row.split('class="small predecessor"')[1]
    # Told apart by key and dates as well.
    assert "ECDSA P-256" in old_row and "ECDSA P-384" in new_row
    assert old.not_after.strftime("%Y-%m-%d %H:%M") in old_row
    assert new.not_after.strftime("%Y-%m-%d %H:%M") in new_row


def test_the_list_shows_validity_issuer_and_a_copy_button_for_the_whole_serial(
    issue, requester, client
):
    certificate = Certificate.objects.get(pk=issue(owned_by=requester)["_id"])
    client.force_login(requester)
    page = page_of(client, "/certificates/")
    row = row_of(page, certificate.pk)
    assert f'data-copy-value="{certificate.serial}"' in row, row
    assert certificate.not_before.strftime("%Y-%m-%d %H:%M") in row
    assert f'title="{certificate.issuer}">Test Issuing CA</span>' in row, row
    assert "/static/js/copy-value.js" in page


def test_a_certificate_revoked_as_superseded_is_marked_replaced(issue, requester, client):
    certificate = issue(owned_by=requester)
    Certificate.objects.filter(pk=certificate["_id"]).update(
        revocation_date=timezone.now(), revocation_reason="superseded"
    )
    client.force_login(requester)
    row = row_of(page_of(client, "/certificates/"), certificate["_id"])
    assert ">revoked</span>" in row and ">replaced</span>" in row, row


def test_the_list_still_costs_one_query_for_the_successors_of_a_whole_page(
    renewed, issue, requester, client, django_assert_max_num_queries
):
    client.force_login(requester)
    page_of(client, "/certificates/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get("/certificates/")
    baseline = len(before)  # read now: the next request resets the query log
    assert baseline > 3, before.captured_queries
    for index in range(3):  # three more renewed certificates on the page
        old = issue(cn=f"more{index}.example.com", owned_by=requester)
        new = issue(cn=f"more{index}.example.com", owned_by=requester)
        Certificate.objects.filter(pk=old["_id"]).update(
            metadata=[{"key": "renewed_certificate_id", "value": new["_id"]}]
        )
    with django_assert_max_num_queries(baseline):
        page = page_of(client, "/certificates/")
    assert page.count('class="small successor"') == 4, page


def test_requests_and_their_certificates_are_linked_by_short_ids(issue, requester, client):
    certificate = issue(owned_by=requester)
    req = Request.objects.get(certificate_id=certificate["_id"])
    Request.objects.filter(pk=req.pk).update(requester=requester)
    Profile.objects.filter(name="webra-demo").update(display_name="Demo web servers")
    client.force_login(requester)
    page = page_of(client, "/requests/")
    assert (
        f'<a class="request-id" href="/requests/{req.pk}/" title="Request {req.pk}">'
        f"<code>{str(req.pk)[:8]}</code></a>"
    ) in page, page
    assert f'href="/certificates/{certificate["_id"]}/" title="Serial {certificate["serial"]}"' in (
        page
    )
    assert '<abbr class="tech-name" title="webra-demo">Demo web servers</abbr>' in page


def test_the_queue_links_each_request_id_to_its_decision_page(
    profile, requester_api, approver, team, client
):
    status, answer = requester_api.submit(
        enroll_body(csr=make_csr()[0], team={"value": "demo-team"})
    )
    assert status == 201, answer
    from profiles.models import Team

    Team.objects.filter(name="demo-team").update(display_name="Demo team")
    client.force_login(approver)
    page = page_of(client, "/approvals/")
    assert f'href="/approvals/{answer["_id"]}/" title="Request {answer["_id"]}"' in page, page
    assert '(<abbr class="tech-name" title="demo-team">Demo team</abbr>)' in page, page


def test_the_certificate_page_has_a_technical_details_panel(issue, requester, pki, client):
    certificate = issue(
        owned_by=requester, sans=[{"type": "DNSNAME", "value": ["web.example.com"]}]
    )
    parsed = x509.load_pem_x509_certificate(
        Certificate.objects.get(pk=certificate["_id"]).pem.encode()
    )
    client.force_login(requester)
    page = page_of(client, f"/certificates/{certificate['_id']}/")
    panel = page[page.index('id="technical-details"') :].split("</section>")[0]
    sha256 = re.search(r'fingerprint-sha256">([0-9a-f]+)<', panel).group(1)
    sha1 = re.search(r'fingerprint-sha1">([0-9a-f]+)<', panel).group(1)
    assert sha256 == parsed.fingerprint(hashes.SHA256()).hex()
    assert sha1 == parsed.fingerprint(hashes.SHA1()).hex()  # noqa: S303
    assert "Digital signature" in panel  # key usage
    assert "TLS server authentication (serverAuth)" in panel  # the profile's EKU
    assert "ECDSA P-256 · 256 bits" in panel
    assert "DNS name: <code>web.example.com</code>" in panel
    crl = panel.split('class="col-sm-8 crl">')[1].split("</dd>")[0]
    assert pki["issuing"].crl_url() in crl, panel
    issuers = panel.split('class="col-sm-8 ca-issuers">')[1].split("</dd>")[0]
    assert pki["issuing"].certificate_url() in issuers, panel
    assert f"not after {'<time'}" in panel and "day" in panel


def test_downloads_are_named_after_the_common_name_and_the_short_serial(issue, requester, client):
    certificate = issue(cn="short.example.com", owned_by=requester)
    short = certificate["serial"][:8]
    client.force_login(requester)
    for fmt, suffix in (("pem", "pem"), ("der", "cer"), ("chain", "chain.pem")):
        response = client.get(f"/certificates/{certificate['_id']}/download/{fmt}")
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            f'attachment; filename="short.example.com_{short}.{suffix}"'
        )


def test_a_pkcs12_is_named_after_the_common_name_and_the_short_serial(issue, approver, client):
    certificate = issue(cn="p12.example.com", owned_by=approver)
    Certificate.objects.filter(pk=certificate["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=5)  # inside the renewal period
    )
    client.force_login(approver)
    response = client.post(
        f"/certificates/{certificate['_id']}/renew/",
        {
            "key_mode": "generate",
            "key_type": "ec-secp256r1",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.post(response["Location"], {"action": "collect"}).content.decode()
    renewal = Request.objects.get(pk=response["Location"].strip("/").split("/")[-1])
    short = renewal.certificate.serial[:8]
    assert f'download="p12.example.com_{short}.p12"' in page, page
