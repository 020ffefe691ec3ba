"""POST /api/v1/requests/submit with module webra, workflow enroll: the happy paths."""

import base64

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from certificates.models import Certificate, EscrowedKey
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
    profile.p12_password_mode = "random"
    profile.password_min_special = 2
    profile.save()
    status, body = approver_api.submit(enroll_body(keyType="rsa-2048"))
    assert status == 201, body
    password = body["password"]["value"]
    assert profile.password_policy_violations(password) == []
    pkcs12.load_key_and_certificates(base64.b64decode(body["pkcs12"]["value"]), password.encode())


def test_escrow_keeps_the_generated_key_sealed_not_in_clear(profile, approver_api):
    status, body = approver_api.submit(
        enroll_body(keyType="ec-secp256r1") | {"password": {"value": PASSWORD}}
    )
    assert status == 201, body
    escrowed = EscrowedKey.objects.get(certificate_id=body["certificate"]["_id"])
    assert b"PRIVATE KEY" not in bytes(escrowed.sealed_key)
    assert bytes(escrowed.sealed_key).startswith(b"v1")


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
    assert not AuditEvent.objects.filter(action__startswith="request").exists()


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
