"""The label catalogue under /manage/labels/: list, create, edit, delete — refused while a
profile's label rule uses the label."""

from profiles.models import Label
from raportal.models import AuditEvent
from tests.administration.pages.forms import field_block


def test_an_admin_creates_a_label_and_finds_it_in_the_list(signed_in):
    response = signed_in.post(
        "/manage/labels/new/",
        {"name": "cost-centre", "display_name": "Cost centre", "description": "Who pays."},
        follow=True,
    )
    page = response.content.decode()
    assert (
        'Label <a href="/manage/labels/cost-centre/"><abbr class="tech-name" '
        'title="cost-centre">Cost centre</abbr></a> created.'
    ) in page, page
    assert 'href="/manage/labels/cost-centre/"' in page and "Who pays." in page, page
    assert Label.objects.get(name="cost-centre").display_name == "Cost centre"
    assert AuditEvent.objects.filter(action="label.create").exists()


def test_the_list_filters_by_name(signed_in):
    Label.objects.get_or_create(name="env")[0]
    Label.objects.create(name="owner")
    page = signed_in.get("/manage/labels/?q=own").content.decode()
    assert "/manage/labels/owner/" in page and "/manage/labels/env/" not in page, page


def test_the_form_shows_each_error_beside_its_field(signed_in):
    Label.objects.get_or_create(name="env")[0]
    page = signed_in.post("/manage/labels/new/", {"name": "not valid"}).content.decode()
    assert "valid “slug”" in field_block(page, "name"), page
    duplicate = signed_in.post("/manage/labels/new/", {"name": "env"}).content.decode()
    assert "already exists" in field_block(duplicate, "name"), duplicate
    assert Label.objects.count() == 1


def test_an_admin_edits_a_label(signed_in):
    Label.objects.create(name="tier")
    response = signed_in.post(
        "/manage/labels/tier/", {"name": "service-tier", "description": "gold, silver"}, follow=True
    )
    saved = '<a href="/manage/labels/service-tier/"><span class="tech-name">service-tier</span>'
    assert f"Label {saved}</a> saved." in response.content.decode(), response.content.decode()
    assert Label.objects.get().name == "service-tier"


def test_a_label_that_profiles_use_is_neither_deleted_nor_renamed(signed_in, profile):
    # The demo-like profile has a label rule "env".
    Label.objects.get_or_create(name="env")[0]
    page = signed_in.get("/manage/labels/env/").content.decode()
    assert 'id="used-by"' in page and "webra-demo" in page, page
    refused = signed_in.post("/manage/labels/env/delete/", {"confirm": "1"}, follow=True)
    text = refused.content.decode()
    assert "Label env not deleted" in text and "webra-demo" in text, text
    assert Label.objects.filter(name="env").exists()
    renamed = signed_in.post("/manage/labels/env/", {"name": "environment"}).content.decode()
    assert "cannot change: webra-demo" in field_block(renamed, "name"), renamed
    assert Label.objects.filter(name="env").exists()


def test_an_unused_label_is_deleted_once_confirmed(signed_in):
    Label.objects.create(name="unused")
    unconfirmed = signed_in.post("/manage/labels/unused/delete/", follow=True).content.decode()
    assert "to confirm" in unconfirmed, unconfirmed
    assert Label.objects.filter(name="unused").exists()
    done = signed_in.post("/manage/labels/unused/delete/", {"confirm": "1"}, follow=True)
    assert "Label unused deleted." in done.content.decode(), done.content.decode()
    assert not Label.objects.exists()
    assert AuditEvent.objects.filter(action="label.delete").exists()
