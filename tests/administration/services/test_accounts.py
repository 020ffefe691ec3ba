import pytest

from administration.services import accounts, api_keys
from raportal.errors import DomainError
from raportal.models import ApiCredential
from tests.factories import UserFactory


def test_a_local_account_made_without_a_password_awaits_one(admin, watch):
    seen = watch()
    account = accounts.create_local_account(admin, identifier="ops", email="ops@example.com")
    assert accounts.is_local(account) and not account.has_usable_password()
    assert seen.actions() == ["localidentity.create"]


def test_a_weak_password_is_refused_and_never_quoted(admin):
    with pytest.raises(DomainError) as refusal:
        accounts.create_local_account(admin, identifier="ops", password="abc")
    assert refusal.value.code == "REQ-002"
    assert "abc" not in refusal.value.detail


def test_an_administrator_sets_another_accounts_password(admin, watch):
    account = UserFactory(username="bob")
    seen = watch()
    accounts.set_password(admin, account, password="A-Long-Enough-Pass-2026")
    account.refresh_from_db()
    assert account.check_password("A-Long-Enough-Pass-2026")
    assert seen.actions() == ["user.password"]


def test_a_staff_account_cannot_change_a_superusers_account(admin, watch):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    seen = watch()
    for write in (
        lambda: accounts.set_password(admin, root, password="A-Long-Enough-Pass-2026"),
        lambda: accounts.set_active(admin, root, active=False),
        lambda: accounts.update_account(admin, root, email="x@example.com"),
        lambda: api_keys.create_api_key(admin, root, description="script"),
    ):
        with pytest.raises(DomainError) as refusal:
            write()
        assert (refusal.value.code, refusal.value.status) == ("SEC-PERM-001", 403)
    assert seen.actions() == []


def test_an_administrator_cannot_deactivate_itself_nor_delete_its_own_identity(admin):
    for write in (
        lambda: accounts.set_active(admin, admin, active=False),
        lambda: accounts.delete_local_identity(admin, admin),
    ):
        with pytest.raises(DomainError) as refusal:
            write()
        assert refusal.value.reason == "self", refusal.value.detail
    admin.refresh_from_db()
    assert admin.is_active and admin.has_usable_password()


def test_an_account_that_is_not_an_administrator_cannot_write_accounts(user):
    other = UserFactory(username="other")
    for write in (
        lambda: accounts.create_account(user, identifier="new"),
        lambda: accounts.create_local_account(user, identifier="new"),
        lambda: accounts.set_active(user, other, active=False),
        lambda: accounts.delete_local_identity(user, other),
        lambda: accounts.set_password(user, other, password="A-Long-Enough-Pass-2026"),
    ):
        with pytest.raises(DomainError) as refusal:
            write()
        assert refusal.value.code == "SEC-PERM-001", refusal.value.detail


def test_a_new_api_key_is_returned_once_and_kept_hashed_then_revoked(admin, watch):
    account = UserFactory(username="bot")
    seen = watch()
    credential, key = api_keys.create_api_key(admin, account, description="pipeline")
    stored = ApiCredential.objects.get(pk=credential.pk)
    assert key not in str(stored.key_hash) and stored.check_key(key)
    api_keys.revoke_api_key(admin, credential)
    assert not ApiCredential.objects.get(pk=credential.pk).enabled
    assert seen.actions() == ["apicredential.create", "apicredential.revoke"]
