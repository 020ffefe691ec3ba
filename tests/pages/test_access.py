"""Every page: who gets it (requester 200), who does not even learn it exists (outsider 404),
anonymous visitors sent to sign in, and actions that only POST."""

import pytest

from requests_app.models import Request
from tests.conftest import enroll_body
from tests.factories import make_csr


@pytest.fixture
def world(profile, issue, requester_api, requester):
    from certificates.models import Certificate

    certificate = issue(centralized=True)
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=requester)
    _, pending = requester_api.submit(enroll_body(csr=make_csr()[0]))
    return {"certificate": certificate["_id"], "request": pending["_id"]}


def pages(world):
    certificate, request = world["certificate"], world["request"]
    return [
        "/",
        "/enroll/",
        "/enroll/webra-demo/",
        "/requests/",
        f"/requests/{request}/",
        "/certificates/",
        f"/certificates/{certificate}/",
        f"/certificates/{certificate}/download/pem",
        f"/certificates/{certificate}/download/der",
        f"/certificates/{certificate}/download/chain",
        f"/certificates/{certificate}/revoke/",
        f"/certificates/{certificate}/update/",
        f"/certificates/{certificate}/recover/",
        "/import/",
    ]


def test_the_requester_gets_every_page(world, requester, client):
    client.force_login(requester)
    for path in pages(world):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)


def test_an_outsider_does_not_learn_others_objects_exist(world, outsider, client):
    client.force_login(outsider)
    for path in pages(world)[2:]:
        if path in ("/requests/", "/certificates/"):
            continue  # their own (empty) lists
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    for path in pages(world)[1:]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/?next="), path


def test_cancel_only_answers_post(world, requester, client):
    client.force_login(requester)
    response = client.get(f"/requests/{world['request']}/cancel")
    assert response.status_code == 405
    assert Request.objects.get(pk=world["request"]).status == "pending"


def test_an_action_the_user_holds_no_grant_for_is_not_offered(world, requester, client, profile):
    profile.grants.filter(user=requester, workflow="revoke").delete()
    client.force_login(requester)
    response = client.get(f"/certificates/{world['certificate']}/revoke/")
    assert response.status_code == 404
    page = client.get(f"/certificates/{world['certificate']}/").content.decode()
    assert "/revoke/" not in page and "/update/" in page


def test_unknown_formats_and_actions_are_404(world, requester, client):
    client.force_login(requester)
    certificate = world["certificate"]
    assert client.get(f"/certificates/{certificate}/download/exe").status_code == 404
    assert client.get(f"/certificates/{certificate}/explode/").status_code == 404


def test_the_menu_offers_enrolling_only_for_profiles_the_pages_serve(pki, outsider, client):
    from tests.factories import ProfileFactory, grant

    est = ProfileFactory(name="est-devices", module="est", ca=pki["issuing"])
    grant(est, outsider, "perform", "enroll")
    client.force_login(outsider)
    assert "Request a certificate" not in client.get("/").content.decode()
    grant(ProfileFactory(name="webra-other", ca=pki["issuing"]), outsider, "request", "enroll")
    assert "Request a certificate" in client.get("/").content.decode()


def test_the_renew_and_migrate_pages_follow_the_same_access_rules(
    world, requester, outsider, pki, client
):
    from tests.factories import ProfileFactory, grant

    grant(ProfileFactory(name="webra-alt", ca=pki["issuing"]), requester, "request", "migrate")
    certificate = world["certificate"]
    for path in (f"/certificates/{certificate}/renew/", f"/certificates/{certificate}/migrate/"):
        client.force_login(requester)
        assert client.get(path).status_code == 200, path
        client.force_login(outsider)
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"target": "webra-alt"}).status_code == 404, path
        client.logout()
        assert client.get(path)["Location"].startswith("/login/?next="), path
