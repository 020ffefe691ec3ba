"""WebRA update: labels, owner, team and contact email of a certificate, within its rules."""

import pytest

from certificates.models import Certificate
from profiles.models import Profile


def update(api, certificate, **template):
    return api.submit(
        {"workflow": "update", "certificateId": certificate["_id"], "template": template}
    )


def test_approver_updates_labels_team_and_contact_email(issue, team, approver_api):
    certificate = issue()
    status, body = update(
        approver_api,
        certificate,
        labels=[{"label": "env", "value": "prod"}],
        team={"value": "demo-team"},
        contactEmail={"value": "ops@example.com"},
    )
    assert status == 201 and body["status"] == "completed", body
    stored = Certificate.objects.get(pk=certificate["_id"])
    assert stored.labels == [{"key": "env", "value": "prod"}]
    assert (stored.team.name, stored.contact_email) == ("demo-team", "ops@example.com")
    assert body["template"]["labels"] == [{"label": "env", "value": "prod"}]
    assert stored.pem == certificate["certificate"]  # the certificate itself is unchanged


def test_a_requester_update_waits_for_approval(issue, requester, requester_api, approver_api):
    certificate = issue(owned_by=requester)
    status, pending = update(requester_api, certificate, labels=[{"label": "env", "value": "dev"}])
    assert status == 201 and pending["status"] == "pending", pending
    assert Certificate.objects.get(pk=certificate["_id"]).labels == []
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status == 200, body
    assert Certificate.objects.get(pk=certificate["_id"]).labels == [{"key": "env", "value": "dev"}]


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ({"labels": [{"label": "env", "value": "qa"}]}, "WEBRA-ENROLL-006"),
        ({"labels": [{"label": "nope", "value": "x"}]}, "WEBRA-ENROLL-006"),
        ({"team": {"value": "no-such-team"}}, "CERT-TEAM-001"),
        ({"contactEmail": {"value": "not-an-email"}}, "CERT-ELEM-001"),
        ({"owner": {"value": "requester"}}, "CERT-ELEM-001"),  # owner not editable by requesters
        ({"metadata": [{"metadata": "pki_connector", "value": "x"}]}, "CERT-ELEM-001"),
    ],
    ids=[
        "label-not-in-enum",
        "unknown-label",
        "unknown-team",
        "bad-email",
        "owner-locked",
        "metadata",
    ],
)
def test_updates_the_profile_does_not_allow_are_refused(
    issue, approver_api, requester, template, code
):
    certificate = issue()
    status, body = update(approver_api, certificate, **template)
    assert (status, body["error"]) == (400, code), body
    assert Certificate.objects.get(pk=certificate["_id"]).labels == []


def test_an_update_naming_no_certificate_is_refused(profile, approver_api):
    status, body = approver_api.submit({"workflow": "update", "template": {}})
    assert (status, body["error"]) == (400, "REQ-002"), body


def test_an_update_of_an_unknown_certificate_is_refused_with_req_009(profile, approver_api):
    status, body = approver_api.submit(
        {"workflow": "update", "certificateId": "00000000-0000-0000-0000-000000000000"}
    )
    assert (status, body["error"]) == (404, "REQ-009"), body


def test_the_owner_may_be_changed_where_the_profile_allows_it(issue, approver_api, requester):
    Profile.objects.update(owner_editable_by_requester=True)
    certificate = issue()
    status, body = update(approver_api, certificate, owner={"value": "requester"})
    assert status == 201, body
    assert Certificate.objects.get(pk=certificate["_id"]).owner == requester
