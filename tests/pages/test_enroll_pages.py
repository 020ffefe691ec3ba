"""Requesting a certificate through the pages: the same services as the API behind a form."""

import base64
import re

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from certificates.models import Certificate
from requests_app.models import Request
from tests.factories import make_csr

PASSWORD = "Correct-Horse-9-battery"


def form(**fields):
    base = {
        "subject_cn.1": "web.example.com",
        "key_mode": "csr",
        "team": "",
        "contact_email": "",
        "label_env": "",
        "action": "submit",
    }
    return base | fields


def test_the_profile_list_shows_only_profiles_the_user_may_enroll_on(
    profile, pki, requester, client
):
    from tests.factories import ProfileFactory

    ProfileFactory(name="not-for-you", ca=pki["issuing"])
    client.force_login(requester)
    page = client.get("/enroll/").content.decode()
    assert "/enroll/webra-demo/" in page and "not-for-you" not in page


def test_the_form_follows_the_profile(profile, requester, client):
    client.force_login(requester)
    page = client.get("/enroll/webra-demo/").content.decode()
    assert 'name="subject_cn.1"' in page and "required" in page
    assert 'pattern="[A-Z]{2}"' in page  # c.1's regex, checked in the browser too
    assert page.count('name="san_DNSNAME_') == 5 and page.count('name="san_IPADDRESS_') == 2
    assert '<option value="staging">' in page  # the env label's enum
    assert 'name="csr"' in page and 'name="key_type"' in page and 'name="password2"' in page


def test_a_pasted_csr_becomes_a_pending_request(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post("/enroll/webra-demo/", form(csr=csr, san_DNSNAME_0="web.example.com"))
    assert response.status_code == 302, response.content.decode()[:2000]
    request = Request.objects.get()
    assert response["Location"] == f"/requests/{request.pk}/"
    assert request.status == "pending" and request.dn == "CN=web.example.com"
    page = client.get(response["Location"]).content.decode()
    assert "Waiting for approval" in page and "approver" in page


def test_an_uploaded_der_csr_is_accepted(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr()
    der = x509.load_pem_x509_csr(csr.encode()).public_bytes(Encoding.DER)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("req.der", der, content_type="application/octet-stream")
    response = client.post("/enroll/webra-demo/", form(csr_file=upload))
    assert response.status_code == 302, response.content.decode()[:2000]


def test_an_uploaded_csr_comes_back_in_the_text_box_after_a_preview(profile, requester, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(requester)
    csr, _ = make_csr(subject=[("cn.1", "web.example.com")])
    upload = SimpleUploadedFile("req.pem", csr.encode(), content_type="application/x-pem-file")
    response = client.post("/enroll/webra-demo/", form(csr_file=upload, action="preview"))
    page = response.content.decode()
    assert response.status_code == 200, page[:2000]
    assert csr.strip().splitlines()[1] in page, page[:4000]
    assert not Request.objects.exists()


def test_preview_shows_the_certificate_to_be_and_stores_nothing(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr(subject=[("cn.1", "from-csr.example.com")])
    response = client.post(
        "/enroll/webra-demo/", form(csr=csr, action="preview", **{"subject_c.1": "FR"})
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "CN=web.example.com,C=FR" in page
    assert "CN=from-csr.example.com" in page  # what the CSR itself says
    assert not Request.objects.exists()


def test_a_bad_subject_is_reported_beside_its_field(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post("/enroll/webra-demo/", form(csr=csr, **{"subject_c.1": "France"}))
    assert response.status_code == 200
    form_object = response.context["form"]
    assert "subject_c.1" in form_object.errors, form_object.errors
    assert not Request.objects.exists()


def test_a_rule_only_the_services_know_is_reported_beside_its_field(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post("/enroll/webra-demo/", form(csr=csr, san_DNSNAME_0="not a host"))
    errors = response.context["form"].errors
    assert "san_DNSNAME_0" in errors and "WEBRA-ENROLL-005" in str(errors), errors


def test_a_generated_key_is_handed_over_once_with_its_password(profile, approver, client):
    client.force_login(approver)
    response = client.post(
        "/enroll/webra-demo/",
        form(key_mode="generate", key_type="ec-secp256r1", password=PASSWORD, password2=PASSWORD),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    shown = client.get(response["Location"]).content.decode()
    assert "Get my PKCS#12 file and password" in shown, shown[:3000]
    assert "data:application/x-pkcs12" not in shown  # a GET never hands the key over
    first = client.post(response["Location"], {"action": "collect"})
    assert first["Cache-Control"] == "no-store"
    page = first.content.decode()
    blob = re.search(r'href="data:application/x-pkcs12;base64,([^"]+)"', page).group(1)
    key, cert, _ = pkcs12.load_key_and_certificates(base64.b64decode(blob), PASSWORD.encode())
    assert key.public_key() == cert.public_key()
    assert PASSWORD in page
    again = client.post(response["Location"], {"action": "collect"}).content.decode()
    assert "data:application/x-pkcs12" not in again and PASSWORD not in again
    assert "Get my PKCS#12 file and password" not in again


def test_the_two_passwords_must_match(profile, approver, client):
    client.force_login(approver)
    response = client.post(
        "/enroll/webra-demo/",
        form(key_mode="generate", key_type="ec-secp256r1", password=PASSWORD, password2="other"),
    )
    assert "password2" in response.context["form"].errors
    assert not Certificate.objects.exists()


def test_names_left_blank_beside_a_csr_are_taken_from_the_csr(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr(
        subject=[("cn.1", "from-csr.example.com")], sans=[("DNSNAME", "a.example.com")]
    )
    response = client.post("/enroll/webra-demo/", form(csr=csr, **{"subject_cn.1": ""}))
    assert response.status_code == 302, response.content.decode()[:3000]
    request = Request.objects.get()
    assert request.dn == "CN=from-csr.example.com", request.dn


def test_a_pasted_csr_without_a_password_is_taken_as_the_key_without_javascript(
    profile, requester, client
):
    client.force_login(requester)
    csr, _ = make_csr()
    fields = form(csr=csr, key_mode="generate", password="", password2="")
    response = client.post("/enroll/webra-demo/", fields | {"san_DNSNAME_0": "web.example.com"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Request.objects.get().status == "pending"


def test_passwords_and_keys_are_kept_out_of_error_reports(rf, profile, requester):
    from django.views.debug import SafeExceptionReporterFilter

    from requests_app.pages.views import enroll

    fields = form(key_mode="generate", password=PASSWORD, password2=PASSWORD, action="preview")
    request = rf.post("/enroll/webra-demo/", fields)
    request.user = requester
    enroll(request, "webra-demo")
    filtered = SafeExceptionReporterFilter().get_post_parameters(request)
    assert filtered["password"] != PASSWORD and filtered["password2"] != PASSWORD, filtered
    assert filtered["subject_cn.1"] == "web.example.com", filtered
