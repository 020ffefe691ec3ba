"""The certificates page's "expiring" view: the user's certificates and their teams' (the
list's scope) that are valid, not renewed and expire within 7, 30 or 90 days."""

import datetime as dt

import pytest
from django.utils import timezone

from certificates.models import Certificate
from certificates.renewal import mark_renewed
from tests.factories import TeamFactory
from tests.read_side import make_certificate

DAY = dt.timedelta(days=1)


def expiring_in(certificate: Certificate, days: float) -> Certificate:
    Certificate.objects.filter(pk=certificate.pk).update(not_after=timezone.now() + days * DAY)
    certificate.refresh_from_db()
    return certificate


@pytest.fixture
def mine(profile, requester):
    return {
        "soon": expiring_in(make_certificate(profile, "soon.example.com", owner=requester), 5),
        "later": expiring_in(make_certificate(profile, "later.example.com", owner=requester), 20),
        "far": expiring_in(make_certificate(profile, "far.example.com", owner=requester), 60),
        "next year": make_certificate(profile, "calm.example.com", owner=requester),
    }


def listed(client, **params) -> str:
    response = client.get("/certificates/expiring/", params)
    assert response.status_code == 200, response.content[:2000]
    return response.content.decode()


def test_the_expiring_view_lists_what_expires_within_the_chosen_days_soonest_first(
    mine, requester, client
):
    client.force_login(requester)
    page = listed(client)  # 30 days unless asked
    assert page.index("soon.example.com") < page.index("later.example.com")
    assert "far.example.com" not in page and "calm.example.com" not in page
    page = listed(client, within=7)
    assert "soon.example.com" in page and "later.example.com" not in page
    page = listed(client, within=90)
    assert "far.example.com" in page and "calm.example.com" not in page
    assert f"/certificates/{mine['soon'].pk}/renew/" in page  # the requester may ask to renew


def test_revoked_renewed_and_expired_certificates_are_not_in_it(mine, profile, requester, client):
    Certificate.objects.filter(pk=mine["soon"].pk).update(revocation_date=timezone.now())
    mark_renewed(mine["later"], mine["next year"])
    expired = expiring_in(make_certificate(profile, "past.example.com", owner=requester), -1)
    client.force_login(requester)
    page = listed(client, within=90)
    assert "soon.example.com" not in page and "later.example.com" not in page
    assert expired.dn not in page and "far.example.com" in page


def test_only_who_may_see_the_certificates_in_the_list_sees_them_there(
    mine, profile, approver, outsider, requester, client
):
    team = TeamFactory(name="web-ops")
    team.members.add(requester, outsider)
    shared = expiring_in(make_certificate(profile, "shared.example.com", team=team), 3)
    client.force_login(outsider)
    page = listed(client, within=90)
    assert "shared.example.com" in page, "a team's certificate: its members see it"
    assert "soon.example.com" not in page and "later.example.com" not in page
    # No renew button where the access policy gives no renew (the outsider holds no grant).
    assert f"/certificates/{shared.pk}/renew/" not in page
    client.force_login(approver)
    assert "soon.example.com" not in listed(client, within=90), "as in the list: own and team's"


def test_the_list_links_to_the_expiring_view_and_anonymous_visitors_sign_in(
    mine, requester, client
):
    assert client.get("/certificates/expiring/").status_code == 302
    client.force_login(requester)
    assert 'href="/certificates/expiring/"' in client.get("/certificates/").content.decode()
    page = listed(client, within="soon")  # not a choice: the default
    assert "within 30 days" in page
