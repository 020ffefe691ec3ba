"""The CA pages under /manage/authorities/: the CAs, and for one that signs its SCEP RA
certificate (subject, serial, expiry) with a staff-only, CSRF-checked action that renews it."""

from django.test import Client

from certificates.pki import names
from certificates.pki.fingerprints import serial_hex
from certificates.scep_ra import current_ra
from raportal.models import AuditEvent


def detail(ca) -> str:
    return f"/manage/authorities/{ca.name}/"


def test_the_ca_list_links_each_ca(pki, signed_in):
    html = signed_in.get("/manage/authorities/").content.decode()
    for ca in pki.values():
        assert f'href="{detail(ca)}"' in html, html


def test_the_ca_page_shows_the_current_scep_ra_certificate(pki, signed_in):
    ra = current_ra(pki["issuing"])
    html = signed_in.get(detail(pki["issuing"])).content.decode()
    certificate = ra.certificate
    assert names.name_string(certificate.subject) in html, html
    assert serial_hex(certificate) in html
    assert ra.not_after.strftime("%Y-%m-%d %H:%M") in html
    assert "PRIVATE KEY" not in html


def test_a_ca_without_an_ra_certificate_yet_says_so_and_the_page_creates_none(pki, signed_in):
    html = signed_in.get(detail(pki["issuing"])).content.decode()
    assert 'id="scep-ra-none"' in html, html
    assert not pki["issuing"].scep_ras.exists()


def test_staff_renew_the_scep_ra_certificate_and_see_the_new_one(pki, signed_in, staff):
    before = current_ra(pki["issuing"])
    response = signed_in.post(f"{detail(pki['issuing'])}scep-ra/renew/", follow=True)
    assert response.status_code == 200, response.content.decode()[:2000]
    renewed = current_ra(pki["issuing"])
    assert renewed.pk != before.pk
    html = response.content.decode()
    assert serial_hex(renewed.certificate) in html and serial_hex(before.certificate) not in html
    event = AuditEvent.objects.filter(action="scep.ra.create").latest("pk")
    assert event.actor == staff


def test_renewing_needs_the_csrf_token(pki, staff):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    response = browser.post(f"{detail(pki['issuing'])}scep-ra/renew/")
    assert response.status_code == 403
    assert not pki["issuing"].scep_ras.exists()


def test_an_account_without_staff_cannot_renew_and_is_not_told_the_page_exists(
    pki, requester, client
):
    client.force_login(requester)
    assert client.get(detail(pki["issuing"])).status_code == 404
    assert client.post(f"{detail(pki['issuing'])}scep-ra/renew/").status_code == 404
    assert not pki["issuing"].scep_ras.exists()


def test_renewing_is_a_post(pki, signed_in):
    assert signed_in.get(f"{detail(pki['issuing'])}scep-ra/renew/").status_code == 405
    assert not pki["issuing"].scep_ras.exists()


def test_a_ca_held_without_its_key_offers_no_scep_ra(pki, signed_in):
    from certificates.models import CertificateAuthority

    CertificateAuthority.objects.filter(pk=pki["root"].pk).update(sealed_key=None)
    html = signed_in.get(detail(pki["root"])).content.decode()
    assert 'id="scep-ra"' not in html
    response = signed_in.post(f"{detail(pki['root'])}scep-ra/renew/", follow=True)
    assert "holds no private key" in response.content.decode()
    assert not pki["root"].scep_ras.exists()
