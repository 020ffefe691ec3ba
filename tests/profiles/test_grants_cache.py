"""An account's grants and teams kept in memory per process (profiles/grants_cache.py),
checked against the configuration revision: a grant or membership changed anywhere — by this
process or, in SQL, by another app server that moved the revision on — is seen on the next
call, and an API call reads the revision with its credential."""

import pytest
from django.db import connection

from profiles import access, grants_cache
from profiles.models import Grant, GrantLevel, Team, Workflow
from tests.factories import TeamFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    grants_cache._held.clear()
    yield
    grants_cache._held.clear()


def level(user, profile, workflow=Workflow.REVOKE):
    return access.profile_level(user, profile, workflow)


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_second_reading_of_unchanged_grants_costs_only_the_revision(
    profile, requester, django_assert_num_queries
):
    assert level(requester, profile) == GrantLevel.REQUEST
    with django_assert_num_queries(1):
        assert level(requester, profile) == GrantLevel.REQUEST


def test_a_grant_changed_through_the_orm_is_seen_at_once(profile, requester):
    assert level(requester, profile) == GrantLevel.REQUEST
    Grant.objects.filter(user=requester, profile=profile).update(level=GrantLevel.PERFORM)
    assert level(requester, profile) == GrantLevel.PERFORM
    requester.rap_grants.all().delete()
    assert level(requester, profile) is None


def test_a_membership_change_is_seen_at_once(profile, outsider):
    helpers = TeamFactory(name="helpers")
    Grant.objects.create(
        profile=profile, workflow=Workflow.REVOKE, level=GrantLevel.PERFORM, team=helpers
    )
    assert level(outsider, profile) is None
    helpers.members.add(outsider)
    assert level(outsider, profile) == GrantLevel.PERFORM
    helpers.members.remove(outsider)
    assert level(outsider, profile) is None
    helpers.members.add(outsider)
    helpers.members.clear()
    assert level(outsider, profile) is None


def test_another_servers_change_is_seen_once_it_moves_the_revision_on(profile, outsider):
    assert level(outsider, profile) is None
    table = Grant._meta.db_table
    sql(
        f"INSERT INTO {table} (profile_id, workflow, level, user_id) VALUES (%s, %s, %s, %s)",  # noqa: S608
        profile.pk,
        Workflow.REVOKE,
        GrantLevel.PERFORM,
        outsider.pk,
    )
    assert level(outsider, profile) is None, "the revision did not move: the cached answer"
    sql("UPDATE profiles_configrevision SET token = %s WHERE id = 1", "another-server")
    assert level(outsider, profile) == GrantLevel.PERFORM


def test_setting_the_same_members_again_keeps_the_revision(team, requester, approver):
    from profiles import revision

    token = revision.current()
    team.members.set([requester, approver])
    assert revision.current() == token


def test_principals_self_is_one_query_once_the_grants_are_known(
    profile, team, requester_api, django_assert_num_queries
):
    status, first = requester_api.get("/api/v1/security/principals/self")
    assert status == 200, first
    with django_assert_num_queries(1):  # the API key, with the revision in the same query
        status, again = requester_api.get("/api/v1/security/principals/self")
    assert again == first
    assert again["teams"] == ["demo-team"]
    assert {"value": "lifecycle:webra:request:revoke", "filter": "profile = webra-demo"} in (
        again["permissions"]
    )


def test_a_grant_given_between_two_calls_shows_in_the_second(profile, outsider, outsider_api):
    _, before = outsider_api.get("/api/v1/security/principals/self")
    assert before["permissions"] == []
    Grant.objects.create(
        profile=profile, workflow=Workflow.ENROLL, level=GrantLevel.REQUEST, user=outsider
    )
    Team.objects.create(name="late").members.add(outsider)
    _, after = outsider_api.get("/api/v1/security/principals/self")
    assert after["permissions"] == [
        {"value": "lifecycle:webra:request:enroll", "filter": "profile = webra-demo"}
    ]
    assert after["teams"] == ["late"]


def test_each_api_call_reads_the_revision_again(profile, outsider, outsider_api):
    _, before = outsider_api.get("/api/v1/security/principals/self")
    assert before["permissions"] == []
    sql(
        f"INSERT INTO {Grant._meta.db_table} (profile_id, workflow, level, user_id) "  # noqa: S608
        "VALUES (%s, %s, %s, %s)",
        profile.pk,
        Workflow.ENROLL,
        GrantLevel.PERFORM,
        outsider.pk,
    )
    sql("UPDATE profiles_configrevision SET token = %s WHERE id = 1", "another-server")
    _, after = outsider_api.get("/api/v1/security/principals/self")
    assert after["permissions"] == [
        {"value": "lifecycle:webra:perform:enroll", "filter": "profile = webra-demo"}
    ]


def test_a_grant_given_and_rolled_back_within_a_request_is_not_kept_for_the_rest_of_it(
    profile, outsider
):
    from django.db import transaction

    from profiles import revision

    middleware = revision.RevisionPerRequestMiddleware(lambda request: None)
    seen = {}

    def request_body(request):
        seen["before"] = level(outsider, profile)
        try:
            with transaction.atomic():  # a preview: written, read, then rolled back
                Grant.objects.create(
                    profile=profile,
                    workflow=Workflow.REVOKE,
                    level=GrantLevel.PERFORM,
                    user=outsider,
                )
                seen["inside"] = level(outsider, profile)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        seen["after"] = level(outsider, profile)
        with connection.cursor() as cursor:
            cursor.execute("SELECT token FROM profiles_configrevision WHERE id = 1")
            seen["token_in_database"] = cursor.fetchone()[0]
        seen["token_read"] = revision.current()

    middleware.get_response = request_body
    middleware(None)
    assert seen["before"] is None
    assert seen["inside"] == GrantLevel.PERFORM
    assert seen["after"] is None, "the rolled-back grant was kept for the rest of the request"
    assert seen["token_read"] == seen["token_in_database"]
