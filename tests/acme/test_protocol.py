"""RFC 8555 on the wire, with what certbot never sends: every refusal has the RFC's error
type, a fresh nonce, and changes nothing."""

import base64
import json

import josepy as jose
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from acme_server import validation_jobs
from acme_server.models import (
    AcmeAccount,
    AcmeOrder,
    AuthorizationStatus,
    OrderStatus,
)
from certificates.models import Certificate
from requests_app.models import Request
from requests_app.services import request_approve
from tests.acme.client import AcmeClient, new_key, problem_type
from tests.acme.conftest import acme_profile, free_port
from tests.factories import grant

NAME = "web.acme.test"


@pytest.fixture
def acme(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    assert acme.register().status_code == 201
    return acme


def csr_for(*names: str, key=None, common_name: str | None = None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(subject))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return base64.urlsafe_b64encode(csr.public_bytes(Encoding.DER)).rstrip(b"=").decode()


def ready(order_url: str) -> AcmeOrder:
    """The order as if every name had been validated (the validation is tested apart)."""
    order = AcmeOrder.objects.get(pk=order_url.rsplit("/", 1)[1])
    order.authorizations.update(status=AuthorizationStatus.VALID)
    AcmeOrder.objects.filter(pk=order.pk).update(status=OrderStatus.READY)
    return order


def test_the_directory_names_every_resource_and_says_whether_eab_is_required(client, acme_eab):
    body = client.get("/acme/acme-eab/directory").json()
    assert set(body) >= {"newNonce", "newAccount", "newOrder", "revokeCert", "keyChange"}
    assert body["meta"]["externalAccountRequired"] is True


def test_new_nonce_answers_head_and_get_with_a_nonce_nobody_caches(client, acme_demo):
    head = client.head("/acme/acme-demo/new-nonce")
    get = client.get("/acme/acme-demo/new-nonce")
    assert (head.status_code, get.status_code) == (200, 204)
    assert head["Replay-Nonce"] != get["Replay-Nonce"]
    assert head["Cache-Control"] == "no-store"


def test_an_unknown_profile_is_a_404_problem(client, acme_demo):
    response = client.get("/acme/nope/directory")
    assert response.status_code == 404 and problem_type(response) == "malformed"


def test_a_spent_nonce_is_refused_with_bad_nonce_and_a_fresh_one(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    nonce = acme.nonce()
    url = acme.url("newAccount")
    first = acme.post(url, {"termsOfServiceAgreed": True}, kid=False, nonce=nonce)
    assert first.status_code == 201, first.content
    again = acme.post(url, {"termsOfServiceAgreed": True}, kid=False, nonce=nonce)
    assert again.status_code == 400 and problem_type(again) == "badNonce"
    assert again["Replay-Nonce"]


def test_an_invented_nonce_is_refused(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    response = acme.post(acme.url("newAccount"), {}, kid=False, nonce="bm90LWEtbm9uY2U")
    assert problem_type(response) == "badNonce"
    assert not AcmeAccount.objects.exists()


def test_a_signature_by_another_key_than_the_jwk_is_refused(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    body = acme.jws(acme.url("newAccount"), {"termsOfServiceAgreed": True}, kid=False)
    forged = acme.jws(
        acme.url("newAccount"), {"termsOfServiceAgreed": True}, kid=False, key=new_key()
    )
    # The header (with the first key's jwk) and payload of one, the signature of the other.
    mixed = json.loads(body) | {"signature": json.loads(forged)["signature"]}
    response = client.generic(
        "POST", "/acme/acme-demo/new-account", json.dumps(mixed),
        content_type="application/jose+json",
    )  # fmt: skip
    assert response.status_code == 400 and problem_type(response) == "malformed"
    assert "signature" in response.json()["detail"]
    assert not AcmeAccount.objects.exists()


def test_a_url_header_that_is_not_the_url_requested_is_refused(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    body = acme.jws(acme.url("newOrder"), {"termsOfServiceAgreed": True}, kid=False)
    response = client.generic(
        "POST", "/acme/acme-demo/new-account", body, content_type="application/jose+json"
    )
    assert response.status_code == 403 and problem_type(response) == "unauthorized"
    assert not AcmeAccount.objects.exists()


def test_a_mac_algorithm_is_refused_with_the_algorithms_accepted(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    secret = jose.JWKOct(key=b"0" * 32)
    body = acme.jws(acme.url("newAccount"), {}, kid=False, key=secret, alg=jose.HS256)
    response = client.generic(
        "POST", "/acme/acme-demo/new-account", body, content_type="application/jose+json"
    )
    assert problem_type(response) == "badSignatureAlgorithm"
    assert "ES256" in response.json()["algorithms"]


def test_a_body_that_is_not_jose_json_is_refused(client, acme_demo):
    response = client.post("/acme/acme-demo/new-account", "{}", content_type="application/json")
    assert response.status_code == 415 and problem_type(response) == "malformed"


def test_resources_are_read_with_post_as_get_not_get(client, acme):
    order = acme.order(NAME)
    response = client.get(order["Location"].removeprefix("http://testserver"))
    assert response.status_code == 405 and problem_type(response) == "malformed"


def test_only_return_existing_finds_no_account_for_an_unknown_key(client, acme_demo):
    acme = AcmeClient(client, acme_demo.name)
    response = acme.post(acme.url("newAccount"), {"onlyReturnExisting": True}, kid=False)
    assert response.status_code == 400 and problem_type(response) == "accountDoesNotExist"


def test_new_account_with_an_existing_key_answers_that_account(client, acme):
    response = acme.post(acme.url("newAccount"), {"onlyReturnExisting": True}, kid=False)
    assert response.status_code == 200 and response["Location"] == acme.kid


def test_the_server_requires_external_account_binding_where_the_profile_says_so(client, acme_eab):
    response = AcmeClient(client, acme_eab.name).register()
    assert response.status_code == 400 and problem_type(response) == "externalAccountRequired"
    assert not AcmeAccount.objects.exists()


def test_a_name_the_profile_refuses_is_a_rejected_identifier_and_no_order(acme):
    response = acme.order("www.example.com")
    assert response.status_code == 400 and problem_type(response) == "rejectedIdentifier"
    assert "DNSNAME" in response.json()["detail"] or "example.com" in response.json()["detail"]
    assert not AcmeOrder.objects.exists()


def test_an_ip_identifier_is_not_supported(acme):
    response = acme.post(
        acme.url("newOrder"), {"identifiers": [{"type": "ip", "value": "192.0.2.1"}]}
    )
    assert problem_type(response) == "unsupportedIdentifier"


def test_an_order_has_one_authorization_per_name_with_the_profile_challenges(acme):
    response = acme.order(NAME, "*.acme.test")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "pending" and len(order["authorizations"]) == 2
    kinds = {}
    for url in order["authorizations"]:
        authz = acme.post(url).json()
        kinds[(authz["identifier"]["value"], authz.get("wildcard", False))] = sorted(
            c["type"] for c in authz["challenges"]
        )
    assert kinds == {
        (NAME, False): ["dns-01", "http-01"],
        ("acme.test", True): ["dns-01"],  # a wildcard is proven in the DNS only
    }


def test_finalize_before_validation_is_order_not_ready_and_issues_nothing(acme):
    order = acme.order(NAME).json()
    response = acme.post(order["finalize"], {"csr": csr_for(NAME)})
    assert response.status_code == 403 and problem_type(response) == "orderNotReady"
    assert not Request.objects.exists() and not Certificate.objects.exists()


def test_a_csr_naming_a_domain_not_in_the_order_is_a_bad_csr(acme):
    created = acme.order(NAME)
    ready(created["Location"])
    response = acme.post(created.json()["finalize"], {"csr": csr_for(NAME, "other.acme.test")})
    assert response.status_code == 400 and problem_type(response) == "badCSR"
    assert "other.acme.test" in response.json()["detail"]
    assert not Request.objects.exists() and not Certificate.objects.exists()


def test_a_csr_with_the_account_key_is_a_bad_csr(acme):
    created = acme.order(NAME)
    ready(created["Location"])
    response = acme.post(
        created.json()["finalize"], {"csr": csr_for(NAME, key=acme.key.key._wrapped)}
    )
    assert problem_type(response) == "badCSR"
    assert not Certificate.objects.exists()


def test_a_ready_order_is_issued_at_once_where_the_profile_lets_unbound_accounts_perform(acme):
    created = acme.order(NAME)
    ready(created["Location"])
    response = acme.post(created.json()["finalize"], {"csr": csr_for(NAME)})
    assert response.status_code == 200, response.content
    order = response.json()
    assert order["status"] == "valid"
    chain = acme.post(order["certificate"])
    assert chain["Content-Type"] == "application/pem-certificate-chain"
    pems = x509.load_pem_x509_certificates(chain.content)
    assert len(pems) == 2  # the leaf and its issuing CA; the root is in the alternate
    assert 'rel="alternate"' in chain["Link"] and 'rel="index"' in chain["Link"]
    alternate = chain["Link"].split(">")[0].lstrip("<")
    assert len(x509.load_pem_x509_certificates(acme.post(alternate).content)) == 3


def test_an_order_needing_approval_stays_processing_until_an_approver_decides(
    client, pki, approver
):
    profile = acme_profile(pki, "acme-approved", acme_unbound_level="request")
    grant(profile, approver, "perform")
    acme = AcmeClient(client, profile.name)
    acme.register()
    created = acme.order(NAME)
    ready(created["Location"])
    response = acme.post(created.json()["finalize"], {"csr": csr_for(NAME)})
    assert response.json()["status"] == "processing", response.content
    assert response["Retry-After"]
    request = Request.objects.get()
    assert (request.module, request.status) == ("acme", "pending")

    request_approve(approver, request.pk)
    order = acme.post(created["Location"]).json()
    assert order["status"] == "valid" and "certificate" in order


def test_an_order_an_approver_denies_becomes_invalid(client, pki, approver):
    from requests_app.services import request_deny

    profile = acme_profile(pki, "acme-denied", acme_unbound_level="request")
    grant(profile, approver, "perform")
    acme = AcmeClient(client, profile.name)
    acme.register()
    created = acme.order(NAME)
    ready(created["Location"])
    acme.post(created.json()["finalize"], {"csr": csr_for(NAME)})
    request_deny(approver, Request.objects.get().pk)
    order = acme.post(created["Location"]).json()
    assert order["status"] == "invalid"
    assert order["error"]["type"] == "urn:ietf:params:acme:error:unauthorized"


def test_an_unbound_account_cannot_order_where_the_profile_opens_nothing(client, pki):
    profile = acme_profile(pki, "acme-closed", acme_unbound_level="")
    acme = AcmeClient(client, profile.name)
    acme.register()
    created = acme.order(NAME)
    ready(created["Location"])
    response = acme.post(created.json()["finalize"], {"csr": csr_for(NAME)})
    assert response.status_code == 403 and problem_type(response) == "unauthorized"
    assert not Request.objects.exists()


def test_a_failed_challenge_makes_the_order_invalid_and_issues_nothing(
    acme, acme_demo, settings, monkeypatch
):
    settings.RAPORTAL_ACME_HTTP_PORT = free_port()  # nobody answers there
    settings.RAPORTAL_ACME_RESOLVE = {"*": "127.0.0.1"}
    acme_demo.acme_verify_retry_count = 1
    acme_demo.save()
    queued = []  # the attempt runs here, in the test, instead of in the background
    monkeypatch.setattr("acme_server.orders.schedule_validation", lambda *a: queued.append(a))
    created = acme.order(NAME)
    order = created.json()
    authz = acme.post(order["authorizations"][0]).json()
    http01 = next(c for c in authz["challenges"] if c["type"] == "http-01")
    answered = acme.post(http01["url"], {})
    assert answered.json()["status"] == "processing"
    assert 'rel="up"' in answered["Link"]

    challenge_id = http01["url"].rsplit("/", 1)[1]
    assert validation_jobs.attempt(challenge_id) == "invalid"
    challenge = acme.post(http01["url"]).json()
    assert challenge["status"] == "invalid"
    assert challenge["error"]["type"] == "urn:ietf:params:acme:error:connection"
    assert acme.post(order["authorizations"][0]).json()["status"] == "invalid"
    order = acme.post(created["Location"]).json()
    assert order["status"] == "invalid" and order["error"]["type"].endswith(":connection")
    response = acme.post(order["finalize"], {"csr": csr_for(NAME)})
    assert problem_type(response) == "orderNotReady"
    assert not Certificate.objects.exists()


def test_another_account_cannot_read_an_order(client, acme, acme_demo):
    created = acme.order(NAME)
    other = AcmeClient(client, acme_demo.name)
    other.register()
    response = other.post(created["Location"])
    assert response.status_code == 404


def test_orders_per_account_are_rate_limited(acme, settings):
    settings.RAPORTAL_ACME_ORDERS_PER_HOUR = 1
    assert acme.order(NAME).status_code == 201
    response = acme.order(NAME)
    assert response.status_code == 429 and problem_type(response) == "rateLimited"
    assert response["Retry-After"]


def test_a_deactivated_account_can_do_nothing_more(acme):
    assert acme.post(acme.kid, {"status": "deactivated"}).json()["status"] == "deactivated"
    response = acme.order(NAME)
    assert response.status_code == 401 and problem_type(response) == "unauthorized"


def test_key_change_moves_the_account_to_the_new_key(acme):
    new = new_key()
    url = acme.url("keyChange")
    inner = acme.jws(url, {"account": acme.kid, "oldKey": acme.key.public_key().to_json()},
                     kid=False, key=new, nonce="")  # fmt: skip
    response = acme.post(url, json.loads(inner))
    assert response.status_code == 200, response.content
    old = acme.order(NAME)  # the old key signs nothing any more
    assert old.status_code == 400 and problem_type(old) == "malformed", old.content
    acme.key = new
    assert acme.order(NAME).status_code == 201


def test_revoke_cert_by_the_certificate_key_and_then_already_revoked(acme):
    key = ec.generate_private_key(ec.SECP256R1())
    created = acme.order(NAME)
    ready(created["Location"])
    order = acme.post(created.json()["finalize"], {"csr": csr_for(NAME, key=key)}).json()
    leaf = x509.load_pem_x509_certificates(acme.post(order["certificate"]).content)[0]
    der = base64.urlsafe_b64encode(leaf.public_bytes(Encoding.DER)).rstrip(b"=").decode()
    url = acme.url("revokeCert")
    certificate_key = jose.JWKEC(key=key)
    response = acme.post(url, {"certificate": der, "reason": 1}, kid=False, key=certificate_key)
    assert response.status_code == 200, response.content
    row = Certificate.objects.get()
    assert row.revoked and row.revocation_reason == "keycompromise"
    again = acme.post(url, {"certificate": der}, kid=False, key=certificate_key)
    assert problem_type(again) == "alreadyRevoked"


def test_revoke_cert_by_an_account_that_has_nothing_to_do_with_it_is_unauthorized(
    client, acme, acme_demo
):
    created = acme.order(NAME)
    ready(created["Location"])
    order = acme.post(created.json()["finalize"], {"csr": csr_for(NAME)}).json()
    leaf = x509.load_pem_x509_certificates(acme.post(order["certificate"]).content)[0]
    der = base64.urlsafe_b64encode(leaf.public_bytes(Encoding.DER)).rstrip(b"=").decode()
    other = AcmeClient(client, acme_demo.name)
    other.register()
    response = other.post(other.url("revokeCert"), {"certificate": der})
    assert response.status_code == 403 and problem_type(response) == "unauthorized"
    assert not Certificate.objects.get().revoked


def test_an_unsupported_revocation_reason_is_refused_and_revokes_nothing(acme):
    created = acme.order(NAME)
    ready(created["Location"])
    order = acme.post(created.json()["finalize"], {"csr": csr_for(NAME)}).json()
    leaf = x509.load_pem_x509_certificates(acme.post(order["certificate"]).content)[0]
    der = base64.urlsafe_b64encode(leaf.public_bytes(Encoding.DER)).rstrip(b"=").decode()
    for reason in (6, 8, "1", True):  # certificateHold, removeFromCRL, not integers
        response = acme.post(acme.url("revokeCert"), {"certificate": der, "reason": reason})
        assert problem_type(response) == "badRevocationReason", response.content
    assert not Certificate.objects.get().revoked


def test_acme_requests_cannot_be_filed_through_the_rest_api(requester, requester_api, acme_demo):
    grant(acme_demo, requester, "perform")
    status, answer = requester_api.submit(
        {"module": "acme", "workflow": "enroll", "profile": acme_demo.name,
         "template": {"csr": "x"}}
    )  # fmt: skip
    assert status == 400, answer
    assert not Request.objects.exists()


def test_revoke_cert_refuses_a_certificate_another_profile_issued(acme, issue):
    issued = issue("web.example.com")
    leaf = x509.load_pem_x509_certificate(issued["certificate"].encode())
    der = base64.urlsafe_b64encode(leaf.public_bytes(Encoding.DER)).rstrip(b"=").decode()
    response = acme.post(acme.url("revokeCert"), {"certificate": der})
    assert response.status_code == 403 and problem_type(response) == "unauthorized"
    assert not Certificate.objects.get(pk=issued["_id"]).revoked
