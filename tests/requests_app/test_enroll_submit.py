"""POST /api/v1/requests/submit with module webra, workflow enroll: the happy paths."""

import base64

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from certificates.models import Certificate, EscrowedKey
from raportal.crypto import open_sealed
from raportal.models import AuditEvent
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import make_csr

PASSWORD = "Correct-Horse-9-battery"


def test_approver_enrolls_a_csr_and_gets_a_completed_request_with_its_certificate(
    profile, approver_api
):
    csr, key = make_csr("ec-secp256r1", [("cn.1", "ignored.example.com")])
    status, body = approver_api.submit(
        enroll_body(
            csr=csr,
            subject=[
                {"element": "cn.1", "value": "web.example.com"},
                {"element": "c.1", "value": "FR"},
            ],
            sans=[{"type": "DNSNAME", "value": ["web.example.com", "www.example.com"]}],
            labels=[{"label": "env", "value": "prod"}],
        )
    )
    assert status == 201, body
    assert body["status"] == "completed", body
    assert body["dn"] == "CN=web.example.com,C=FR"
    assert "pkcs12" not in body and "password" not in body
    cert = x509.load_pem_x509_certificate(body["certificate"]["certificate"].encode())
    assert cert.public_key() == key.public_key()
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["web.example.com", "www.example.com"]
    assert body["certificate"]["labels"] == [{"key": "env", "value": "prod"}]
    assert body["globalHolderIdCount"] == 1 and body["profileHolderIdCount"] == 1
    assert body["holderId"] == body["certificate"]["holderId"]
    for date in ("registrationDate", "lastModificationDate", "expirationDate", "removeAt"):
        assert isinstance(body[date], int) and body[date] > 1_700_000_000_000, (date, body)


def test_the_csr_fills_the_subject_and_sans_when_the_template_omits_them(profile, approver_api):
    csr, _ = make_csr(
        "rsa-2048",
        [("cn.1", "app.example.com"), ("o.1", "Example")],
        sans=[("DNSNAME", "app.example.com"), ("IPADDRESS", "192.0.2.7")],
    )
    status, body = approver_api.submit(
        {"profile": "webra-demo", "module": "webra", "workflow": "enroll", "template": {"csr": csr}}
    )
    assert status == 201, body
    assert body["dn"] == "CN=app.example.com,O=Example"
    assert body["certificate"]["subjectAlternateNames"] == [
        {"sanType": "DNSNAME", "value": "app.example.com"},
        {"sanType": "IPADDRESS", "value": "192.0.2.7"},
    ]
    assert body["certificate"]["keyType"] == "rsa-2048"


def test_centralized_enroll_returns_a_pkcs12_that_opens_with_the_requesters_password(
    profile, approver_api
):
    status, body = approver_api.submit(
        enroll_body(keyType="ec-secp384r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 201, body
    assert body["password"] == {"value": PASSWORD}
    key, cert, chain = pkcs12.load_key_and_certificates(
        base64.b64decode(body["pkcs12"]["value"]), PASSWORD.encode()
    )
    assert cert.subject.rfc4514_string() == "CN=web.example.com"
    assert key.public_key() == cert.public_key()
    assert len(chain) == 2  # issuing CA and root
    assert body["certificate"]["keyType"] == "ec-secp384r1"
    assert body["certificate"]["escrowed"] is True


def test_centralized_enroll_without_key_type_uses_the_profiles_default(profile, approver_api):
    status, body = approver_api.submit(enroll_body() | {"password": {"value": PASSWORD}})
    assert status == 201, body
    assert body["template"]["keyType"] == "ec-secp256r1"
    assert body["certificate"]["keyType"] == "ec-secp256r1"


def test_random_password_mode_generates_a_password_that_meets_the_policy(profile, approver_api):
    from profiles.models import PasswordPolicy

    profile.p12_password_mode = "random"
    profile.password_policy = PasswordPolicy.objects.create(name="strict", min_special=2)
    profile.save()
    status, body = approver_api.submit(enroll_body(keyType="rsa-2048"))
    assert status == 201, body
    password = body["password"]["value"]
    assert profile.password_policy.violations(password) == []
    assert sum(ch in profile.password_policy.special_chars for ch in password) >= 2
    pkcs12.load_key_and_certificates(base64.b64decode(body["pkcs12"]["value"]), password.encode())


def test_escrow_keeps_the_generated_key_sealed_not_in_clear(profile, approver_api):
    status, body = approver_api.submit(
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 201, body
    escrowed = EscrowedKey.objects.get(certificate_id=body["certificate"]["_id"])
    sealed = bytes(escrowed.sealed_key)
    key = serialization.load_der_private_key(
        open_sealed(sealed, f"escrow:{escrowed.certificate_id}"), None
    )
    cert = x509.load_pem_x509_certificate(body["certificate"]["certificate"].encode())
    assert key.public_key() == cert.public_key()
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert der not in sealed  # sealed, not stored in clear


def test_without_escrow_no_key_is_kept(profile, approver_api):
    profile.escrow = False
    profile.save()
    status, body = approver_api.submit(
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 201, body
    assert body["certificate"]["escrowed"] is False
    assert not EscrowedKey.objects.exists()


def test_requester_with_request_grant_gets_a_pending_request_and_no_certificate(
    profile, requester_api
):
    csr, _ = make_csr()
    status, body = requester_api.submit(
        enroll_body(csr=csr) | {"requesterComment": "for the web farm"}
    )
    assert status == 201, body
    assert body["status"] == "pending"
    assert body["certificate"] is None
    assert body["requesterComment"] == "for the web farm"
    assert not Certificate.objects.exists()
    assert Request.objects.get(pk=body["_id"]).status == "pending"


def test_pending_centralized_request_keeps_the_password_sealed_until_approval(
    profile, requester_api
):
    status, body = requester_api.submit(
        enroll_body(keyType="rsa-2048") | {"password": {"value": PASSWORD}}
    )
    assert status == 201, body
    request = Request.objects.get(pk=body["_id"])
    assert PASSWORD.encode() not in bytes(request.sealed_password)
    assert request.open_password() == PASSWORD
    assert "password" not in body and "pkcs12" not in body


def test_dry_run_validates_everything_and_stores_nothing(profile, approver_api):
    status, body = approver_api.submit(
        enroll_body(keyType="ec-secp256r1") | {"dryRun": True, "password": {"value": PASSWORD}}
    )
    assert status == 201, body
    assert body["dryRun"] is True
    assert body["status"] == "completed"
    assert body["dn"] == "CN=web.example.com"
    assert "_id" not in body and body["certificate"] is None
    assert not Request.objects.exists() and not Certificate.objects.exists()
    assert not AuditEvent.objects.exclude(action__startswith="ca.").exists()  # the PKI's own


def test_dry_run_never_supersedes_existing_certificates(profile, approver_api):
    profile.max_per_holder, profile.max_per_holder_behavior = 1, "revoke"
    profile.save()
    csr, _ = make_csr()
    assert approver_api.submit(enroll_body(csr=csr))[0] == 201
    status, body = approver_api.submit(enroll_body(csr=make_csr()[0]) | {"dryRun": True})
    assert status == 201 and body["dryRun"] is True, body
    assert Certificate.objects.get().revocation_date is None


def test_dry_run_still_reports_errors(profile, approver_api):
    status, body = approver_api.submit(
        enroll_body(keyType="dsa-1024") | {"dryRun": True, "password": {"value": PASSWORD}}
    )
    assert status == 400 and body["error"] == "WEBRA-ENROLL-002", body


def test_submission_is_audited_with_the_actor(profile, approver, approver_api):
    csr, _ = make_csr()
    status, body = approver_api.submit(enroll_body(csr=csr))
    assert status == 201, body
    event = AuditEvent.objects.get(action="request.submit.enroll")
    assert event.actor == approver and event.object_id == body["_id"]
    assert AuditEvent.objects.filter(action="certificate.issue").count() == 1


def test_team_and_owner_and_contact_email_are_carried_to_the_certificate(
    profile, team, approver, approver_api
):
    csr, _ = make_csr()
    status, body = approver_api.submit(
        enroll_body(
            csr=csr,
            team={"value": "demo-team"},
            owner={"value": "approver"},
            contactEmail={"value": "pki@example.com"},
        )
    )
    assert status == 201, body
    assert body["team"] == "demo-team" and body["contact"] == "pki@example.com"
    cert = body["certificate"]
    assert (cert["team"], cert["owner"], cert["contactEmail"]) == (
        "demo-team",
        "approver",
        "pki@example.com",
    )


def test_a_team_grant_counts_for_its_members(pki, outsider):
    from tests.conftest import Api
    from tests.factories import ProfileFactory, TeamFactory, grant

    profile = ProfileFactory(name="team-profile", ca=pki["issuing"])
    ops = TeamFactory(name="ops")
    ops.members.add(outsider)
    grant(profile, ops, "perform")
    csr, _ = make_csr()
    status, body = Api(outsider).submit(enroll_body(profile="team-profile", csr=csr))
    assert status == 201 and body["status"] == "completed", body


def test_body_without_module_is_taken_as_webra(profile, approver_api):
    csr, _ = make_csr()
    body = enroll_body(csr=csr)
    del body["module"]
    status, answer = approver_api.submit(body)
    assert status == 201 and answer["module"] == "webra", answer


def test_ed25519_and_rsa_csrs_are_accepted_when_authorized(profile, approver_api):
    for key_type in ("ed-25519", "rsa-3072"):
        csr, _ = make_csr(key_type, [("cn.1", f"{key_type}.example.com")])
        status, body = approver_api.submit(enroll_body(csr=csr, subject=None))
        assert status == 201, body
        assert body["certificate"]["keyType"] == key_type


def test_an_email_in_the_subject_is_also_put_in_the_sans(pki, approver, api_as):
    from tests.factories import ProfileFactory, grant

    profile = ProfileFactory(name="smime", ca=pki["issuing"])
    profile.subject_rules.create(element="e.1", position=9)
    grant(profile, approver, "perform")
    csr, _ = make_csr()
    status, body = api_as(approver).submit(
        enroll_body(
            profile="smime",
            csr=csr,
            subject=[
                {"element": "cn.1", "value": "Alice"},
                {"element": "e.1", "value": "alice@example.com"},
            ],
        )
    )
    assert status == 201, body
    assert body["dn"] == "E=alice@example.com,CN=Alice"
    assert {"sanType": "RFC822NAME", "value": "alice@example.com"} in body["certificate"][
        "subjectAlternateNames"
    ]


def test_csr_sans_and_subject_fill_in_only_what_the_requester_may_edit(profile, approver_api):
    profile.san_rules.filter(san_type="IPADDRESS").update(editable_by_requester=False)
    csr, _ = make_csr(
        "ec-secp256r1",
        [("cn.1", "app.example.com"), ("l.1", "Paris")],  # l.1 is not in the profile
        sans=[
            ("DNSNAME", "app.example.com"),
            ("IPADDRESS", "192.0.2.7"),
            ("URI", "https://x.example"),
        ],
    )
    status, body = approver_api.submit(
        {"profile": "webra-demo", "module": "webra", "workflow": "enroll", "template": {"csr": csr}}
    )
    assert status == 201, body
    assert body["dn"] == "CN=app.example.com"
    assert body["certificate"]["subjectAlternateNames"] == [
        {"sanType": "DNSNAME", "value": "app.example.com"}
    ]


def test_an_answer_carrying_a_pkcs12_is_never_cached(profile, approver_api):
    response = approver_api.client.post(
        "/api/v1/requests/submit",
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}},
        format="json",
        **approver_api.headers,
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"


def test_an_expired_issuing_ca_is_reported_not_crashed(pki, profile, approver_api):
    from certificates.services import create_ca

    profile.ca = create_ca(
        common_name="Expired CA", key_type="ec-secp256r1", validity_days=0, parent=pki["root"]
    )
    profile.save()
    csr, _ = make_csr()
    status, body = approver_api.submit(enroll_body(csr=csr))
    assert (status, body["error"]) == (500, "WEBRA-ENROLL-011"), body
    assert "not valid now" in body["detail"]
    assert not Certificate.objects.exists()
