"""The profile's max-certificates-per-holder policy (holder = same DN and SANs)."""

from certificates.models import Certificate
from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import make_csr


def enroll(api, cn="web.example.com"):
    csr, _ = make_csr()
    return api.submit(enroll_body(csr=csr, subject=[{"element": "cn.1", "value": cn}]))


def test_reject_behavior_refuses_one_certificate_too_many(profile, approver_api):
    profile.max_per_holder, profile.max_per_holder_behavior = 2, "reject"
    profile.save()
    assert enroll(approver_api)[0] == 201
    status, body = enroll(approver_api)
    assert status == 201 and body["profileHolderIdCount"] == 2, body
    status, body = enroll(approver_api)
    assert (status, body["error"]) == (400, "WEBRA-ENROLL-012"), body
    assert "already has 2 valid certificate" in body["detail"]
    assert Certificate.objects.count() == 2


def test_other_holders_are_not_affected(profile, approver_api):
    profile.max_per_holder = 1
    profile.save()
    assert enroll(approver_api, "a.example.com")[0] == 201
    assert enroll(approver_api, "b.example.com")[0] == 201


def test_revoked_certificates_do_not_count(profile, approver_api):
    profile.max_per_holder = 1
    profile.save()
    _, first = enroll(approver_api)
    Certificate.objects.filter(pk=first["certificate"]["_id"]).update(
        revocation_date="2026-01-01T00:00Z"
    )
    assert enroll(approver_api)[0] == 201


def test_revoke_behavior_supersedes_the_oldest_certificates(profile, approver_api):
    profile.max_per_holder, profile.max_per_holder_behavior = 1, "revoke"
    profile.save()
    _, first = enroll(approver_api)
    status, second = enroll(approver_api)
    assert status == 201, second
    old = Certificate.objects.get(pk=first["certificate"]["_id"])
    assert old.revoked and old.revocation_reason == "superseded"
    assert second["profileHolderIdCount"] == 1


def test_the_limit_is_enforced_again_when_a_pending_request_is_approved(
    profile, requester_api, approver_api
):
    profile.max_per_holder = 1
    profile.save()
    _, pending = enroll(requester_api)
    assert pending["status"] == "pending"
    assert enroll(approver_api)[0] == 201  # the holder's one certificate
    status, body = approver_api.post("/api/v1/requests/approve", {"_id": pending["_id"]})
    assert (status, body["error"]) == (400, "WEBRA-ENROLL-012"), body
    assert Request.objects.get(pk=pending["_id"]).status == "pending"


def test_counts_cover_all_profiles_globally_and_this_profile_locally(
    pki, profile, approver, approver_api
):
    from tests.factories import ProfileFactory, grant

    other = ProfileFactory(name="other", ca=pki["issuing"])
    grant(other, approver, "perform")
    enroll(approver_api)
    csr, _ = make_csr()
    status, body = approver_api.submit(
        enroll_body(
            profile="other", csr=csr, subject=[{"element": "cn.1", "value": "web.example.com"}]
        )
    )
    assert status == 201, body
    assert (body["globalHolderIdCount"], body["profileHolderIdCount"]) == (2, 1)


def test_the_holder_counts_are_the_valid_certificates_queryset_counted(profile, approver_api):
    """holder_counts runs SQL compiled once: it must count what the ORM's aggregate counts,
    on a profile, on another one and on none, revoked and expired certificates left out."""
    from django.db.models import Count, Q

    from requests_app.workflows.holder_limit import holder_counts

    _, kept = enroll(approver_api)
    _, revoked = enroll(approver_api)
    _, expired = enroll(approver_api)
    enroll(approver_api)  # moved to no profile below
    enroll(approver_api, "other.example.com")
    Certificate.objects.filter(pk=revoked["certificate"]["_id"]).update(
        revocation_date="2026-01-01T00:00Z"
    )
    Certificate.objects.filter(pk=expired["certificate"]["_id"]).update(
        not_after="2020-01-01T00:00Z"
    )
    Certificate.objects.exclude(pk=kept["certificate"]["_id"]).filter(
        holder_id=kept["holderId"]
    ).update(profile=None)
    holder = kept["holderId"]
    for on in (profile, None):
        expected = (
            Certificate.objects.valid()
            .with_holder(holder)
            .aggregate(total=Count("pk"), here=Count("pk", filter=Q(profile=on)))
        )
        assert holder_counts(holder, on) == (expected["total"], expected["here"]), on
    assert holder_counts(holder, profile) == (2, 1)
    assert holder_counts(holder, None) == (2, 1)
    assert holder_counts("f" * 64, profile) == (0, 0)
