import pytest

from administration.services import labels
from profiles.models import Label, LabelRule
from raportal.errors import DomainError
from tests.factories import ProfileFactory


def test_an_administrator_creates_a_label_audited_and_with_a_new_revision(admin, watch):
    seen = watch()
    label = labels.create_label(admin, name="env", display_name="Environment")
    assert Label.objects.get(name="env").display_name == "Environment"
    assert seen.actions() == ["label.create"]
    assert seen.bumped()
    assert label.pk


def test_a_label_name_that_is_not_a_slug_is_refused_before_anything_is_written(admin, watch):
    seen = watch()
    with pytest.raises(DomainError) as refusal:
        labels.create_label(admin, name="not a slug")
    assert refusal.value.code == "REQ-002", refusal.value.detail
    assert not Label.objects.exists() and seen.actions() == []


def test_a_label_name_already_taken_is_a_conflict_of_kind_exists(admin):
    labels.create_label(admin, name="env")
    with pytest.raises(DomainError) as refusal:
        labels.create_label(admin, name="env")
    assert (refusal.value.status, refusal.value.reason) == (409, "exists")


def test_an_account_that_is_not_an_administrator_cannot_write_labels(admin, user, watch):
    label = labels.create_label(admin, name="env")
    seen = watch()
    for write in (
        lambda: labels.create_label(user, name="other"),
        lambda: labels.update_label(user, label, display_name="x", description=""),
        lambda: labels.delete_label(user, label),
    ):
        with pytest.raises(DomainError) as refusal:
            write()
        assert (refusal.value.code, refusal.value.status) == ("SEC-PERM-001", 403)
    assert seen.actions() == [] and not seen.bumped()
    assert list(Label.objects.values_list("name", flat=True)) == ["env"]


def test_a_label_that_a_rule_uses_is_neither_deleted_nor_renamed(admin, pki):
    label = labels.create_label(admin, name="env")
    profile = ProfileFactory(ca=pki["issuing"])
    LabelRule.objects.get_or_create(profile=profile, label="env")
    with pytest.raises(labels.LabelInUse) as refusal:
        labels.delete_label(admin, label)
    assert refusal.value.profiles == [profile] and refusal.value.status == 409
    with pytest.raises(labels.LabelInUse):
        labels.update_label(admin, label, name="renamed", display_name="", description="")
    assert Label.objects.filter(name="env").exists()


def test_a_control_character_in_a_display_name_is_refused_by_the_service_whatever_the_edge(
    admin, watch
):
    seen = watch()
    with pytest.raises(DomainError) as refusal:
        labels.create_label(admin, name="env", display_name="Prod\x1b[2J")
    assert refusal.value.code == "REQ-002" and "U+001B" in refusal.value.detail
    assert not Label.objects.exists() and seen.actions() == []


def test_a_description_keeps_its_line_breaks_but_not_other_control_characters(admin):
    label = labels.create_label(admin, name="env", description="first line\nsecond line")
    assert label.description == "first line\nsecond line"
    with pytest.raises(DomainError) as refusal:
        labels.update_label(admin, label, display_name="", description="a\x85b")
    assert "U+0085" in refusal.value.detail
    label.refresh_from_db()
    assert label.description == "first line\nsecond line"


def test_the_label_page_refuses_what_the_api_refuses_and_writes_nothing(client, admin):
    client.force_login(admin)
    response = client.post(
        "/manage/labels/new/", {"name": "env", "display_name": "Prod\x1b", "description": ""}
    )
    assert response.status_code in (200, 302, 400), response.content[:500]
    assert not Label.objects.filter(name="env").exists()
