"""Proof of possession (X-JWT-CERT-POP, certificates/pop.py): a caller without an account
renews, revokes or updates a certificate by proving it holds the certificate's key, where the
profile's selfPop permissions allow it — that certificate only, at once, never pending."""

import base64
import datetime as dt
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from certificates import pop
from certificates.models import CaEntry, Certificate
from certificates.pki.keys import generate_private_key
from certificates.services import revoke_certificate
from profiles.models import Profile
from raportal.models import AuditEvent, SpentToken
from requests_app.models import Request, Status
from tests import pop_tokens
from tests.conftest import Api
from tests.factories import ProfileFactory, TeamFactory, make_csr
from tests.pop_tokens import PopApi, hmac_token, malleated, pop_token, unb64url, unsigned_token

PASSWORD = "Correct-Horse-9-battery"
KEY_TYPES = ["rsa-2048", "ec-secp256r1", "ec-secp384r1", "ed-25519"]


pop_profile = pop_tokens.pop_profile  # the profile allows proofs; its CA is trusted
held = pop_tokens.held  # a certificate on it, with its key


@pytest.fixture
def anonymous():
    return PopApi()


def revoke_body(certificate: dict, reason: str = "keycompromise") -> dict:
    return {
        "workflow": "revoke",
        "certificatePem": certificate["certificate"],
        "certificateId": None,  # as the Ansible collection sends it
        "template": {"revocationReason": reason},
    }


def renew_body(certificate: dict, csr: str | None = None) -> dict:
    return {
        "module": "webra",
        "workflow": "renew",
        "certificatePem": certificate["certificate"],
        "template": {"csr": csr},
    }


def update_body(certificate: dict, **template) -> dict:
    return {
        "workflow": "update",
        "certificatePem": certificate["certificate"],
        "template": template,
    }


def proof(certificate: dict, key, **options) -> str:
    return pop_token(certificate["certificate"], key, **options)


def row(certificate: dict) -> Certificate:
    return Certificate.objects.get(pk=certificate["_id"])


# --- the three workflows, with every kind of key ------------------------------------------


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_a_proof_of_possession_alone_revokes_its_certificate(held, anonymous, key_type):
    certificate, key = held(key_type)
    status, body, response = anonymous.submit(revoke_body(certificate), proof(certificate, key))
    assert status == 201 and body["status"] == "completed", body
    assert body["certificate"]["revoked"] is True
    assert body["requester"] == certificate["dn"] and body["approver"] is None, body
    assert row(certificate).revocation_reason == "keycompromise"
    assert "Replay-Nonce" not in response


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_a_proof_of_possession_renews_its_certificate_with_a_csr(held, anonymous, key_type):
    certificate, key = held(key_type, labels=[{"label": "env", "value": "prod"}])
    team = TeamFactory(name="ops")
    Certificate.objects.filter(pk=certificate["_id"]).update(team=team)
    csr, _ = make_csr("ec-secp384r1", subject=[("cn.1", "ignored.example.com")])
    status, body, _ = anonymous.submit(renew_body(certificate, csr), proof(certificate, key))
    assert status == 201 and body["status"] == "completed", body
    new = body["certificate"]
    assert new["_id"] != certificate["_id"] and new["keyType"] == "ec-secp384r1"
    # A renewal signs the old names again and keeps what the portal knows of the holder.
    assert (new["dn"], new["labels"], new["owner"], new["team"]) == (
        certificate["dn"],
        certificate["labels"],
        certificate["owner"],
        "ops",
    ), body
    assert body["requester"] == certificate["dn"]
    assert "pkcs12" not in body and "password" not in body


def test_a_proof_of_possession_renews_with_a_generated_key_handed_over_at_once(
    held, anonymous, pop_profile
):
    Profile.objects.filter(pk=pop_profile.pk).update(p12_password_mode="random")
    certificate, key = held("rsa-2048")
    status, body, response = anonymous.submit(renew_body(certificate), proof(certificate, key))
    assert status == 201 and body["status"] == "completed", body
    assert response["Cache-Control"] == "no-store"
    new_key, new_certificate, _ = pkcs12.load_key_and_certificates(
        base64.b64decode(body["pkcs12"]["value"]), body["password"]["value"].encode()
    )
    assert new_certificate.public_key() == new_key.public_key()
    assert new_certificate.serial_number == int(body["certificate"]["serial"], 16)
    # Nothing waits for a later collection: a caller without an account could never take it.
    stored = Request.objects.get(pk=body["_id"])
    assert stored.sealed_pkcs12 is None and stored.sealed_password is None
    assert stored.requester_id is None and stored.requester_identifier == certificate["dn"]


def test_a_proof_of_possession_renews_with_the_password_it_chooses(held, anonymous):
    certificate, key = held()
    body = renew_body(certificate) | {"password": {"value": PASSWORD}}
    status, answer, _ = anonymous.submit(body, proof(certificate, key))
    assert status == 201 and answer["password"]["value"] == PASSWORD, answer
    pkcs12.load_key_and_certificates(base64.b64decode(answer["pkcs12"]["value"]), PASSWORD.encode())


@pytest.mark.parametrize("key_type", ["rsa-2048", "ec-secp384r1"])
def test_a_proof_of_possession_updates_the_labels_and_team_of_its_certificate(
    held, anonymous, key_type
):
    certificate, key = held(key_type)
    TeamFactory(name="team-a")  # the caller belongs to no team: the policy allows any
    body = update_body(
        certificate, labels=[{"label": "env", "value": "staging"}], team={"value": "team-a"}
    )
    status, answer, _ = anonymous.submit(body, proof(certificate, key))
    assert status == 201 and answer["status"] == "completed", answer
    updated = row(certificate)
    assert updated.labels == [{"key": "env", "value": "staging"}] and updated.team.name == "team-a"
    assert answer["requester"] == certificate["dn"]


@pytest.mark.parametrize(
    ("key_type", "algorithm"),
    [("ec-secp521r1", "ES512"), ("ec-secp521r1", "ES521"), ("ed-448", "EdDSA")],
)
def test_p521_and_ed448_certificates_prove_with_their_algorithms(
    held, anonymous, pop_profile, key_type, algorithm
):
    Profile.objects.filter(pk=pop_profile.pk).update(
        authorized_key_types=[*pop_profile.authorized_key_types, key_type]
    )
    certificate, key = held(key_type)
    token = proof(certificate, key, algorithm=algorithm)
    status, body, _ = anonymous.submit(revoke_body(certificate), token)
    assert status == 201 and body["certificate"]["revoked"], body


def test_a_proof_of_possession_is_held_to_the_profiles_rules_like_anyone(held, anonymous):
    certificate, key = held()
    body = update_body(certificate, labels=[{"label": "env", "value": "nowhere"}])
    status, answer, _ = anonymous.submit(body, proof(certificate, key))
    assert status == 400 and answer["error"] == "WEBRA-ENROLL-006", answer
    assert row(certificate).labels == []


def test_where_teams_are_for_members_only_a_proof_chooses_none(held, anonymous, pop_profile):
    Profile.objects.filter(pk=pop_profile.pk).update(team_members_only=True)
    certificate, key = held()
    TeamFactory(name="team-a")
    body = update_body(certificate, team={"value": "team-a"})
    status, answer, _ = anonymous.submit(body, proof(certificate, key))
    assert status == 400 and answer["error"] == "CERT-TEAM-001", answer


# --- what the profile allows, and on which certificate ---------------------------------------


@pytest.mark.parametrize(
    ("flag", "make_body"),
    [
        ("self_pop_revoke", revoke_body),
        ("self_pop_renew", lambda c: renew_body(c) | {"password": {"value": PASSWORD}}),
        ("self_pop_update", lambda c: update_body(c, labels=[{"label": "env", "value": "dev"}])),
    ],
)
def test_without_its_self_pop_permission_a_proof_is_refused(
    held, anonymous, pop_profile, flag, make_body
):
    Profile.objects.filter(pk=pop_profile.pk).update(**{flag: False})
    certificate, key = held()
    status, body, _ = anonymous.submit(make_body(certificate), proof(certificate, key))
    assert status == 403 and body["error"] == "SEC-PERM-001", body
    setting = "selfPop" + flag.removeprefix("self_pop_").capitalize()
    assert setting in body["detail"], body  # says which profile setting would allow it
    assert not Request.objects.exclude(workflow="enroll").exists()
    assert not row(certificate).revoked and row(certificate).labels == []


def test_a_proof_of_possession_acts_on_the_proven_certificate_only(held, anonymous):
    mine, key = held(cn="mine.example.com")
    other, _ = held(cn="other.example.com")
    for attempt, body in enumerate(
        [
            revoke_body(other),
            {"workflow": "revoke", "certificateId": other["_id"], "template": {}},
            {"workflow": "revoke", "certificateId": "7e0c0d61-4c5e-4ba1-9d0e-000000000000"},
            renew_body(other) | {"password": {"value": PASSWORD}},
            update_body(other, labels=[{"label": "env", "value": "dev"}]),
        ]
    ):
        # One token per call (a jti each: the same claims in the same second are one token).
        status, answer, _ = anonymous.submit(body, proof(mine, key, jti=str(attempt)))
        # Refused alike whether the other certificate exists or not: nothing is revealed.
        assert status == 403 and answer["error"] == "SEC-PERM-001", (body, answer)
    assert not row(other).revoked and not row(mine).revoked


@pytest.mark.parametrize(
    "body",
    [
        {"workflow": "recover", "password": {"value": PASSWORD}},
        {"workflow": "migrate", "profile": "elsewhere"},
        {"workflow": "enroll", "profile": "webra-demo", "template": {"keyType": "ec-secp256r1"}},
    ],
    ids=["recover", "migrate", "enroll"],
)
def test_a_proof_of_possession_grants_nothing_but_renew_revoke_and_update(held, anonymous, body):
    certificate, key = held()
    if body["workflow"] == "migrate":
        ProfileFactory(name="elsewhere", ca=row(certificate).ca)
    body = {**body, "certificatePem": certificate["certificate"]}
    if body["workflow"] == "enroll":
        body["template"]["subject"] = [{"element": "cn.1", "value": "new.example.com"}]
        body["password"] = {"value": PASSWORD}
    status, answer, _ = anonymous.submit(body, proof(certificate, key))
    assert status == 403 and answer["error"] == "SEC-PERM-001", answer
    assert not Request.objects.exclude(workflow="enroll").exists()


# --- the certificate behind the proof ---------------------------------------------------------


def test_an_expired_certificate_proves_nothing(held, anonymous):
    certificate, key = held()
    Certificate.objects.filter(pk=certificate["_id"]).update(
        not_after=timezone.now() - dt.timedelta(minutes=1)
    )
    status, body, _ = anonymous.submit(revoke_body(certificate), proof(certificate, key))
    assert status == 403 and body["error"] == "SEC-AUTH-004", body
    assert body["message"] == "Certificate is expired"


def test_a_revoked_certificate_proves_nothing(held, anonymous):
    certificate, key = held()
    revoke_certificate(row(certificate), "superseded")
    body = update_body(certificate, labels=[{"label": "env", "value": "dev"}])
    status, answer, _ = anonymous.submit(body, proof(certificate, key))
    assert status == 403 and answer["error"] == "SEC-AUTH-005", answer
    assert answer["message"] == "Certificate is revoked"


def test_a_certificate_whose_ca_is_not_trusted_for_client_authentication_proves_nothing(
    held, anonymous, pki
):
    certificate, key = held()
    CaEntry.objects.update(trusted_for_client_authentication=False)
    CaEntry.objects.filter(authority=pki["root"]).update(
        trusted_for_client_authentication=True  # not its CA
    )
    status, body, _ = anonymous.submit(revoke_body(certificate), proof(certificate, key))
    assert status == 403 and body["error"] == "SEC-AUTH-003", body
    assert body["message"] == "Certificate is not trusted"
    assert not row(certificate).revoked


def test_a_certificate_the_portal_does_not_know_proves_nothing(anonymous, pop_profile):
    from tests.requests_app.test_import import external_certificate

    key = generate_private_key("ec-secp256r1")
    pem, _ = external_certificate(key=key)
    body = {"workflow": "revoke", "certificatePem": pem, "template": {}}
    status, answer, _ = anonymous.submit(body, pop_token(pem, key))
    assert status == 403 and answer["error"] == "SEC-AUTH-003", answer


# --- the token --------------------------------------------------------------------------------


def test_a_token_signed_by_another_key_is_refused(held, anonymous):
    certificate, _ = held()
    status, body, _ = anonymous.submit(
        revoke_body(certificate), proof(certificate, generate_private_key("ec-secp256r1"))
    )
    assert status == 400 and body["error"] == "SEC-AUTH-010", body
    assert body["message"] == "Invalid Jwt Token" and "signature" in body["detail"]
    assert not row(certificate).revoked


def test_an_unsigned_token_is_refused(held, anonymous):
    certificate, _ = held()
    status, body, _ = anonymous.submit(
        revoke_body(certificate), unsigned_token(certificate["certificate"])
    )
    assert status == 400 and body["error"] == "SEC-AUTH-010", body
    assert "'none'" in body["detail"]


def test_a_token_signed_with_hmac_over_the_public_certificate_is_refused(held, anonymous):
    # The classic confusion: the verifier's "key" (the certificate, public) as an HMAC secret.
    certificate, _ = held("rsa-2048")
    token = hmac_token(certificate["certificate"])
    status, body, _ = anonymous.submit(revoke_body(certificate), token)
    assert status == 400 and body["error"] == "SEC-AUTH-010", body
    assert not row(certificate).revoked


@pytest.mark.parametrize(
    ("key_type", "algorithm"),
    [("ec-secp256r1", "ES384"), ("ec-secp384r1", "ES256"), ("ed-25519", "ES256")],
)
def test_an_algorithm_that_does_not_fit_the_key_is_refused(held, anonymous, key_type, algorithm):
    certificate, _ = held(key_type)
    # A key that can sign with that algorithm; the certificate's key cannot.
    signer = generate_private_key({"ES256": "ec-secp256r1", "ES384": "ec-secp384r1"}[algorithm])
    token = proof(certificate, signer, algorithm=algorithm)
    status, body, _ = anonymous.submit(revoke_body(certificate), token)
    assert status == 400 and body["error"] == "SEC-AUTH-010", body
    assert "does not fit" in body["detail"]


@pytest.mark.parametrize("algorithm", ["PS256", "RS512"])
def test_every_rsa_signature_algorithm_of_jws_is_accepted(held, anonymous, algorithm):
    certificate, key = held("rsa-2048")
    token = proof(certificate, key, algorithm=algorithm)
    status, body, _ = anonymous.submit(revoke_body(certificate), token)
    assert status == 201, body


@pytest.mark.parametrize(
    "token",
    [" ", "garbage", "a.b.c", "e30.e30.", "x" * 20_000],
    ids=["blank", "one-word", "three-words", "empty-json", "huge"],
)
def test_a_malformed_token_is_refused_as_an_invalid_jwt(held, anonymous, token):
    certificate, _ = held()
    status, body, _ = anonymous.submit(revoke_body(certificate), token)
    assert status == 400 and body["error"] == "SEC-AUTH-010", body
    assert body["message"] == "Invalid Jwt Token"


def test_an_empty_header_is_no_credential_at_all(held, anonymous):
    certificate, _ = held()
    status, body, _ = anonymous.submit(revoke_body(certificate), "")
    assert status == 401 and body["error"] == "SEC-AUTH-009", body


def test_a_token_whose_subject_is_not_a_certificate_is_refused(held, anonymous):
    certificate, key = held()
    status, body, _ = anonymous.submit(revoke_body(certificate), proof(certificate, key, sub="me"))
    assert status == 400 and body["error"] == "SEC-AUTH-010", body


# --- freshness and replay ----------------------------------------------------------------------


def test_a_token_is_single_use(held, anonymous):
    certificate, key = held()
    token = proof(certificate, key)
    body = update_body(certificate, labels=[{"label": "env", "value": "dev"}])
    assert anonymous.submit(body, token)[0] == 201
    body = update_body(certificate, labels=[{"label": "env", "value": "prod"}])
    status, answer, response = anonymous.submit(body, token)
    assert status == 400 and answer["error"] == "SEC-AUTH-010", answer
    assert "used already" in answer["detail"] and response["Replay-Nonce"]
    assert row(certificate).labels == [{"key": "env", "value": "dev"}]


def test_a_token_replayed_with_a_re_randomized_ecdsa_signature_is_still_a_replay(held, anonymous):
    certificate, key = held("ec-secp256r1")
    token = proof(certificate, key)
    assert (
        anonymous.submit(
            update_body(certificate, labels=[{"label": "env", "value": "dev"}]), token
        )[0]
        == 201
    )
    twin = malleated(token)
    assert twin != token
    status, answer, _ = anonymous.submit(revoke_body(certificate), twin)
    assert status == 400 and "used already" in answer["detail"], answer
    assert not row(certificate).revoked


def test_tokens_with_distinct_jti_are_distinct_and_a_jti_is_single_use(held, anonymous):
    certificate, key = held()
    now = time.time()
    first = proof(certificate, key, now=now, jti="one")
    second = proof(certificate, key, now=now, jti="two")
    assert (
        anonymous.submit(
            update_body(certificate, labels=[{"label": "env", "value": "dev"}]), first
        )[0]
        == 201
    )
    assert (
        anonymous.submit(
            update_body(certificate, labels=[{"label": "env", "value": "prod"}]), second
        )[0]
        == 201
    )
    again = proof(certificate, key, now=now + 1, jti="one")
    status, answer, _ = anonymous.submit(revoke_body(certificate), again)
    assert status == 400 and "used already" in answer["detail"], answer


def test_a_stale_token_gets_a_nonce_that_works_once(held, anonymous):
    certificate, key = held()
    an_hour_ago = time.time() - 3600  # the client's clock is an hour late
    dev = update_body(certificate, labels=[{"label": "env", "value": "dev"}])
    status, answer, response = anonymous.submit(dev, proof(certificate, key, now=an_hour_ago))
    assert status == 400 and answer["error"] == "SEC-AUTH-010", answer
    assert "expired" in answer["detail"] and response["Cache-Control"] == "no-store"
    nonce = response["Replay-Nonce"]
    # The retry carries the nonce; its own (late) clock no longer matters.
    retry = proof(certificate, key, now=an_hour_ago, nonce=nonce)
    status, answer, _ = anonymous.submit(dev, retry)
    assert status == 201 and answer["status"] == "completed", answer
    # The nonce is spent: another token with it is refused, with another nonce.
    reuse = proof(certificate, key, now=an_hour_ago, nonce=nonce, jti="another")
    prod = update_body(certificate, labels=[{"label": "env", "value": "prod"}])
    status, answer, response = anonymous.submit(prod, reuse)
    assert status == 400 and "nonce was used already" in answer["detail"], answer
    assert response["Replay-Nonce"] != nonce
    assert row(certificate).labels == [{"key": "env", "value": "dev"}]


def test_a_nonce_is_single_use_even_in_a_fresh_token(held, anonymous):
    certificate, key = held()
    nonce = pop.new_nonce()
    body = update_body(certificate, labels=[{"label": "env", "value": "dev"}])
    assert anonymous.submit(body, proof(certificate, key, nonce=nonce, jti="a"))[0] == 201
    body = update_body(certificate, labels=[{"label": "env", "value": "prod"}])
    status, answer, response = anonymous.submit(body, proof(certificate, key, nonce=nonce, jti="b"))
    assert status == 400 and "nonce was used already" in answer["detail"], answer
    assert response["Replay-Nonce"] != nonce


@pytest.mark.parametrize(
    "nonce",
    [
        "forged-nonce",
        pop.new_nonce()[:-2] + "AA",  # its MAC broken
        pop.new_nonce(now=time.time() - 3600),  # issued an hour ago
    ],
    ids=["not-ours", "tampered", "expired"],
)
def test_a_nonce_the_portal_did_not_issue_or_that_expired_is_refused(held, anonymous, nonce):
    certificate, key = held()
    status, answer, response = anonymous.submit(
        revoke_body(certificate), proof(certificate, key, nonce=nonce)
    )
    assert status == 400 and answer["error"] == "SEC-AUTH-010", answer
    assert "nonce" in answer["detail"] and response["Replay-Nonce"]
    assert not row(certificate).revoked


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"now": time.time() + 3600}, "future"),
        ({"lifetime": 3600}, "more than 300 s"),
        ({"iat": None, "exp": None}, "needs iat and exp"),
        ({"now": time.time() - 120}, "expired"),
    ],
    ids=["from-the-future", "long-lived", "timeless", "two-minutes-old"],
)
def test_a_token_that_is_not_fresh_is_refused_with_a_nonce(held, anonymous, options, why):
    certificate, key = held()
    status, answer, response = anonymous.submit(
        revoke_body(certificate), proof(certificate, key, **options)
    )
    assert status == 400 and answer["error"] == "SEC-AUTH-010", answer
    assert why in answer["detail"] and pop.nonce_bytes(response["Replay-Nonce"]), answer


def test_a_token_a_little_out_of_step_with_the_portals_clock_is_accepted(held, anonymous):
    certificate, key = held()
    status, answer, _ = anonymous.submit(
        revoke_body(certificate), proof(certificate, key, now=time.time() + 30)
    )
    assert status == 201, answer


def test_spent_tokens_are_forgotten_once_they_would_be_stale_anyway(held, anonymous):
    from requests_app.housekeeping import purge_spent_tokens

    certificate, key = held()
    assert anonymous.submit(revoke_body(certificate), proof(certificate, key))[0] == 201
    assert SpentToken.objects.count() == 1
    assert purge_spent_tokens() == 0
    assert purge_spent_tokens(timezone.now() + dt.timedelta(minutes=10)) == 1


# --- with an account's credentials too --------------------------------------------------------


def test_beside_api_credentials_the_account_is_the_caller_and_the_proof_adds_its_rights(
    held, requester
):
    # The requester holds only `request` on revoke: alone, the revocation would wait.
    certificate, key = held()
    with_key = PopApi(Api(requester).headers)
    status, body, _ = with_key.submit(revoke_body(certificate), proof(certificate, key))
    assert status == 201 and body["status"] == "completed", body
    assert body["requester"] == "requester" and body["approver"] == "requester"
    event = AuditEvent.objects.get(action="request.submit.revoke")
    assert event.actor.username == "requester"
    assert event.detail["proofCertificate"] == certificate["serial"]


def test_an_account_that_may_not_see_the_certificate_acts_on_it_with_a_proof(held, outsider):
    certificate, key = held()
    with_key = PopApi(Api(outsider).headers)
    assert with_key.submit(revoke_body(certificate), None)[0] == 400  # not even visible
    status, body, _ = with_key.submit(revoke_body(certificate), proof(certificate, key))
    assert status == 201 and body["requester"] == "outsider", body


def test_beside_api_credentials_a_bad_proof_refuses_the_call(held, approver):
    certificate, _ = held()
    with_key = PopApi(Api(approver).headers)
    token = proof(certificate, generate_private_key("ec-secp256r1"))
    status, body, _ = with_key.submit(revoke_body(certificate), token)
    assert status == 400 and body["error"] == "SEC-AUTH-010", body
    assert not row(certificate).revoked


# --- nothing else opens to a proof ------------------------------------------------------------


def test_a_proof_opens_no_other_endpoint(held, anonymous, approver_api):
    certificate, key = held()
    status, answer, _ = anonymous.submit(revoke_body(certificate), proof(certificate, key))
    assert status == 201, answer
    for path in (
        f"/api/v1/requests/{answer['_id']}",
        f"/api/v1/certificates/{certificate['_id']}",
        "/api/v1/security/principals/self",
    ):
        status, body = anonymous.get(path, proof(certificate, key))
        assert status == 401 and body["error"] == "SEC-AUTH-009", (path, body)
    search = anonymous.client.post(
        "/api/v1/requests/search",
        {"query": "status equals completed"},
        format="json",
        HTTP_X_JWT_CERT_POP=proof(certificate, key),
    )
    assert search.status_code == 401, search.content


def test_nobody_without_an_account_is_the_requester_of_a_request_filed_by_proof(
    held, anonymous, outsider_api
):
    certificate, key = held()
    status, answer, _ = anonymous.submit(
        renew_body(certificate) | {"password": {"value": PASSWORD}}, proof(certificate, key)
    )
    assert status == 201, answer
    request = Request.objects.get(pk=answer["_id"])
    for nobody in (AnonymousUser(), pop.PopPrincipal(pop.PopProof(row(certificate)))):
        assert not request.is_requested_by(nobody)
        assert not request.has_secrets_for(nobody)
        assert not Request.objects.visible_to(nobody).exists()
        assert not Request.objects.mine(nobody).exists()
        assert not Request.objects.with_secrets_for(nobody).exists()
    # Outsiders get 404, as for any request they may not see; nobody gets the key again.
    assert outsider_api.get(f"/api/v1/requests/{answer['_id']}")[0] == 404
    assert PopApi().get(f"/api/v1/requests/{answer['_id']}")[0] == 401


def test_an_approver_reads_a_request_filed_by_proof_with_the_certificates_dn_as_requester(
    held, anonymous, approver_api
):
    certificate, key = held()
    status, answer, _ = anonymous.submit(revoke_body(certificate), proof(certificate, key))
    assert status == 201, answer
    status, body = approver_api.get(f"/api/v1/requests/{answer['_id']}")
    assert status == 200 and body["requester"] == certificate["dn"], body
    assert body["status"] == Status.COMPLETED and "pkcs12" not in body
    status, found = approver_api.post(
        "/api/v1/requests/search", {"query": "workflow equals revoke", "withCount": True}
    )
    assert status == 200 and [r["requester"] for r in found["results"]] == [certificate["dn"]]


def test_the_audit_log_names_the_certificate_that_proved_possession(held, anonymous):
    certificate, key = held()
    status, answer, _ = anonymous.submit(revoke_body(certificate), proof(certificate, key))
    assert status == 201, answer
    events = AuditEvent.objects.filter(action__in=["request.submit.revoke", "certificate.revoke"])
    assert events.count() == 2
    for event in events:
        assert event.actor is None, event
        assert event.detail["principal"] == certificate["dn"], event.detail
        assert event.detail["authentication"] == "proof of possession"
        assert event.detail["proofCertificate"] == certificate["serial"]


def test_the_trust_chain_of_a_renewed_certificate_is_open_without_credentials(held, anonymous):
    from urllib.parse import quote

    certificate, key = held()
    status, answer, _ = anonymous.submit(
        renew_body(certificate) | {"password": {"value": PASSWORD}}, proof(certificate, key)
    )
    assert status == 201, answer
    pem = answer["certificate"]["certificate"]
    status, chain = anonymous.get("/api/v1/rfc5280/tc/" + quote(pem, safe=""))
    assert status == 200 and len(chain) == 3, chain
    # Credentials that are sent are still checked.
    wrong = PopApi({"HTTP_X_API_ID": "approver", "HTTP_X_API_KEY": "wrong"})
    assert wrong.get("/api/v1/rfc5280/tc/" + quote(pem, safe=""))[0] == 401


def test_an_rsa_proof_verifies_as_rsa_does(held):
    # The token's signature is the certificate key's: checked here without the portal.
    certificate, key = held("rsa-2048")
    token = proof(certificate, key)
    signed, signature = token.rsplit(".", 1)
    parsed = x509.load_pem_x509_certificate(certificate["certificate"].encode())
    parsed.public_key().verify(
        unb64url(signature), signed.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_two_workers_cannot_both_spend_one_token(held):
    certificate, key = held()
    token = proof(certificate, key)
    assert pop.verify_token(token).certificate.pk == row(certificate).pk
    with pytest.raises(Exception) as refused:
        pop.verify_token(token)
    assert refused.value.code == "SEC-AUTH-010" and "used already" in refused.value.detail


def test_users_are_no_requesters_of_proof_requests_on_pages(held, anonymous, client, approver):
    certificate, key = held()
    status, answer, _ = anonymous.submit(revoke_body(certificate), proof(certificate, key))
    assert status == 201, answer
    client.force_login(approver)
    page = client.get(f"/requests/{answer['_id']}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert certificate["dn"] in text and "proof of possession" in text
    page = client.get(f"/certificates/{certificate['_id']}/")
    assert page.status_code == 200 and "by " + certificate["dn"] in page.content.decode()
