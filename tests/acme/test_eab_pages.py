"""/manage/acme/…: External Account Binding keys made by staff for a user or a team — the HMAC
key shown once, with the certbot command, and binding an ACME account as that user or team —
listed without their secret, deleted after a confirmation; a profile's ACME accounts listed
and deactivated. Outsiders are not told the pages exist."""

import html
import re

import pytest
from acme import messages
from django.conf import settings
from django.test import Client

from acme_server.eab import create_eab_key
from acme_server.models import AccountStatus, AcmeAccount, ExternalAccountKey
from raportal.models import AuditEvent
from tests.acme.client import AcmeClient
from tests.factories import TeamFactory, UserFactory


@pytest.fixture
def staff(db):
    return UserFactory(username="admin", is_staff=True)


@pytest.fixture
def admin_browser(client, staff):
    client.force_login(staff)
    return client


def hmac_key_on(page: str) -> str:
    match = re.search(r'id="hmac-key"[^>]*value="([^"]+)"', page)
    assert match, page
    return html.unescape(match.group(1))


def bind(client, profile_name: str, kid: str, hmac_key: str):
    """newAccount with an externalAccountBinding made with ``kid`` and ``hmac_key``."""
    acme = AcmeClient(client, profile_name)
    directory = messages.Directory.from_json(acme.directory())
    binding = messages.ExternalAccountBinding.from_data(
        acme.key.public_key(), kid, hmac_key, directory
    )
    return acme, acme.register(externalAccountBinding=binding)


def test_a_key_made_for_a_user_is_shown_once_with_the_certbot_command_and_binds_as_that_user(
    admin_browser, acme_eab, requester
):
    page = admin_browser.post(
        f"/manage/acme/{acme_eab.name}/eab/new/", {"user": requester.pk, "comment": "web-01"}
    )
    text = page.content.decode()
    assert page.status_code == 200, text
    assert "no-store" in page["Cache-Control"]
    key = ExternalAccountKey.objects.get()
    hmac_key = hmac_key_on(text)
    assert (key.user, key.team, key.comment, key.created_by.username) == (
        requester, None, "web-01", "admin"
    )  # fmt: skip
    command = (
        f"certbot certonly --server {settings.RAPORTAL_BASE_URL}/acme/{acme_eab.name}/directory "
        f"--eab-kid {key.kid} --eab-hmac-key {hmac_key} -d &lt;name&gt;"
    )
    assert command in text, text

    admin_browser.logout()
    _, created = bind(admin_browser, acme_eab.name, key.kid, hmac_key)
    assert created.status_code == 201, created.content
    assert AcmeAccount.objects.get().user == requester


def test_the_list_shows_who_a_key_is_for_and_the_account_it_bound_never_the_hmac_key(
    admin_browser, acme_eab, client
):
    team = TeamFactory(name="web-team")
    key, hmac_key = create_eab_key(profile=acme_eab, team=team, comment="cluster", actor=None)
    _, created = bind(client, acme_eab.name, key.kid, hmac_key)
    assert created.status_code == 201, created.content
    account = AcmeAccount.objects.get()

    page = admin_browser.get(f"/manage/acme/{acme_eab.name}/eab/")
    text = page.content.decode()
    assert page.status_code == 200, text
    table = text[text.index('id="eab-keys"') :]
    assert key.kid in table and "web-team" in table and "cluster" in table, table
    assert f"#account-{account.pk}" in table, table
    assert hmac_key not in text


def test_a_key_for_both_a_user_and_a_team_or_for_nobody_is_refused_and_none_is_made(
    admin_browser, acme_eab, requester
):
    team = TeamFactory()
    both = admin_browser.post(
        f"/manage/acme/{acme_eab.name}/eab/new/", {"user": requester.pk, "team": team.pk}
    )
    assert both.status_code == 400
    assert "Choose a user or a team, not both" in both.content.decode()
    neither = admin_browser.post(f"/manage/acme/{acme_eab.name}/eab/new/", {"comment": "x"})
    assert neither.status_code == 400
    assert "Choose the user or the team the key is for" in neither.content.decode()
    assert not ExternalAccountKey.objects.exists()


def test_deleting_a_key_needs_a_confirmed_post_and_is_audited(admin_browser, acme_eab, requester):
    key, _ = create_eab_key(profile=acme_eab, user=requester, actor=None)
    url = f"/manage/acme/{acme_eab.name}/eab/{key.kid}/delete/"
    confirm_page = admin_browser.get(url)
    assert (
        confirm_page.status_code == 200 and "Yes, delete this key" in confirm_page.content.decode()
    )
    unconfirmed = admin_browser.post(url, {})
    assert unconfirmed.status_code == 302 and ExternalAccountKey.objects.filter(pk=key.pk).exists()

    deleted = admin_browser.post(url, {"confirm": "1"})
    assert deleted.status_code == 302, deleted.content
    assert not ExternalAccountKey.objects.exists()
    event = AuditEvent.objects.filter(action="acme.eab.delete").get()
    assert event.detail["kid"] == key.kid, event.detail


def test_the_deletion_of_a_key_refuses_a_post_without_csrf_token(staff, acme_eab, requester):
    key, _ = create_eab_key(profile=acme_eab, user=requester, actor=None)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    refused = strict.post(f"/manage/acme/{acme_eab.name}/eab/{key.kid}/delete/", {"confirm": "1"})
    assert refused.status_code == 403
    assert ExternalAccountKey.objects.filter(pk=key.pk).exists()


def test_the_accounts_page_lists_accounts_and_deactivates_one_for_good(
    admin_browser, acme_demo, client
):
    acme = AcmeClient(client, acme_demo.name)
    assert acme.register(contact=["mailto:ops@example.com"]).status_code == 201
    acme.order("one.acme.test")
    account = AcmeAccount.objects.get()

    page = admin_browser.get(f"/manage/acme/{acme_demo.name}/accounts/")
    text = page.content.decode()
    assert page.status_code == 200, text
    row = text[text.index(f'id="account-{account.pk}"') :].split("</tr>")[0]
    assert "mailto:ops@example.com" in row and "nobody (no EAB)" in row, row
    assert re.search(r'class="text-end">1</td>', row), row  # one order

    url = f"/manage/acme/{acme_demo.name}/accounts/{account.pk}/deactivate/"
    assert "Yes, deactivate this account" in admin_browser.get(url).content.decode()
    done = admin_browser.post(url, {"confirm": "1"})
    assert done.status_code == 302, done.content
    account.refresh_from_db()
    assert account.status == AccountStatus.DEACTIVATED
    event = AuditEvent.objects.filter(action="acme.account.deactivate").get()
    assert event.detail["by"] == "administrator", event.detail

    refused = acme.order("two.acme.test")  # the key is refused from now on
    assert refused.status_code == 401 and "deactivated" in refused.json()["detail"], refused


@pytest.mark.parametrize(
    "path",
    [
        "/manage/acme/",
        "/manage/acme/{p}/eab/",
        "/manage/acme/{p}/eab/new/",
        "/manage/acme/{p}/accounts/",
    ],
)
def test_the_acme_admin_pages_are_for_staff_only(client, requester, acme_eab, path):
    url = path.format(p=acme_eab.name)
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(requester)
    assert client.get(url).status_code == 404
    assert client.post(url, {"user": requester.pk}).status_code == 404
    assert not ExternalAccountKey.objects.exists()


def test_a_profile_that_is_not_acme_has_no_eab_pages(admin_browser, profile):
    assert admin_browser.get(f"/manage/acme/{profile.name}/eab/").status_code == 404


def test_the_acme_home_lists_the_acme_profiles_with_their_directory(admin_browser, acme_eab):
    text = admin_browser.get("/manage/acme/").content.decode()
    assert f"{settings.RAPORTAL_BASE_URL}/acme/{acme_eab.name}/directory" in text, text
    assert f"/manage/acme/{acme_eab.name}/eab/" in text
