"""WebRA migrate: a certificate moves to another profile that could have issued it."""

import pytest

from certificates.models import Certificate
from profiles.models import SubjectRule
from tests.factories import ProfileFactory, grant


@pytest.fixture
def alt(pki, profile, requester, approver):
    alt = ProfileFactory(name="webra-alt", ca=pki["issuing"])
    grant(alt, requester, "request", "migrate")
    grant(alt, approver, "perform", "migrate")
    return alt


def migrate(api, certificate, profile="webra-alt", **template):
    return api.submit(
        {
            "module": "webra",
            "workflow": "migrate",
            "profile": profile,
            "certificateId": certificate["_id"],
            "template": template,
        }
    )


def test_approver_migrates_a_certificate_with_labels_of_the_target_profile(
    issue, alt, approver_api
):
    certificate = issue(labels=[{"label": "env", "value": "dev"}])
    status, body = migrate(approver_api, certificate, labels=[{"label": "env", "value": "prod"}])
    assert status == 201 and body["status"] == "completed", body
    assert body["profile"] == "webra-alt" and body["certificate"]["profile"] == "webra-alt"
    stored = Certificate.objects.get(pk=certificate["_id"])
    assert stored.profile == alt and stored.labels == [{"key": "env", "value": "prod"}]


def test_a_requester_migration_waits_for_approval(
    issue, alt, requester, requester_api, approver_api
):
    certificate = issue(owned_by=requester)
    status, pending = migrate(requester_api, certificate)
    assert status == 201 and pending["status"] == "pending", pending
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert status == 200 and body["certificate"]["profile"] == "webra-alt", body


def test_a_grant_on_the_source_profile_alone_is_not_enough(issue, alt, outsider, api_as, profile):
    certificate = issue()
    grant(profile, outsider, "perform", "migrate")  # none on webra-alt
    status, body = migrate(api_as(outsider), certificate)
    assert (status, body["error"]) == (403, "SEC-PERM-001"), body


def test_a_certificate_that_does_not_fit_the_target_is_refused_with_migrate_007(
    issue, alt, approver_api
):
    SubjectRule.objects.filter(profile=alt, element="o.1").update(mandatory=True)
    status, body = migrate(approver_api, issue())
    assert (status, body["error"]) == (400, "WEBRA-MIGRATE-007"), body
    assert "o.1 is mandatory" in body["detail"]


def test_a_target_that_fixes_a_value_the_certificate_lacks_is_refused(issue, alt, approver_api):
    SubjectRule.objects.filter(profile=alt, element="cn.1").update(regex=r"^[a-z]+\.internal$")
    status, body = migrate(approver_api, issue())
    assert (status, body["error"]) == (400, "WEBRA-MIGRATE-007"), body


def test_a_key_type_the_target_refuses_is_refused(issue, alt, approver_api):
    alt.authorized_key_types = ["rsa-2048"]
    alt.default_key_type = "rsa-2048"
    alt.save()
    status, body = migrate(approver_api, issue())
    assert (status, body["error"]) == (400, "WEBRA-MIGRATE-007"), body


@pytest.mark.parametrize("target", ["no-such-profile", "webra-demo"])
def test_an_unknown_or_same_target_profile_is_refused_with_migrate_007(
    issue, alt, approver_api, target
):
    status, body = migrate(approver_api, issue(), profile=target)
    assert (status, body["error"]) == (400, "WEBRA-MIGRATE-007"), body


def test_migration_naming_no_certificate_is_refused_with_migrate_001(alt, approver_api):
    status, body = approver_api.submit(
        {"module": "webra", "workflow": "migrate", "profile": "webra-alt"}
    )
    assert (status, body["error"]) == (400, "WEBRA-MIGRATE-001"), body
