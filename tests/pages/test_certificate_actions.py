"""The actions a certificate's page offers (issue 17): a button only for what applies to the
certificate now; for the rest, the reason in the words the services refuse with; without a
grant, not listed at all."""

import datetime as dt

import pytest
from django.utils import timezone

from certificates.models import Certificate
from requests_app.models import Request
from tests.factories import ProfileFactory, grant

REVOKED_UPDATE = "The certificate is revoked, so its labels, owner, team and contact email stay."
REVOKED_MOVE = "The certificate is revoked, so it stays on its profile."
NOT_KEPT = "This key was not kept, so it cannot be recovered."


@pytest.fixture
def alt(pki, approver, requester):
    """Another profile the certificate could move to."""
    other = ProfileFactory(name="webra-alt", display_name="Alternative servers", ca=pki["issuing"])
    grant(other, approver, "perform", "migrate")
    grant(other, requester, "request", "migrate")
    return other


def mine(issue, user, **kwargs):
    certificate = issue(**kwargs)
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=user)
    return certificate["_id"]


def revoke(certificate_id):
    Certificate.objects.filter(pk=certificate_id).update(revocation_date=timezone.now())


def expire(certificate_id):
    Certificate.objects.filter(pk=certificate_id).update(
        not_after=timezone.now() - dt.timedelta(days=1)
    )


def actions(client, certificate_id):
    response = client.get(f"/certificates/{certificate_id}/")
    assert response.status_code == 200
    return {a.workflow: a for a in response.context["actions"]}, response.content.decode()


def test_a_revoked_certificate_offers_no_update_nor_move_and_says_why(issue, approver, alt, client):
    certificate = mine(issue, approver, centralized=True)
    revoke(certificate)
    client.force_login(approver)
    offered, page = actions(client, certificate)
    # Its kept key may still be recovered (what it encrypted stays readable): only that.
    assert [w for w, action in offered.items() if action.allowed] == ["recover"], offered
    assert offered["update"].reason == REVOKED_UPDATE, offered
    assert offered["migrate"].reason == REVOKED_MOVE, offered
    assert offered["renew"].reason == "A revoked certificate cannot be renewed.", offered
    assert offered["revoke"].reason.startswith("Certificate is already revoked"), offered
    for workflow in ("update", "migrate", "renew", "revoke"):
        assert f"/{workflow}/" not in page, page  # no button, no link
    assert f"Move to another profile</span>: {REVOKED_MOVE}" in page, page


def test_an_expired_certificate_offers_no_update_nor_renewal_and_says_why(
    issue, approver, alt, client
):
    certificate = mine(issue, approver)
    expire(certificate)
    client.force_login(approver)
    offered, page = actions(client, certificate)
    assert offered["update"].reason == (
        "The certificate has expired, so its labels, owner, team and contact email stay."
    ), offered
    assert offered["migrate"].reason == "The certificate has expired, so it stays on its profile."
    assert "enroll a new one" in offered["renew"].reason, offered
    assert "/update/" not in page and "/migrate/" not in page and "/renew/" not in page, page


def test_a_key_that_was_not_kept_is_never_offered_for_recovery(issue, approver, client):
    certificate = mine(issue, approver)  # from a CSR: the portal never had the key
    client.force_login(approver)
    offered, page = actions(client, certificate)
    assert offered["recover"].reason == NOT_KEPT and not offered["recover"].allowed, offered
    assert "/recover/" not in page and NOT_KEPT in page, page
    action_page = client.get(f"/certificates/{certificate}/recover/").content.decode()
    assert NOT_KEPT in action_page and "Not now" not in action_page, action_page
    assert 'name="password"' not in action_page, action_page


def test_a_valid_certificate_offers_each_action_as_a_button(issue, approver, alt, client):
    certificate = mine(issue, approver, centralized=True)
    Certificate.objects.filter(pk=certificate).update(
        not_after=timezone.now() + dt.timedelta(days=5)
    )
    client.force_login(approver)
    offered, page = actions(client, certificate)
    assert all(action.allowed for action in offered.values()), offered
    for workflow in ("renew", "revoke", "update", "recover", "migrate"):
        assert f'href="/certificates/{certificate}/{workflow}/"' in page, page
    assert "Not available for this certificate" not in page, page


def test_an_action_without_a_grant_is_not_listed_at_all(issue, approver, pki, client):
    from tests.factories import UserFactory

    holder = UserFactory(username="holder")
    certificate = mine(issue, holder)
    profile = Certificate.objects.get(pk=certificate).profile
    grant(profile, holder, "request", "revoke")
    revoke(certificate)
    client.force_login(holder)
    offered, page = actions(client, certificate)
    assert list(offered) == ["revoke"], offered
    assert "Update" not in page and "Move to another profile" not in page, page
    assert "Recover the key" not in page, page


def test_submitting_an_action_that_does_not_apply_changes_nothing(issue, approver, client):
    certificate = mine(issue, approver)
    revoke(certificate)
    client.force_login(approver)
    response = client.post(
        f"/certificates/{certificate}/update/",
        {"label_env": "prod", "team": "", "contact_email": "ops@example.com"},
    )
    assert response.status_code == 200 and REVOKED_UPDATE in response.content.decode()
    assert Certificate.objects.get(pk=certificate).labels == []
    assert not Request.objects.filter(workflow="update").exists()


def test_the_api_refuses_to_update_a_revoked_certificate_with_the_page_s_reason(
    issue, approver, approver_api
):
    certificate = mine(issue, approver)
    revoke(certificate)
    status, body = approver_api.submit(
        {
            "module": "webra",
            "workflow": "update",
            "certificateId": certificate,
            "template": {"contactEmail": {"value": "ops@example.com"}},
        }
    )
    assert (status, body["error"]) == (400, "REQ-002"), body
    assert body["detail"] == REVOKED_UPDATE[0].lower() + REVOKED_UPDATE[1:-1], body


def test_the_api_refuses_to_move_a_revoked_certificate(issue, approver, alt, approver_api):
    certificate = mine(issue, approver)
    revoke(certificate)
    status, body = approver_api.submit(
        {
            "module": "webra",
            "workflow": "migrate",
            "certificateId": certificate,
            "profile": alt.name,
        }
    )
    assert (status, body["error"]) == (400, "REQ-002"), body
    assert body["detail"] == "the certificate is revoked, so it stays on its profile", body


def test_a_pending_update_is_not_approved_once_its_certificate_is_revoked(
    issue, requester, approver_api, requester_api
):
    certificate = mine(issue, requester)
    status, pending = requester_api.submit(
        {
            "module": "webra",
            "workflow": "update",
            "certificateId": certificate,
            "template": {"contactEmail": {"value": "ops@example.com"}},
        }
    )
    assert status == 201 and pending["status"] == "pending", pending
    revoke(certificate)
    status, body = approver_api.post(
        "/api/v1/requests/approve", {"_id": pending["_id"], "module": "webra", "workflow": "update"}
    )
    assert (status, body["error"]) == (400, "REQ-002"), body
    assert Certificate.objects.get(pk=certificate).contact_email != "ops@example.com"


def test_when_no_action_applies_the_page_says_so_and_lists_why_for_each(issue, approver, client):
    certificate = mine(issue, approver)  # from a CSR: no key kept
    revoke(certificate)
    client.force_login(approver)
    offered, page = actions(client, certificate)
    assert offered and not any(action.allowed for action in offered.values()), offered
    assert "None of them applies to this certificate." in page, page
    assert page.count('<li class="mb-2" data-action=') == len(offered), page
