"""Profile policies an administrator sets beyond grants: the team whitelist, and the self
permissions that let a certificate's owner act on it without a grant."""

import pytest

from tests.conftest import Api, enroll_body, revoke_body
from tests.factories import TeamFactory, make_csr


def test_a_team_outside_the_profiles_whitelist_is_refused(profile, team, approver_api):
    profile.team_whitelist.add(TeamFactory(name="ops"))
    status, body = approver_api.submit(enroll_body(csr=make_csr()[0], team={"value": "demo-team"}))
    assert status == 400 and body["error"] == "CERT-TEAM-001", body
    assert "not authorized on this profile (allowed: ops)" in body["detail"], body

    profile.team_whitelist.add(team)
    status, body = approver_api.submit(enroll_body(csr=make_csr()[0], team={"value": "demo-team"}))
    assert status == 201 and body["status"] == "completed", body


@pytest.mark.parametrize(("self_revoke", "expected"), [(True, 201), (False, 403)])
def test_an_owner_revokes_their_own_certificate_only_where_self_revoke_allows_it(
    profile, issue, outsider, self_revoke, expected
):
    profile.self_revoke = self_revoke
    profile.owner_editable_by_requester = True  # the approver names the owner at enrollment
    profile.save()
    certificate = issue("laptop.example.com", owner={"value": "outsider"})
    status, body = Api(outsider).submit(revoke_body(certificate["_id"]))
    assert status == expected, body
    if expected == 201:
        assert body["status"] == "completed", body
