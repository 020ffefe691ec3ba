"""Every documented error of a webra enroll submission, each from a realistic bad input.
A refused submission changes nothing: no request, no certificate."""

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from certificates.models import Certificate
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import make_csr

PASSWORD = "Correct-Horse-9-battery"


def centralized(**template):
    return enroll_body(**template) | {"password": {"value": PASSWORD}}


def assert_refused(response, status: int, code: str):
    got_status, body = response
    assert (got_status, body.get("error")) == (status, code), body
    assert body["status"] == status and body["message"] and body["title"] and body["detail"], body
    assert not Request.objects.exists() and not Certificate.objects.exists()
    return body


# --- WEBRA-ENROLL-001: enrollment mode ------------------------------------------------------


def test_a_csr_on_a_centralized_only_profile_is_refused_with_enroll_001(profile, approver_api):
    profile.decentralized = False
    profile.save()
    csr, _ = make_csr()
    body = assert_refused(approver_api.submit(enroll_body(csr=csr)), 400, "WEBRA-ENROLL-001")
    assert "keyType" in body["detail"]


def test_a_key_type_on_a_decentralized_only_profile_is_refused_with_enroll_001(
    profile, approver_api
):
    profile.centralized = False
    profile.save()
    assert_refused(
        approver_api.submit(centralized(keyType="ec-secp256r1")), 400, "WEBRA-ENROLL-001"
    )


# --- WEBRA-ENROLL-002: key type -------------------------------------------------------------


@pytest.mark.parametrize("key_type", ["rsa-4096", "rsa-1024", "dsa-2048", ""])
def test_a_key_type_the_profile_does_not_authorize_is_refused_with_enroll_002(
    profile, approver_api, key_type
):
    response = approver_api.submit(centralized(keyType=key_type or "nonsense"))
    body = assert_refused(response, 400, "WEBRA-ENROLL-002")
    assert "ec-secp256r1" in body["detail"]  # tells what is allowed


def test_a_csr_with_an_unauthorized_key_is_refused_with_enroll_002(profile, approver_api):
    csr, _ = make_csr("ec-secp521r1")
    body = assert_refused(approver_api.submit(enroll_body(csr=csr)), 400, "WEBRA-ENROLL-002")
    assert "ec-secp521r1" in body["detail"]


# --- WEBRA-ENROLL-003: certificate request --------------------------------------------------


def _tampered_csr() -> str:
    csr, _ = make_csr()
    der = bytearray(x509.load_pem_x509_csr(csr.encode()).public_bytes(Encoding.DER))
    der[-3] ^= 0x01  # flip a bit of the signature
    return x509.load_der_x509_csr(bytes(der)).public_bytes(Encoding.PEM).decode()


def _certificate_instead_of_csr(pki) -> str:
    return pki["root"].certificate_pem


@pytest.mark.parametrize(
    "make",
    [
        lambda pki: "hello, I am not a CSR",
        lambda pki: "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----",
        lambda pki: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----",
        lambda pki: _tampered_csr(),
        _certificate_instead_of_csr,
    ],
    ids=["garbage", "not-base64", "not-pkcs10", "bad-signature", "a-certificate"],
)
def test_a_bad_csr_is_refused_with_enroll_003(profile, approver_api, pki, make):
    assert_refused(approver_api.submit(enroll_body(csr=make(pki))), 400, "WEBRA-ENROLL-003")


def test_a_csr_that_does_not_parse_is_refused_in_horizons_words(profile, approver_api):
    csr = "-----BEGIN CERTIFICATE REQUEST-----\nwrongCSR\n-----END CERTIFICATE REQUEST-----"
    body = assert_refused(approver_api.submit(enroll_body(csr=csr)), 400, "WEBRA-ENROLL-003")
    assert body["detail"].startswith("Could not parse provided PEM"), body


def test_a_key_type_sent_with_a_csr_is_accepted_when_it_is_the_csrs(profile, approver_api):
    # Horizon's clients send the profile's default key type with every enrollment.
    csr, _ = make_csr()
    template = {**enroll_body(csr=csr)["template"], "keyType": "ec-secp256r1"}
    status, body = approver_api.submit({**enroll_body(csr=csr), "template": template})
    assert status == 201 and body["status"] == "completed", body


def test_a_key_type_sent_with_a_csr_of_another_key_is_refused_with_enroll_002(
    profile, approver_api
):
    csr, _ = make_csr()
    template = {**enroll_body(csr=csr)["template"], "keyType": "rsa-2048"}
    body = assert_refused(
        approver_api.submit({**enroll_body(csr=csr), "template": template}), 400, "WEBRA-ENROLL-002"
    )
    assert "rsa-2048" in body["detail"] and "ec-secp256r1" in body["detail"], body


# --- WEBRA-ENROLL-004: subject --------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "hint"),
    [
        ([], "cn.1 is mandatory"),
        ([{"element": "cn.1", "value": "   "}], "cn.1 is mandatory"),
        ([{"element": "cn.1", "value": "x" * 65}], "at most 64"),
        ([{"element": "cn.1", "value": "a"}, {"element": "c.1", "value": "France"}], "c.1"),
        ([{"element": "cn.1", "value": "a"}, {"element": "c.1", "value": "fr"}], "c.1"),
        ([{"element": "cn.1", "value": "a"}, {"element": "l.1", "value": "Paris"}], "l.1"),
        ([{"element": "cn.1", "value": "a"}, {"element": "cn.1", "value": "b"}], "twice"),
        ([{"element": "cn", "value": "a"}], "cn"),
        ([{"element": "cn.1", "value": "bell\u0007"}], "control"),
    ],
    ids=[
        "missing-cn",
        "blank-cn",
        "cn-too-long",
        "country-regex",
        "country-lowercase",
        "element-not-in-profile",
        "duplicate",
        "no-index",
        "control-char",
    ],
)
def test_a_subject_the_profile_does_not_allow_is_refused_with_enroll_004(
    profile, approver_api, subject, hint
):
    body = assert_refused(
        approver_api.submit(centralized(subject=subject)), 400, "WEBRA-ENROLL-004"
    )
    assert hint in body["detail"], body


def test_a_non_editable_subject_element_cannot_be_changed(profile, approver_api):
    rule = profile.subject_rules.get(element="o.1")
    rule.value, rule.editable_by_requester = "Example Corp", False
    rule.save()
    body = assert_refused(
        approver_api.submit(
            centralized(
                subject=[
                    {"element": "cn.1", "value": "a"},
                    {"element": "o.1", "value": "Evil Corp"},
                ]
            )
        ),
        400,
        "WEBRA-ENROLL-004",
    )
    assert "o.1 cannot be changed" in body["detail"]


def test_a_non_editable_subject_element_takes_its_profile_value(profile, approver_api):
    rule = profile.subject_rules.get(element="o.1")
    rule.value, rule.editable_by_requester = "Example Corp", False
    rule.save()
    status, body = approver_api.submit(centralized())
    assert status == 201 and body["dn"] == "CN=web.example.com,O=Example Corp", body


# --- WEBRA-ENROLL-005: SANs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sans", "hint"),
    [
        ([{"type": "DNSNAME", "value": ["not a host!"]}], "not a valid host name"),
        ([{"type": "DNSNAME", "value": ["-bad.example.com"]}], "not a valid host name"),
        ([{"type": "DNSNAME", "value": ["*.com"]}], "wildcard"),
        ([{"type": "DNSNAME", "value": ["10.0.0.1"]}], "IPADDRESS"),
        ([{"type": "DNSNAME", "value": ["ex\u00e4mple.com"]}], "xn--"),
        ([{"type": "DNSNAME", "value": [f"h{i}.example.com" for i in range(6)]}], "at most 5"),
        ([{"type": "IPADDRESS", "value": ["999.1.1.1"]}], "not an IPv4 or IPv6"),
        ([{"type": "RFC822NAME", "value": ["no-at-sign"]}], "not an email address"),
        ([{"type": "URI", "value": ["https://example.com"]}], "not allowed by this profile"),
        ([{"type": "DNSNAME", "value": ["a.example.com", "A.example.com"]}], "twice"),
    ],
    ids=[
        "spaces",
        "leading-hyphen",
        "wildcard-tld",
        "ip-as-dns",
        "non-ascii",
        "too-many",
        "bad-ip",
        "bad-email",
        "type-not-allowed",
        "duplicate",
    ],
)
def test_sans_the_profile_does_not_allow_are_refused_with_enroll_005(
    profile, approver_api, sans, hint
):
    body = assert_refused(approver_api.submit(centralized(sans=sans)), 400, "WEBRA-ENROLL-005")
    assert hint in body["detail"], body


def test_a_mandatory_san_must_be_given(profile, approver_api):
    profile.san_rules.filter(san_type="DNSNAME").update(min=1)
    body = assert_refused(approver_api.submit(centralized()), 400, "WEBRA-ENROLL-005")
    assert "at least 1 DNSNAME" in body["detail"]


# --- WEBRA-ENROLL-006: labels ---------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [
        [{"label": "env", "value": "qa"}],
        [{"label": "cost-center", "value": "42"}],
        [{"label": "env", "value": "dev"}, {"label": "env", "value": "prod"}],
    ],
    ids=["not-in-enum", "unknown-label", "duplicate"],
)
def test_labels_the_profile_does_not_allow_are_refused_with_enroll_006(
    profile, approver_api, labels
):
    assert_refused(approver_api.submit(centralized(labels=labels)), 400, "WEBRA-ENROLL-006")


def test_a_mandatory_label_must_be_given(profile, approver_api):
    profile.label_rules.filter(label="env").update(mandatory=True)
    body = assert_refused(approver_api.submit(centralized()), 400, "WEBRA-ENROLL-006")
    assert "mandatory" in body["detail"]


# --- CERT-TEAM-001 and CERT-ELEM-001: team, owner, contact email ------------------------------


def test_an_unknown_team_is_refused_with_cert_team_001(profile, approver_api):
    response = approver_api.submit(centralized(team={"value": "no-such-team"}))
    assert_refused(response, 400, "CERT-TEAM-001")


def test_a_team_the_requester_is_not_in_is_accepted_as_horizon_does(profile, approver_api):
    from tests.factories import TeamFactory

    TeamFactory(name="other-team")
    status, body = approver_api.submit(centralized(team={"value": "other-team"}))
    assert status == 201 and body["status"] == "completed", body
    assert Certificate.objects.get().team.name == "other-team"


def test_a_team_the_requester_is_not_in_is_refused_where_the_profile_says_so(profile, approver_api):
    from tests.factories import TeamFactory

    profile.team_members_only = True
    profile.save()
    TeamFactory(name="other-team")
    response = approver_api.submit(centralized(team={"value": "other-team"}))
    body = assert_refused(response, 400, "CERT-TEAM-001")
    assert "is not authorized" in body["detail"] and "not a member" in body["detail"], body


def test_a_team_off_the_profiles_whitelist_is_not_authorized(profile, approver_api):
    from tests.factories import TeamFactory

    profile.team_whitelist.set([TeamFactory(name="allowed-team")])
    TeamFactory(name="other-team")
    response = approver_api.submit(centralized(team={"value": "other-team"}))
    body = assert_refused(response, 400, "CERT-TEAM-001")
    assert "Team element 'other-team' is not authorized" in body["detail"], body
    assert "allowed-team" in body["detail"], body


def test_a_mandatory_team_must_be_given(profile, approver_api):
    profile.team_mandatory = True
    profile.save()
    assert_refused(approver_api.submit(centralized()), 400, "CERT-TEAM-001")


def test_an_unknown_owner_is_refused_with_cert_elem_001(profile, approver_api):
    response = approver_api.submit(centralized(owner={"value": "nobody"}))
    assert_refused(response, 400, "CERT-ELEM-001")


def test_an_invalid_contact_email_is_refused_with_cert_elem_001(profile, approver_api):
    response = approver_api.submit(centralized(contactEmail={"value": "not-an-email"}))
    assert_refused(response, 400, "CERT-ELEM-001")


def test_requested_metadata_is_refused_with_cert_elem_001(profile, approver_api):
    response = approver_api.submit(
        centralized(metadata=[{"metadata": "pki_connector", "value": "x"}])
    )
    assert_refused(response, 400, "CERT-ELEM-001")


# --- PKCS#12 password -----------------------------------------------------------------------


def test_a_missing_password_in_manual_mode_is_refused(profile, approver_api):
    body = assert_refused(
        approver_api.submit(enroll_body(keyType="ec-secp256r1")), 400, "WEBRA-ENROLL-012"
    )
    assert "password" in body["detail"]


def test_a_weak_password_is_refused_with_what_the_policy_needs(profile, approver_api):
    body = assert_refused(
        approver_api.submit(enroll_body(keyType="ec-secp256r1") | {"password": {"value": "abc"}}),
        400,
        "WEBRA-ENROLL-012",
    )
    assert "at least 12 characters" in body["detail"]
    assert body["detail"] == (
        "the PKCS#12 password needs at least 12 characters, at least 1 upper-case letter "
        "and at least 1 digit"
    ), body
    assert "abc" not in body["detail"]  # a secret is never echoed


def test_a_password_sent_in_random_mode_is_not_used_as_horizon_ignores_it(profile, approver_api):
    # Horizon's clients send one whatever the mode: the portal's own protects the PKCS#12.
    profile.p12_password_mode = "random"
    profile.save()
    status, body = approver_api.submit(centralized())
    assert status == 201 and body["status"] == "completed", body
    generated = body["password"]["value"]
    assert generated != PASSWORD, body
    key, certificate, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(body["pkcs12"]["value"]), generated.encode()
    )
    assert key is not None and certificate is not None


# --- REQ-002: malformed bodies --------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "[1, 2, 3]",
        '"a string"',
        "null",
        "42",
        "",
        '{"profile": "webra-demo", "module": "webra", "workflow": "enroll"}',
        '{"profile": "webra-demo", "module": "webra", "workflow": "enroll", "template": "x"}',
        '{"profile": "webra-demo", "workflow": "enroll", "template": {"subject": "cn=x"}}',
        '{"profile": "webra-demo", "workflow": "enroll", "template": {"sans": [{"type": "X"}]}}',
        '{"profile": "webra-demo", "module": "acme", "workflow": "enroll", "template": {}}',
        '{"profile": "webra-demo", "module": "webra", "workflow": "fly", "template": {}}',
        '{"profile": "webra-demo", "module": "webra", "template": {}}',
        '{"profile": ["webra-demo"], "workflow": "enroll", "template": {}}',
        '{"profile": "webra-demo", "workflow": "enroll", "template": {}, "password": "x"}',
        '{"profile": "webra-demo", "workflow": "enroll", "template": {}, "dryRun": "yes"}',
        '{"profile": "webra-demo", "workflow": "enroll", "template": {"csr": "a\\u0000b"}}',
        '{"profile": "webra-demo", "workflow": "enroll", "template": {"subject": '
        '[{"element": "cn.1", "value": 5}]}}',
    ],
    ids=[
        "broken-json",
        "array",
        "string",
        "null",
        "number",
        "empty",
        "no-template",
        "template-string",
        "subject-string",
        "bad-san-type",
        "unknown-module",
        "unknown-workflow",
        "no-workflow",
        "profile-list",
        "password-string",
        "dry-run-not-boolean",
        "nul-character",
        "number-for-string",
    ],
)
def test_a_malformed_body_is_refused_with_req_002(profile, approver_api, raw):
    response = approver_api.client.post(
        "/api/v1/requests/submit", raw, content_type="application/json", **approver_api.headers
    )
    assert response["Content-Type"] == "application/problem+json"
    assert_refused((response.status_code, response.json()), 400, "REQ-002")


def test_a_body_sent_as_a_form_is_refused_with_req_002(profile, approver_api):
    response = approver_api.client.post(
        "/api/v1/requests/submit", {"profile": "webra-demo"}, **approver_api.headers
    )
    assert (response.status_code, response.json()["error"]) == (400, "REQ-002")


# --- REQ-010, SEC-PERM-001 --------------------------------------------------------------------


def test_an_unknown_profile_is_refused_with_req_010(profile, approver_api):
    assert_refused(approver_api.submit(centralized() | {"profile": "nope"}), 404, "REQ-010")


def test_a_disabled_profile_is_refused_with_req_010(profile, approver_api):
    profile.enabled = False
    profile.save()
    assert_refused(approver_api.submit(centralized()), 404, "REQ-010")


def test_a_profile_of_another_module_is_refused_with_req_010(profile, approver_api):
    profile.module = "est"
    profile.save()
    assert_refused(approver_api.submit(centralized()), 404, "REQ-010")


def test_a_user_without_grant_is_refused_with_sec_perm_001(profile, outsider_api):
    assert_refused(outsider_api.submit(centralized()), 403, "SEC-PERM-001")


def test_a_grant_on_another_workflow_does_not_allow_enroll(profile, outsider, api_as):
    from tests.factories import grant

    grant(profile, outsider, "perform", workflow="revoke")
    assert_refused(api_as(outsider).submit(centralized()), 403, "SEC-PERM-001")


def test_a_malformed_element_is_named_by_its_position(profile, approver_api):
    status, body = approver_api.submit(
        enroll_body(subject=[{"element": "cn.1", "value": "a"}, {"value": "no element"}])
    )
    assert (status, body["error"]) == (400, "REQ-002"), body
    assert "template.subject[1].element" in body["detail"], body


def test_a_certificate_given_as_the_csr_is_named_for_what_it_is(profile, approver_api, pki):
    body = assert_refused(
        approver_api.submit(enroll_body(csr=_certificate_instead_of_csr(pki))),
        400,
        "WEBRA-ENROLL-003",
    )
    assert "this is a certificate, not a certificate request" in body["detail"], body
