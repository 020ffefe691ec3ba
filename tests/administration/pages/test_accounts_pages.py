"""Accounts under /manage/accounts/: the list, API keys (shown once, revoked, expiring), a new
web password, activation."""

import datetime as dt
import re

from django.utils import timezone

from raportal.models import ApiCredential, AuditEvent
from tests.administration.api_calls import whoami
from tests.administration.pages.forms import field_block
from tests.factories import UserFactory

NEW_PASSWORD = "Brand-New-Passw0rd-42"


def make_key(user, *, expires_at=None, enabled=True) -> tuple[ApiCredential, str]:
    credential = ApiCredential(
        api_id=f"{user.username}.k", user=user, expires_at=expires_at, enabled=enabled
    )
    key = credential.set_key()
    credential.save()
    return credential, key


def test_the_list_shows_each_account_with_its_keys_count_and_last_use(signed_in, requester):
    credential, _ = make_key(requester)
    ApiCredential.objects.filter(pk=credential.pk).update(
        last_used_at=dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.UTC)
    )
    page = signed_in.get("/manage/accounts/").content.decode()
    row = re.search(rf'<tr>\s*<td><a href="/manage/accounts/{requester.pk}/">.*?</tr>', page, re.S)
    assert row, page
    assert "requester@example.com" in row.group(0) and "<td>1</td>" in row.group(0), row.group(0)
    assert "2026-03-04 05:06" in row.group(0), row.group(0)
    filtered = signed_in.get("/manage/accounts/?q=admin").content.decode()
    assert f"/manage/accounts/{requester.pk}/" not in filtered, filtered


def test_a_new_api_key_is_shown_exactly_once_and_works(signed_in, requester, secrets_watch):
    response = signed_in.post(
        f"/manage/accounts/{requester.pk}/keys/",
        {"description": "deploy script", "expires_on": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200, page
    assert response["Cache-Control"] == "no-store", response.headers
    credential = ApiCredential.objects.get(user=requester)
    key = re.search(r'id="api-key" type="text" readonly value="([^"]+)"', page).group(1)
    assert page.count(key) == 1, page
    assert "data-copy-button" in page and "js/admin-copy.js" in page, page
    assert "not shown again" in page, page
    assert credential.description == "deploy script" and credential.expires_at is None
    assert credential.key_hash != key and credential.check_key(key)

    answer = whoami(credential.api_id, key)
    assert answer.status_code == 200, answer.content
    assert answer.json()["identity"]["identifier"] == "requester", answer.content

    account = signed_in.get(f"/manage/accounts/{requester.pk}/").content.decode()
    assert key not in account, "shown again on the account page"
    assert credential.api_id in account and "deploy script" in account, account
    event = AuditEvent.objects.get(action="apicredential.create")
    assert key not in str(event.detail), event.detail
    assert not any(key in line for line in secrets_watch.logged), secrets_watch.logged


def test_the_key_form_shows_its_errors_beside_the_fields(signed_in, requester):
    yesterday = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    response = signed_in.post(
        f"/manage/accounts/{requester.pk}/keys/", {"description": "", "expires_on": yesterday}
    )
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "This field is required." in field_block(page, "description"), page
    assert "Choose a day after today." in field_block(page, "expires_on"), page
    assert not ApiCredential.objects.exists()


def test_a_key_with_an_expiry_date_works_until_that_day(signed_in, requester):
    day = (timezone.now() + dt.timedelta(days=30)).date()
    page = signed_in.post(
        f"/manage/accounts/{requester.pk}/keys/",
        {"description": "temporary", "expires_on": day.isoformat()},
    ).content.decode()
    key = re.search(r'id="api-key" type="text" readonly value="([^"]+)"', page).group(1)
    credential = ApiCredential.objects.get(user=requester)
    assert credential.expires_at == dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    assert whoami(credential.api_id, key).status_code == 200


def test_an_expired_key_gets_401(requester):
    credential, key = make_key(requester, expires_at=timezone.now() - dt.timedelta(minutes=1))
    answer = whoami(credential.api_id, key)
    assert answer.status_code == 401, answer.content
    ApiCredential.objects.filter(pk=credential.pk).update(
        expires_at=timezone.now() + dt.timedelta(days=1)
    )
    assert whoami(credential.api_id, key).status_code == 200


def test_a_revoked_key_stops_working_and_says_so(signed_in, requester):
    credential, key = make_key(requester)
    response = signed_in.post(
        f"/manage/accounts/{requester.pk}/keys/{credential.pk}/revoke/", follow=True
    )
    page = response.content.decode()
    assert f"API key {credential.api_id} revoked" in page, page
    assert 'badge text-bg-danger">revoked' in page, page
    credential.refresh_from_db()
    assert not credential.enabled
    assert whoami(credential.api_id, key).status_code == 401
    assert AuditEvent.objects.filter(action="apicredential.revoke").exists()


def test_a_key_of_another_account_cannot_be_revoked_through_this_one(
    signed_in, requester, approver
):
    credential, _ = make_key(approver)
    response = signed_in.post(f"/manage/accounts/{requester.pk}/keys/{credential.pk}/revoke/")
    assert response.status_code == 404, response.content.decode()[:500]
    credential.refresh_from_db()
    assert credential.enabled


def test_an_admin_sets_a_new_password_that_the_validators_accept(signed_in, requester, client):
    path = f"/manage/accounts/{requester.pk}/password/"
    weak = signed_in.post(path, {"new_password1": "abc", "new_password2": "abc"})
    page = weak.content.decode()
    assert weak.status_code == 200 and weak["Cache-Control"] == "no-store", page
    assert "at least 12 characters" in field_block(page, "new_password2"), page
    mismatch = signed_in.post(
        path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    ).content.decode()
    assert "didn\u2019t match" in field_block(mismatch, "new_password2"), mismatch
    done = signed_in.post(
        path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert "New password set for requester." in done.content.decode(), done.content.decode()
    requester.refresh_from_db()
    assert requester.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="user.password")
    assert NEW_PASSWORD not in str(event.detail), event.detail


def test_an_admin_deactivates_and_reactivates_an_account(signed_in, requester, staff):
    path = f"/manage/accounts/{requester.pk}/active/"
    page = signed_in.post(path, {"active": "0"}, follow=True).content.decode()
    assert "deactivated" in page and "Activate the account" in page, page
    requester.refresh_from_db()
    assert not requester.is_active
    signed_in.post(path, {"active": "1"})
    requester.refresh_from_db()
    assert requester.is_active
    myself = signed_in.post(
        f"/manage/accounts/{staff.pk}/active/", {"active": "0"}, follow=True
    ).content.decode()
    assert "You cannot deactivate your own account." in myself, myself
    staff.refresh_from_db()
    assert staff.is_active


def test_a_staff_account_cannot_take_over_a_superuser(signed_in):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    page = signed_in.get(f"/manage/accounts/{root.pk}/").content.decode()
    assert "only a superuser may change" in page and "Create the key" not in page, page
    keys = signed_in.post(f"/manage/accounts/{root.pk}/keys/", {"description": "x"}, follow=True)
    assert "Only a superuser" in keys.content.decode(), keys.content.decode()
    assert not ApiCredential.objects.filter(user=root).exists()
    password = signed_in.post(
        f"/manage/accounts/{root.pk}/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert password.status_code == 403, password.content.decode()
    root.refresh_from_db()
    assert not root.check_password(NEW_PASSWORD)


def test_an_admin_changes_their_own_password_only_with_the_current_one(signed_in, staff):
    staff.set_password("Current-Admin-Pass-1")
    staff.save()
    signed_in.force_login(staff)
    path = f"/manage/accounts/{staff.pk}/password/"
    refused = signed_in.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert "old_password" in refused.content.decode(), refused.content.decode()[:2000]
    staff.refresh_from_db()
    assert staff.check_password("Current-Admin-Pass-1")
    done = signed_in.post(
        path,
        {
            "old_password": "Current-Admin-Pass-1",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD)
