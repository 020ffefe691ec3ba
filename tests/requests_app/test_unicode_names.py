"""What a requester may put in a certificate's names, as the API, the pages and imports see
it: invalid IDNA A-labels and mixed-script labels (homographs) are refused with the SAN
error, invisible formatting characters (bidi overrides, zero-width spaces) with the error of
the element they are in, and values are stored in NFC, the holderId computed on that form."""

import unicodedata

import pytest
from cryptography import x509

from certificates.holder import holder_id
from certificates.models import Certificate
from certificates.pki import names
from profiles.models import SanRule
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import make_csr
from tests.requests_app.test_import import external_certificate, import_

MIXED = "xn--pple-43d.example.com"  # a Cyrillic a (U+0430), then Latin "pple"


def enroll(api, **template):
    template.setdefault("csr", make_csr()[0])
    return api.submit(enroll_body(**template))


def dns(*values):
    return [{"type": "DNSNAME", "value": list(values)}]


def assert_refused(answer, code: str, *hints: str):
    status, body = answer
    assert (status, body.get("error")) == (400, code), body
    for hint in hints:
        assert hint in body["detail"], body
    assert not Request.objects.exists(), list(Request.objects.values("dn", "template"))


# --- 4.4: IDN A-labels --------------------------------------------------------------------


def test_an_invalid_a_label_is_not_issued(profile, approver_api):
    answer = enroll(approver_api, sans=dns("xn--zz.example.com"))
    assert_refused(answer, "WEBRA-ENROLL-005", "xn--zz", "IDNA 2008")
    assert not Certificate.objects.exists()


def test_a_valid_a_label_is_issued_as_typed_in_lower_case(profile, approver_api):
    status, body = enroll(approver_api, sans=dns("XN--BCHER-KVA.example"))
    assert status == 201, body
    sans = body["certificate"]["subjectAlternateNames"]
    assert "xn--bcher-kva.example" in str(sans), sans


def test_an_invalid_a_label_in_a_dns_looking_common_name_is_refused(profile, approver_api):
    answer = enroll(approver_api, subject=[{"element": "cn.1", "value": "xn--zz.example.com"}])
    assert_refused(answer, "WEBRA-ENROLL-004", "cn.1", "IDNA 2008")


def test_a_mixed_script_label_is_refused_by_default(profile, approver_api):
    answer = enroll(approver_api, sans=dns(MIXED))
    assert_refused(answer, "WEBRA-ENROLL-005", "mixes", "Cyrillic", "Latin")


def test_a_mixed_script_label_passes_where_the_profile_allows_it(profile, approver_api):
    profile.allow_mixed_script_labels = True
    profile.save()
    status, body = enroll(approver_api, sans=dns(MIXED))
    assert status == 201 and body["status"] == "completed", body


def test_a_u_label_is_refused_with_the_a_label_to_type(profile, approver_api):
    answer = enroll(approver_api, sans=dns("bücher.example"))
    assert_refused(answer, "WEBRA-ENROLL-005", "xn--bcher-kva.example")


# --- 4.5: invisible characters and NFC ----------------------------------------------------


def test_a_bidi_override_in_the_common_name_is_refused_naming_it(profile, approver_api):
    answer = enroll(approver_api, subject=[{"element": "cn.1", "value": "admin\u202egpj.exe"}])
    assert_refused(answer, "WEBRA-ENROLL-004", "cn.1", "U+202E")


def test_a_zero_width_space_in_a_user_principal_name_is_refused_naming_it(profile, approver_api):
    SanRule.objects.create(profile=profile, san_type="OTHERNAME_UPN", min=0, max=1)
    sans = [{"type": "OTHERNAME_UPN", "value": ["admin\u200b@corp.example"]}]
    assert_refused(enroll(approver_api, sans=sans), "WEBRA-ENROLL-005", "U+200B")


def test_a_format_character_in_a_label_value_is_refused(profile, approver_api):
    profile.label_rules.filter(label="env").update(enum=[], regex="")
    labels = [{"label": "env", "value": "prod\u2066"}]
    assert_refused(enroll(approver_api, labels=labels), "WEBRA-ENROLL-006", "U+2066")


def test_a_csr_whose_subject_holds_a_bidi_override_is_refused(profile, approver_api):
    csr, _ = make_csr(subject=[("cn.1", "moc.elgoog\u202egoogle.com")])
    # Even with a typed subject that replaces the CSR's: the CSR is kept with the request
    # and shown to approvers.
    answer = enroll(approver_api, csr=csr)
    assert_refused(answer, "WEBRA-ENROLL-003", "U+202E")


def test_an_approver_cannot_add_an_invisible_character_on_approval(
    profile, requester_api, approver_api
):
    status, pending = enroll(requester_api)
    assert status == 201 and pending["status"] == "pending", pending
    edits = {"subject": [{"element": "cn.1", "value": "web\u200b.example.com"}]}
    status, body = approver_api.post(
        "/api/v1/requests/approve", {"_id": pending["_id"], "template": edits}
    )
    assert (status, body.get("error")) == (400, "WEBRA-ENROLL-004"), body
    assert "U+200B" in body["detail"], body


def test_names_are_stored_in_nfc_and_the_holder_id_is_computed_on_it(profile, approver_api):
    decomposed = "Cafe\u0301 Server"
    status, body = enroll(approver_api, subject=[{"element": "cn.1", "value": decomposed}])
    assert status == 201, body
    composed = unicodedata.normalize("NFC", decomposed)
    assert body["dn"] == f"CN={composed}", body
    stored = Certificate.objects.get(pk=body["certificate"]["_id"])
    issued = x509.load_pem_x509_certificate(stored.pem.encode())
    cn = issued.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert cn == composed
    expected = holder_id(names.build_name([("cn.1", composed)]), [])
    assert stored.holder_id == expected == body["holderId"], body


def test_an_import_whose_subject_holds_a_bidi_override_is_refused(profile, approver_api):
    profile.escrow = False
    profile.save()
    pem, _ = external_certificate(
        "legacy\u202e.example.com", sans=[x509.DNSName("legacy.example.com")]
    )
    status, body = import_(approver_api, pem)
    assert (status, body.get("error")) == (400, "WEBRA-IMPORT-001"), body
    assert "U+202E" in body["detail"], body


def test_an_unprofiled_import_whose_subject_holds_a_bidi_override_is_refused(pki, admin_api):
    pem, _ = external_certificate(
        "legacy\u202e.example.com", sans=[x509.DNSName("legacy.example.com")]
    )
    status, body = import_(admin_api, pem, profile=None)
    assert (status, body.get("error")) == (400, "WEBRA-IMPORT-001"), body
    assert "U+202E" in body["detail"], body


def test_the_enroll_page_refuses_a_bidi_override_beside_its_field(profile, requester, client):
    from tests.pages.test_enroll_pages import form

    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post(
        "/enroll/webra-demo/", form(csr=csr, **{"subject_cn.1": "web\u202e.example.com"})
    )
    assert response.status_code == 200, response.status_code
    errors = response.context["form"].errors
    assert "U+202E" in str(errors.get("subject_cn.1")), errors
    assert not Request.objects.exists()


@pytest.fixture
def admin_api(db):
    from tests.conftest import Api
    from tests.factories import UserFactory

    return Api(UserFactory(username="root", is_superuser=True, is_staff=True))


def test_the_enroll_page_names_a_zero_width_space_in_a_dns_name(profile, requester, client):
    from tests.pages.test_enroll_pages import form

    client.force_login(requester)
    csr, _ = make_csr()
    response = client.post(
        "/enroll/webra-demo/", form(csr=csr, san_DNSNAME_0="www\u200b.example.com")
    )
    errors = response.context["form"].errors
    assert "U+200B" in str(errors.get("san_DNSNAME_0")), errors
    assert not Request.objects.exists()


def test_a_bidi_override_in_the_contact_email_is_refused(profile, approver_api):
    answer = enroll(approver_api, contactEmail={"value": "ops\u202e@example.com"})
    assert_refused(answer, "CERT-ELEM-001", "U+202E")
