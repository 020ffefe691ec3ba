"""WebRA import of a certificate the portal already holds on no profile — found by a discovery
campaign — named by ``certificateId`` without ``certificatePem`` (Horizon's
WebRAImportRequestOnSubmit allows it): its private key joins it when the profile escrows, and
the certificate joins the profile, as the Ansible suite's horizon_certificate_import does."""

import json

import pytest
from horizon.models.request_submit_request import RequestSubmitRequest

from certificates.models import Certificate, EscrowedKey
from certificates.pki.fingerprints import thumbprint
from certificates.trust_chain import load_certificate_text
from profiles.models import Grant
from raportal.models import AuditEvent
from requests_app.models import Request
from tests.discovery.helpers import FEED, feed_body, make_campaign, self_signed
from tests.factories import ProfileFactory, UserFactory


@pytest.fixture
def staff(db):
    return UserFactory(username="admin", is_staff=True)


@pytest.fixture
def fed(staff, api_as):
    """Feeds a self-signed certificate to campaign Ansible; returns (row, key PEM, key)."""
    make_campaign("Ansible", search_level="authenticated")

    def make(cn="key-only.example.com"):
        pem, key_pem, key = self_signed(cn)
        status, body = api_as(staff).post(FEED, feed_body(pem))
        assert status == 204, body
        row = Certificate.objects.get(thumbprint=thumbprint(load_certificate_text(pem)))
        return row, key_pem, key

    return make


def import_held(api, certificate_id, profile="webra-demo", **template) -> tuple[int, dict]:
    """The body horizon_import sends for a key-only import (no certificatePem)."""
    body = {
        "workflow": "import",
        "module": "webra",
        "profile": profile,
        "certificateId": str(certificate_id),
        "template": {"metadata": [], "labels": [], **template},
    }
    RequestSubmitRequest.from_json(json.dumps(body))  # the client's own shape
    return api.submit(body)


def test_a_private_key_is_imported_into_a_fed_certificate_which_joins_the_profile(
    profile, fed, approver, approver_api
):
    row, key_pem, _ = fed()
    status, body = import_held(approver_api, row.pk, privateKey=key_pem)
    assert status == 201 and body["status"] == "completed", body
    certificate = body["certificate"]
    assert certificate["_id"] == str(row.pk) and certificate["certificate"], body
    assert certificate["profile"] == "webra-demo" and certificate["module"] == "webra"
    assert certificate["escrowed"] is True and certificate["owner"] == "approver"
    assert "PRIVATE KEY" not in str(body)
    row.refresh_from_db()
    assert (row.profile, row.owner) == (profile, approver)
    assert EscrowedKey.objects.get().certificate == row
    assert Certificate.objects.count() == 1, "the held certificate, not a new one"
    event = AuditEvent.objects.get(action="certificate.import", object_id=str(row.pk))
    assert event.detail["escrowed"] is True and "profile" in event.detail["changed"]


def test_a_key_that_is_not_the_certificates_is_refused(profile, fed, approver_api):
    row, _, _ = fed()
    _, other_key_pem, _ = self_signed("other.example.com")
    status, body = import_held(approver_api, row.pk, privateKey=other_key_pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert "not the key of this certificate" in body["detail"], body
    row.refresh_from_db()
    assert row.profile is None and not EscrowedKey.objects.exists()


def test_an_escrowing_profile_needs_the_key(profile, fed, approver_api):
    row, _, _ = fed()
    status, body = import_held(approver_api, row.pk)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert "escrows keys" in body["detail"], body


def test_a_profile_that_does_not_escrow_takes_the_certificate_without_its_key(
    profile, fed, approver_api
):
    profile.escrow = False
    profile.save()
    row, _, _ = fed()
    status, body = import_held(approver_api, row.pk)
    assert status == 201 and body["certificate"]["escrowed"] is False, body
    assert body["certificate"]["profile"] == "webra-demo"


def test_the_certificate_must_fit_the_profile(profile, fed, approver_api):
    row, key_pem, _ = fed("not a host name")
    status, body = import_held(approver_api, row.pk, privateKey=key_pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert "does not fit" in body["detail"], body


def test_labels_are_checked_against_the_profile(profile, fed, approver_api):
    row, key_pem, _ = fed()
    status, body = import_held(
        approver_api, row.pk, privateKey=key_pem, labels=[{"label": "env", "value": "moon"}]
    )
    assert (status, body["error"]) == (400, "WEBRA-ENROLL-006"), body
    status, body = import_held(
        approver_api, row.pk, privateKey=key_pem, labels=[{"label": "env", "value": "prod"}]
    )
    assert status == 201 and body["certificate"]["labels"] == [{"key": "env", "value": "prod"}]


def test_a_certificate_on_another_profile_moves_with_migrate_not_import(
    profile, fed, approver_api, pki, approver
):
    row, key_pem, _ = fed()
    other = ProfileFactory(name="other", ca=pki["issuing"])
    Certificate.objects.filter(pk=row.pk).update(profile=other, module="webra")
    status, body = import_held(approver_api, row.pk, privateKey=key_pem)
    # Managed on a profile the approver holds nothing on: outside what they may see.
    assert (status, body["error"]) == (404, "REQ-009"), body
    Grant.objects.create(profile=other, workflow="migrate", level="perform", user=approver)
    status, body = import_held(approver_api, row.pk, privateKey=key_pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert "migrate" in body["detail"], body


def test_a_certificate_whose_key_is_escrowed_already_answers_import_003(profile, fed, approver_api):
    row, key_pem, _ = fed()
    assert import_held(approver_api, row.pk, privateKey=key_pem)[0] == 201
    status, body = import_held(approver_api, row.pk, privateKey=key_pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-003"), body


def test_without_a_profile_a_held_certificate_is_refused(profile, fed, approver_api):
    row, key_pem, _ = fed()
    status, body = import_held(approver_api, row.pk, profile=None, privateKey=key_pem)
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert "name the profile" in body["detail"], body


def test_a_certificate_the_caller_may_not_see_is_not_found(profile, staff, api_as, approver_api):
    make_campaign("hidden")  # searchable by staff only
    pem, key_pem, _ = self_signed("hidden.example.com")
    assert api_as(staff).post(FEED, feed_body(pem, campaign="hidden"))[0] == 204
    row = Certificate.objects.get()
    status, body = import_held(approver_api, row.pk, privateKey=key_pem)
    assert (status, body["error"]) == (404, "REQ-009"), body
    status, body = import_held(approver_api, "4c0d3e8e-0000-4000-8000-000000000000")
    assert (status, body["error"]) == (404, "REQ-009"), body


def test_a_requesters_import_of_a_held_certificate_waits_and_is_done_on_approval(
    profile, fed, requester, requester_api, approver_api
):
    row, key_pem, _ = fed()
    status, pending = import_held(requester_api, row.pk, privateKey=key_pem)
    assert status == 201 and pending["status"] == "pending", pending
    stored = Request.objects.get(pk=pending["_id"])
    assert stored.certificate_id == row.pk and b"PRIVATE" not in bytes(stored.sealed_key)
    row.refresh_from_db()
    assert row.profile is None, "nothing changes before the decision"
    again, body = import_held(requester_api, row.pk, privateKey=key_pem)
    assert (again, body["error"]) == (400, "REQ-002"), body
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status == 200 and body["status"] == "completed", body
    assert body["certificate"]["escrowed"] is True and body["certificate"]["owner"] == "requester"
    row.refresh_from_db()
    assert row.profile == profile and Request.objects.get(pk=pending["_id"]).sealed_key is None


def test_an_import_by_pem_keeps_refusing_a_registered_certificate(profile, fed, approver_api):
    row, key_pem, _ = fed()
    status, body = approver_api.submit(
        {
            "module": "webra",
            "workflow": "import",
            "profile": "webra-demo",
            "certificatePem": row.pem,
            "template": {"privateKey": key_pem},
        }
    )
    assert (status, body["error"]) == (400, "WEBRA-IMPORT-001"), body
    assert "already registered" in body["detail"], body
