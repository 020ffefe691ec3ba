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
