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
    text = re.sub(r"<[^>]+>", "", page)  # DNs are marked up RDN by RDN (the |dn filter)
    assert "CN=web.example.com,C=FR" in text
    assert "CN=from-csr.example.com" in text  # what the CSR itself says
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


# --- guidance for requesters who are not PKI experts ------------------------------------


FORM_TAG = '<form method="post" enctype'  # the enroll form (the sign-out one comes first)


def page_of(response) -> str:
    return response.content.decode()


def test_a_validation_error_is_summarised_at_the_top_with_a_link_to_its_field(
    profile, requester, client
):
    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post("/enroll/webra-demo/", form(csr=csr, **{"subject_c.1": "France"}))
    page = page_of(response)
    summary = re.search(r'<div[^>]*id="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary, page[:5000]
    opening = summary.group(0).split(">", 1)[0]
    assert 'role="alert"' in opening and 'tabindex="-1"' in opening, opening
    assert 'href="#id_subject_c.1"' in summary.group(1), summary.group(1)
    assert "Use the two-letter country code, e.g. FR, DE, US" in summary.group(1), page[:5000]
    assert page.index('id="error-summary"') < page.index(FORM_TAG), page[:5000]
    assert "autofocus" not in page and "<script>" not in page, page[:5000]


def test_an_error_found_by_the_services_is_in_the_summary_too(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post("/enroll/webra-demo/", form(csr=csr, san_DNSNAME_0="not a host"))
    page = page_of(response)
    summary = page[page.index('id="error-summary"') : page.index(FORM_TAG)]
    assert 'href="#id_san_DNSNAME_0"' in summary and "WEBRA-ENROLL-005" in summary, summary


def test_a_page_without_errors_has_no_error_summary(profile, requester, client):
    client.force_login(requester)
    page = page_of(client.get("/enroll/webra-demo/"))
    assert 'id="error-summary"' not in page, page[:3000]


def test_the_portal_script_moves_the_focus_to_the_error_summary():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "static/js/portal.js").read_text()
    assert 'getElementById("error-summary")' in script and "summary.focus()" in script


def test_preview_warns_when_a_host_name_is_only_in_the_common_name(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr(subject=[("cn.1", "web.example.com")])
    response = client.post("/enroll/webra-demo/", form(csr=csr, action="preview"))
    page = page_of(response)
    assert 'id="preview"' in page, page[:5000]
    assert "Browsers ignore the Common Name: add web.example.com as a DNS name" in page, page
    assert 'data-add-dns="web.example.com"' in page, page[:6000]
    assert not Request.objects.exists()


def test_no_common_name_warning_when_the_name_is_also_a_dns_name(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr(subject=[("cn.1", "web.example.com")])
    fields = form(csr=csr, action="preview", san_DNSNAME_0="WEB.example.com")
    page = page_of(client.post("/enroll/webra-demo/", fields))
    assert 'id="preview"' in page and "Browsers ignore" not in page, page[:6000]


def test_no_common_name_warning_when_the_profile_has_no_dns_names(profile, requester, client):
    profile.san_rules.filter(san_type="DNSNAME").delete()
    client.force_login(requester)
    csr, _ = make_csr(subject=[("cn.1", "web.example.com")])
    page = page_of(client.post("/enroll/webra-demo/", form(csr=csr, action="preview")))
    assert 'id="preview"' in page and "Browsers ignore" not in page, page[:6000]


def test_the_common_name_advice_only_speaks_of_host_names():
    from requests_app.pages.advice import cn_not_in_dns_names

    assert cn_not_in_dns_names("Jane Doe", [], dns_allowed=True) is None
    assert cn_not_in_dns_names("web.example.com", [], dns_allowed=False) is None
    assert cn_not_in_dns_names("web.example.com.", ["web.example.com"], dns_allowed=True) is None
    assert cn_not_in_dns_names("Web.Example.com", ["other.example.com"], dns_allowed=True) == (
        "Browsers ignore the Common Name: add web.example.com as a DNS name."
    )


def test_a_url_typed_as_a_dns_name_is_explained(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr()
    fields = form(csr=csr, san_DNSNAME_0="https://www.example.com/login")
    response = client.post("/enroll/webra-demo/", fields)
    errors = response.context["form"].errors
    assert errors.get("san_DNSNAME_0") == [
        "Enter only the host name: remove 'https://' and the path (e.g. www.example.com)"
    ], errors
    assert not Request.objects.exists()


def test_the_url_advice_names_what_to_remove():
    from requests_app.pages.advice import dns_value_error

    assert dns_value_error("www.example.com") is None
    assert dns_value_error("http://shop.example.com") == (
        "Enter only the host name: remove 'http://' (e.g. shop.example.com)"
    )
    assert dns_value_error("www.example.com/") == (
        "Enter only the host name: remove the path (e.g. www.example.com)"
    )


def test_an_internationalized_dns_name_gets_its_ascii_form(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post("/enroll/webra-demo/", form(csr=csr, san_DNSNAME_0="bücher.example"))
    message = str(response.context["form"].errors.get("san_DNSNAME_0"))
    assert "xn--bcher-kva.example" in message, message
    assert not Request.objects.exists()


def test_the_ascii_form_of_an_internationalized_name_is_given_only_when_certain():
    from certificates.pki.idn import a_label_form as a_label

    assert a_label("*.Bücher.example") == "*.xn--bcher-kva.example"
    assert a_label("www.example.com") is None  # already ASCII
    assert a_label("straße.de") == "xn--strae-oqa.de"  # IDNA 2008 (2003 made it strasse.de)
    assert a_label("ex\u200bample.com") is None  # no valid name: nothing to suggest


def test_the_country_error_says_what_to_type(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post("/enroll/webra-demo/", form(csr=csr, **{"subject_c.1": "fr"}))
    errors = response.context["form"].errors
    assert errors.get("subject_c.1") == ["Use the two-letter country code, e.g. FR, DE, US."], (
        errors
    )


def test_a_too_long_subject_value_is_refused_with_its_length_not_cut(profile, requester, client):
    client.force_login(requester)
    page = page_of(client.get("/enroll/webra-demo/"))
    assert "maxlength" not in page, page  # a browser would cut a pasted value silently
    csr, _ = make_csr()
    long_name = "a" * 58 + ".example.com"  # 70 characters; CN allows 64 (RFC 5280)
    response = client.post("/enroll/webra-demo/", form(csr=csr, **{"subject_cn.1": long_name}))
    errors = response.context["form"].errors
    assert errors.get("subject_cn.1") == ["At most 64 characters (you typed 70)."], errors
    assert long_name in page_of(response)  # given back whole, to shorten
    assert not Request.objects.exists()


def test_a_too_long_label_value_is_refused_with_its_length(profile, requester, client):
    from profiles.models import LabelRule

    LabelRule.objects.create(profile=profile, label="note")
    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post("/enroll/webra-demo/", form(csr=csr, label_note="x" * 300))
    errors = response.context["form"].errors
    assert errors.get("label_note") == ["At most 256 characters (you typed 300)."], errors


def test_the_preview_says_which_names_come_from_the_csr_and_which_from_the_form(
    profile, requester, client
):
    client.force_login(requester)
    csr, _ = make_csr(
        subject=[("cn.1", "a.example.com"), ("o.1", "Acme")],
        sans=[("DNSNAME", "a.example.com")],
    )
    typed = {"subject_cn.1": "b.example.com", "san_DNSNAME_0": "b.example.com"}
    fields = form(csr=csr, action="preview", **typed)
    page = page_of(client.post("/enroll/webra-demo/", fields))
    assert "CN=b.example.com" in page, page[:6000]  # the dry run: the form's names win
    assert (
        "Your CSR asks for CN=a.example.com but the form says b.example.com; the certificate "
        "will use the form&#x27;s CN=b.example.com." in page
    ), page[:6000]
    assert "Your CSR asks for O=Acme but the form leaves O blank" in page, page[:6000]
    assert "Your CSR asks for DNS name a.example.com but the form says b.example.com" in page, page[
        :6000
    ]


def test_no_csr_warning_when_the_form_repeats_the_csr(profile, requester, client):
    client.force_login(requester)
    csr, _ = make_csr(subject=[("cn.1", "web.example.com")], sans=[("DNSNAME", "web.example.com")])
    fields = form(csr=csr, action="preview", san_DNSNAME_0="web.example.com")
    page = page_of(client.post("/enroll/webra-demo/", fields))
    assert 'id="preview"' in page and "Your CSR asks" not in page, page[:6000]


def test_the_password_field_states_the_profile_password_policy(profile, requester, client):
    from profiles.models import PasswordPolicy

    profile.password_policy = PasswordPolicy.objects.create(
        name="strict", min_length=16, max_length=64, min_special=2, special_chars="<&!"
    )
    profile.save()
    client.force_login(requester)
    page = page_of(client.get("/enroll/webra-demo/"))
    help_text = re.search(r'id="id_password_helptext"[^>]*>(.*?)</div>', page, re.S)
    assert help_text, page
    assert help_text.group(1).strip() == (
        "It protects the file with your key. At least 16 characters (64 at most), with at "
        "least 1 upper-case letter, 1 lower-case letter, 1 digit and 2 special characters "
        "among &lt;&amp;!."
    ), help_text.group(1)


def test_each_kind_of_alternative_name_is_a_fieldset_with_its_limit(profile, requester, client):
    client.force_login(requester)
    page = page_of(client.get("/enroll/webra-demo/"))
    legends = re.findall(r"<fieldset[^>]*data-san-group[^>]*>\s*<legend[^>]*>(.*?)</legend>", page)
    assert legends == [
        "DNS names (up to 5)",
        "IP addresses (up to 2)",
        "Email addresses (up to 2)",
    ], page


def test_values_fixed_by_the_profile_are_not_sent_as_the_requester_s(profile, requester, client):
    from requests_app.pages.forms import EnrollForm

    profile.subject_rules.filter(element="o.1").update(editable_by_requester=False, value="Acme")
    profile.label_rules.filter(label="env").update(editable_by_requester=False, value="prod")
    profile.san_rules.filter(san_type="IPADDRESS").update(editable_by_requester=False)
    csr, _ = make_csr()
    data = form(
        csr=csr,
        label_env="dev",
        san_DNSNAME_0="web.example.com",
        san_IPADDRESS_0="10.0.0.1",
        **{"subject_o.1": "Evil"},
    )
    enroll_form = EnrollForm(profile, requester, data)
    assert enroll_form.is_valid(), enroll_form.errors
    template = enroll_form.to_submission()["template"]
    assert template["subject"] == [
        {"element": "cn.1", "value": "web.example.com"},
        {"element": "ou.1", "value": ""},
        {"element": "c.1", "value": ""},
    ], template
    assert template["labels"] == [], template
    assert template["sans"] == [
        {"type": "DNSNAME", "value": ["web.example.com"]},
        {"type": "RFC822NAME", "value": []},
    ], template
    client.force_login(requester)
    response = client.post("/enroll/webra-demo/", data)
    assert response.status_code == 302, page_of(response)[:4000]
    request = Request.objects.get()
    assert request.dn == "CN=web.example.com,O=Acme", request.dn
    assert request.labels == [{"key": "env", "value": "prod"}], request.labels


def test_without_javascript_the_browser_does_not_demand_names_a_csr_may_bring(
    profile, requester, client
):
    """portal.js requires them while "generate" is chosen; the server requires them when no
    CSR is given."""
    client.force_login(requester)
    page = client.get("/enroll/webra-demo/").content.decode()
    cn_input = re.search(r'<input[^>]*name="subject_cn.1"[^>]*>', page).group(0)
    assert "data-names-mandatory" in cn_input and " required" not in cn_input, cn_input


def test_an_error_in_a_name_taken_from_the_csr_is_said_of_the_csr(profile, requester, client):
    csr, _ = make_csr(subject=[("cn.1", "csr.example.com"), ("c.1", "fr")])
    client.force_login(requester)
    response = client.post(
        "/enroll/webra-demo/", {"key_mode": "csr", "csr": csr, "action": "submit"}
    )
    form = response.context["form"]
    assert "subject_c.1" not in form.errors, form.errors
    assert any("In your CSR" in e and "c.1" in e for e in form.non_field_errors()), form.errors
