import pytest

from administration.services import authorities
from administration.services.password_policies import save_password_policy
from certificates.models import CaEntry
from raportal.errors import DomainError
from tests.administration.pki_material import make_pki

POLICY = {
    "min_length": 16,
    "max_length": 64,
    "min_upper": 1,
    "min_lower": 1,
    "min_digits": 1,
    "min_special": 0,
    "special_chars": "!#",
}


def test_a_password_policy_is_created_then_left_alone_when_unchanged(admin, watch):
    seen = watch()
    assert save_password_policy(admin, name="long", **POLICY)[1] == "created"
    assert save_password_policy(admin, name="long", **POLICY)[1] == "unchanged"
    assert seen.actions() == ["passwordpolicy.create"] and seen.bumped()


def test_an_impossible_password_policy_is_refused(admin):
    with pytest.raises(DomainError) as refusal:
        save_password_policy(admin, name="bad", **{**POLICY, "min_length": 0})
    assert refusal.value.code == "REQ-002", refusal.value.detail


def test_a_ca_entry_is_added_updated_and_deleted_by_an_administrator(admin, db, watch):
    pki = make_pki("Listed")
    seen = watch()
    entry = authorities.add_ca_entry(admin, name="listed-root", certificate=pki["root"])
    entry = authorities.update_ca_entry(
        admin, entry, certificate=pki["root"], name="listed-root", public=True
    )
    assert entry.public
    authorities.delete_ca_entry(admin, entry)
    assert not CaEntry.objects.filter(name="listed-root").exists()
    assert {"ca.entry.add", "ca.entry.update", "ca.entry.delete"} <= set(seen.actions())
    assert seen.bumped()


def test_an_account_that_is_not_an_administrator_cannot_list_a_ca(user):
    pki = make_pki("Refused")
    with pytest.raises(DomainError) as refusal:
        authorities.add_ca_entry(user, name="refused-root", certificate=pki["root"])
    assert refusal.value.code == "SEC-PERM-001"
    with pytest.raises(DomainError):
        authorities.create_connector(
            user, name="refused", certificate=pki["issuing"], key=pki["issuing_key"]
        )
    assert not CaEntry.objects.filter(name="refused-root").exists()
