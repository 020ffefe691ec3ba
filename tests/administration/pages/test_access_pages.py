"""Who gets the admin pages (/manage/): staff only. A signed-in account without staff gets 404
(not told they exist), anonymous visitors the sign-in page; changes only POST."""

import pytest
from django.urls import reverse

from discovery.models import DiscoveryCampaign
from profiles.models import Label, Team
from raportal.models import ApiCredential
from tests.factories import TeamFactory
from triggers.models import Trigger

# (URL name, its arguments from the world fixture, answers GET)
PAGES = [
    ("admin-home", [], True),
    ("admin-team-list", [], True),
    ("admin-team-create", [], True),
    ("admin-team-edit", ["team"], True),
    ("admin-team-delete", ["team"], True),
    ("admin-account-list", [], True),
    ("admin-account-detail", ["user"], True),
    ("admin-account-key-create", ["user"], False),
    ("admin-account-key-revoke", ["user", "key"], False),
    ("admin-account-password", ["user"], True),
    ("admin-account-active", ["user"], False),
    ("admin-label-list", [], True),
    ("admin-label-create", [], True),
    ("admin-label-edit", ["label"], True),
    ("admin-label-delete", ["label"], False),
    ("admin-campaign-list", [], True),
    ("admin-campaign-create", [], True),
    ("admin-campaign-edit", ["campaign"], True),
    ("admin-campaign-enabled", ["campaign"], False),
    ("admin-campaign-flush", ["campaign"], False),
    ("admin-campaign-delete", ["campaign"], False),
    ("admin-audit", [], True),
    ("admin-profile-grants", ["profile"], True),
    ("admin-authority-list", [], True),
    ("admin-authority-detail", ["ca"], True),
    ("admin-authority-scep-renew", ["ca"], False),
    ("admin-trigger-list", [], True),
    ("admin-trigger-create", ["kind"], True),
    ("admin-trigger-detail", ["trigger"], True),
    ("admin-trigger-edit", ["trigger"], True),
    ("admin-trigger-test", ["trigger"], False),
    ("admin-trigger-rotate", ["trigger"], False),
    ("admin-trigger-delete", ["trigger"], False),
]
IDS = [name for name, _, _ in PAGES]


@pytest.fixture
def world(profile, requester):
    team = TeamFactory(name="ops")
    label = Label.objects.get_or_create(name="env")[0]
    key = ApiCredential(api_id="requester.1", user=requester)
    key.set_key()
    key.save()
    DiscoveryCampaign.objects.create(name="datacenter")
    trigger = Trigger.objects.create(
        name="hook", type="rest", event="on_enroll", definition={"sequence": []}
    )
    return {
        "trigger": trigger.pk,
        "kind": "rest",
        "campaign": "datacenter",
        "team": team.name,
        "label": label.name,
        "user": requester.pk,
        "key": key.pk,
        "profile": profile.name,
        "ca": profile.ca.name,
    }


def url(world, name, args):
    return reverse(name, args=[world[arg] for arg in args])


@pytest.mark.parametrize(("name", "args", "gets"), PAGES, ids=IDS)
def test_a_signed_in_account_without_staff_gets_404_on_every_admin_page(
    world, requester, client, name, args, gets
):
    client.force_login(requester)
    path = url(world, name, args)
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 404, (path, response.status_code, response.content[:500])
    assert nothing_changed(world), "a refused POST must change nothing"


def nothing_changed(world) -> bool:
    return (
        Team.objects.filter(name=world["team"]).exists()
        and Label.objects.filter(name=world["label"]).exists()
        and ApiCredential.objects.get(pk=world["key"]).enabled
        and DiscoveryCampaign.objects.get(name=world["campaign"]).enabled
        and Trigger.objects.filter(pk=world["trigger"]).exists()
    )


@pytest.mark.parametrize(("name", "args", "gets"), PAGES, ids=IDS)
def test_anonymous_visitors_are_sent_to_sign_in_from_every_admin_page(
    world, client, name, args, gets
):
    path = url(world, name, args)
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 302, (path, response.status_code)
        assert response["Location"].startswith("/login/?next="), response["Location"]


@pytest.mark.parametrize(("name", "args", "gets"), PAGES, ids=IDS)
def test_staff_open_every_page_and_the_changes_answer_only_post(world, signed_in, name, args, gets):
    response = signed_in.get(url(world, name, args))
    expected = 200 if gets else 405
    assert response.status_code == expected, response.content.decode()[:3000]


def test_the_navigation_takes_staff_to_the_admin_home_which_links_the_django_admin(
    world, signed_in
):
    home = signed_in.get("/").content.decode()
    assert 'href="/manage/">Administration</a>' in home, home
    page = signed_in.get("/manage/").content.decode()
    for link in (
        'href="/manage/profiles/"',
        'href="/manage/teams/"',
        'href="/manage/accounts/"',
        'href="/manage/labels/"',
        'href="/manage/discovery/"',
        'href="/manage/audit/"',
        'href="/admin/"',
    ):
        assert link in page, page
    assert "Raw data (Django admin)" in page, page


def test_the_navigation_offers_no_administration_to_other_accounts(world, requester, client):
    client.force_login(requester)
    home = client.get("/").content.decode()
    assert "Administration" not in home, home
