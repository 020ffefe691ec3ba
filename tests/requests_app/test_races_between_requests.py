"""What happens to a pending request when its certificate changes before the decision."""

import pytest

from certificates.models import Certificate
from tests.factories import ProfileFactory, TeamFactory, grant


@pytest.fixture
def elsewhere(pki, approver):
    """A profile the approver has no grant on."""
    return ProfileFactory(name="elsewhere", ca=pki["issuing"])


@pytest.mark.parametrize(
    ("workflow", "extra"),
    [
        ("revoke", {"template": {"revocationReason": "superseded"}}),
        ("update", {"template": {"labels": [{"label": "env", "value": "dev"}]}}),
    ],
)
def test_a_request_whose_certificate_moved_to_another_profile_cannot_be_approved(
    issue, requester, requester_api, approver_api, elsewhere, workflow, extra
):
    certificate = issue(owned_by=requester)
    status, pending = requester_api.submit(
        {"workflow": workflow, "certificateId": certificate["_id"], **extra}
    )
    assert status == 201 and pending["status"] == "pending", pending
    Certificate.objects.filter(pk=certificate["_id"]).update(profile=elsewhere)
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status >= 400, body
    stored = Certificate.objects.get(pk=certificate["_id"])
    assert not stored.revoked and stored.labels == []


def test_a_pending_migration_whose_certificate_moved_cannot_be_approved(
    issue, pki, requester, approver, requester_api, approver_api, elsewhere
):
    alt = ProfileFactory(name="webra-alt", ca=pki["issuing"])
    grant(alt, requester, "request", "migrate")
    grant(alt, approver, "perform", "migrate")
    certificate = issue(owned_by=requester)
    _, pending = requester_api.submit(
        {
            "module": "webra",
            "workflow": "migrate",
            "profile": "webra-alt",
            "certificateId": certificate["_id"],
        }
    )
    Certificate.objects.filter(pk=certificate["_id"]).update(profile=elsewhere)
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status >= 400, body
    assert Certificate.objects.get(pk=certificate["_id"]).profile == elsewhere


def test_an_update_writes_only_what_it_asked_to_change(
    issue, team, requester, requester_api, approver_api
):
    certificate = issue(owned_by=requester)
    _, pending = requester_api.submit(
        {
            "workflow": "update",
            "certificateId": certificate["_id"],
            "template": {"labels": [{"label": "env", "value": "prod"}]},
        }
    )
    # Meanwhile the certificate's contact email changed through another request.
    Certificate.objects.filter(pk=certificate["_id"]).update(contact_email="new@example.com")
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status == 200, body
    stored = Certificate.objects.get(pk=certificate["_id"])
    assert stored.labels == [{"key": "env", "value": "prod"}]
    assert stored.contact_email == "new@example.com"  # not put back


def test_a_certificates_team_cannot_withdraw_an_outsiders_revocation(
    issue, requester, requester_api, approver, outsider, api_as
):
    certificate = issue(owned_by=requester)  # its owner, not a member of its team
    security = TeamFactory(name="security")
    security.members.add(outsider)
    Certificate.objects.filter(pk=certificate["_id"]).update(team=security)
    _, pending = requester_api.submit(
        {
            "workflow": "revoke",
            "certificateId": certificate["_id"],
            "template": {"revocationReason": "keycompromise"},
        }
    )
    status, body = api_as(outsider).post(
        "/api/v1/requests/cancel",
        {"_id": pending["_id"], "module": "webra", "workflow": "revoke"},
    )
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body


@pytest.mark.parametrize("workflow", ["renew", "recover", "migrate", "update"])
def test_dry_runs_of_certificate_workflows_change_nothing(
    issue, approver_api, pki, approver, workflow
):
    import datetime as dt

    from django.utils import timezone

    from requests_app.models import Request

    certificate = issue(centralized=True)
    Certificate.objects.filter(pk=certificate["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=5)
    )
    alt = ProfileFactory(name="webra-alt", ca=pki["issuing"])
    grant(alt, approver, "perform", "migrate")
    body = {
        "module": "webra",
        "workflow": workflow,
        "certificateId": certificate["_id"],
        "dryRun": True,
    }
    if workflow in ("renew", "recover"):
        body["password"] = {"value": "Correct-Horse-9-battery"}
    if workflow == "migrate":
        body["profile"] = "webra-alt"
    if workflow == "update":
        body["template"] = {"labels": [{"label": "env", "value": "prod"}]}
    before = Certificate.objects.get(pk=certificate["_id"])
    status, answer = approver_api.submit(body)
    assert status == 201 and answer["dryRun"] is True and "pkcs12" not in answer, answer
    after = Certificate.objects.get(pk=certificate["_id"])
    assert (after.profile_id, after.labels, after.metadata) == (
        before.profile_id,
        before.labels,
        before.metadata,
    )
    assert (
        Certificate.objects.count() == 1 and not Request.objects.filter(workflow=workflow).exists()
    )
