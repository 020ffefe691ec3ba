"""Who gets the approvers' pages: the menu's "To decide" and the pages answer alike (one
function decides, Caller.approves_anything); accounts that may approve nothing get 404."""

import pytest

from tests.factories import ProfileFactory, TeamFactory, UserFactory, grant


def offered(client, user) -> tuple[bool, int]:
    client.force_login(user)
    menu = 'href="/approvals/"' in client.get("/").content.decode()
    return menu, client.get("/approvals/").status_code


@pytest.fixture
def webra(pki):
    return ProfileFactory(name="webra-who", ca=pki["issuing"])


def test_perform_through_a_team_opens_the_queue(webra, client):
    user, team = UserFactory(username="member"), TeamFactory(name="approvers")
    team.members.add(user)
    grant(webra, team, "perform", "revoke")
    assert offered(client, user) == (True, 200)


def test_a_profile_open_to_every_account_at_perform_opens_the_queue(pki, client):
    ProfileFactory(name="open", ca=pki["issuing"], authenticated_levels={"renew": "perform"})
    assert offered(client, UserFactory(username="anyone")) == (True, 200)


def test_administrators_get_the_queue_without_a_grant(webra, client):
    assert offered(client, UserFactory(username="boss", is_staff=True)) == (True, 200)


def test_request_grants_alone_give_neither_menu_entry_nor_page(webra, client):
    user = UserFactory(username="asker")
    for workflow in ("enroll", "revoke", "renew"):
        grant(webra, user, "request", workflow)
    assert offered(client, user) == (False, 404)


def test_perform_on_a_disabled_profile_only_gives_neither(webra, client):
    user = UserFactory(username="former")
    grant(webra, user, "perform", "enroll")
    webra.enabled = False
    webra.save(update_fields=["enabled"])
    assert offered(client, user) == (False, 404)


def _pending_on(profile, requester):
    from tests.approvals.test_queue import bulk_pending

    bulk_pending(1, profile, requester)
    from requests_app.models import Request

    return Request.objects.select_related("profile").get(profile=profile)


def test_the_approvers_mailed_are_those_the_approve_service_lets_decide(webra):
    """``approvers_of`` (the pending notice's recipients, the decision page's "still
    eligible") asks the access policy's ``may_decide``, as the approve service does: holders
    of perform on the workflow, administrators, never the requester, not who approved already."""
    from requests_app.models import RequestApproval
    from requests_app.pages.queries import approvers_of
    from requests_app.services import check_may_decide

    requester = UserFactory(username="asker")
    direct, member, boss = (UserFactory(username=n) for n in ("direct", "member", "boss"))
    boss.is_staff = True
    boss.save()
    team = TeamFactory(name="deciders")
    team.members.add(member)
    grant(webra, direct, "perform", "enroll")
    grant(webra, team, "perform", "enroll")
    grant(webra, requester, "perform", "enroll")  # but never on their own request
    grant(webra, UserFactory(username="revoker"), "perform", "revoke")
    grant(webra, UserFactory(username="asking"), "request", "enroll")
    request = _pending_on(webra, requester)
    names = [user.username for user in approvers_of(request)]
    assert names == ["boss", "direct", "member"]
    for user in (direct, member, boss):
        check_may_decide(user, request)  # raises when the service would refuse
    RequestApproval.objects.create(request=request, approver=direct)
    assert [user.username for user in approvers_of(request)] == ["boss", "member"]


def test_nobody_is_an_approver_of_a_request_past_its_expiry_or_on_a_disabled_profile(webra):
    from django.utils import timezone

    from requests_app.pages.queries import approvers_of

    grant(webra, UserFactory(username="direct"), "perform", "enroll")
    request = _pending_on(webra, UserFactory(username="asker"))
    assert [user.username for user in approvers_of(request)] == ["direct"]
    webra.enabled = False
    webra.save(update_fields=["enabled"])
    request.refresh_from_db()
    assert approvers_of(request) == []
    webra.enabled = True
    webra.save(update_fields=["enabled"])
    request.refresh_from_db()
    request.expires_at = timezone.now()
    assert approvers_of(request) == []


def test_the_approvers_are_found_in_as_many_queries_for_ten_as_for_one(webra):
    """Whether their grants are in the grants cache or not (a notice often runs after a
    configuration change, or in a Celery worker of its own)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from profiles import grants_cache
    from requests_app.pages.queries import approvers_of

    request = _pending_on(webra, UserFactory(username="asker"))
    team = TeamFactory(name="many")
    grant(webra, UserFactory(username="first"), "perform", "enroll")
    counts = {}
    for size in (1, 10):
        if size == 10:
            for i in range(5):
                grant(webra, UserFactory(username=f"direct{i}"), "perform", "enroll")
            for i in range(4):
                team.members.add(UserFactory(username=f"member{i}"))
            grant(webra, team, "perform", "enroll")
        for cache in ("cold", "warm"):
            if cache == "cold":
                grants_cache._held.clear()
            with CaptureQueriesContext(connection) as queries:
                assert len(approvers_of(request)) == size
            counts[size, cache] = len(queries)
    assert counts[10, "cold"] == counts[1, "cold"], counts
    assert counts[10, "warm"] == counts[1, "warm"] < counts[1, "cold"], counts
