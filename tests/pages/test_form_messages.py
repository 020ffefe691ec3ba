"""What a refused form says (issue 17): the password rule broken, by name, and an error in
place of the help text it would repeat."""

import re

import pytest

from certificates.models import Certificate
from requests_app.models import Request
from tests.conftest import enroll_body

PASSWORD = "Correct-Horse-9-battery"
COUNTRY = "Use the two-letter country code, e.g. FR, DE, US."


def generate(**fields):
    return {
        "subject_cn.1": "web.example.com",
        "key_mode": "generate",
        "key_type": "ec-secp256r1",
        "team": "",
        "contact_email": "",
        "label_env": "",
        "action": "submit",
    } | fields


def enroll(client, **fields):
    return client.post("/enroll/webra-demo/", generate(**fields))


def test_a_too_short_password_is_refused_with_the_length_the_policy_asks(profile, approver, client):
    client.force_login(approver)
    response = enroll(client, password="Short-pw-1", password2="Short-pw-1")
    errors = response.context["form"].errors
    assert errors == {"password": ["The PKCS#12 password needs at least 12 characters."]}, errors
    assert "differ" not in response.content.decode()
    assert not Request.objects.exists()


def test_a_password_lacking_several_kinds_of_character_names_each_rule(profile, approver, client):
    client.force_login(approver)
    response = enroll(client, password="only-lower-case-letters", password2="x")
    errors = response.context["form"].errors
    assert errors["password"] == [
        "The PKCS#12 password needs at least 1 upper-case letter and at least 1 digit."
    ], errors
    assert errors["password2"] == ["The two passwords differ."], errors


def test_the_page_names_the_same_rule_as_the_api(profile, approver, approver_api, client):
    body = enroll_body(keyType="ec-secp256r1") | {"password": {"value": "short"}}
    status, answer = approver_api.submit(body)
    assert (status, answer["error"]) == (400, "WEBRA-ENROLL-012"), answer
    client.force_login(approver)
    page_error = enroll(client, password="short", password2="short").context["form"].errors
    assert page_error["password"] == [answer["detail"][0].upper() + answer["detail"][1:] + "."]


def test_a_password_that_follows_the_policy_is_accepted(profile, approver, client):
    client.force_login(approver)
    response = enroll(client, password=PASSWORD, password2=PASSWORD)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Certificate.objects.filter(dn="CN=web.example.com").exists()


@pytest.mark.parametrize("action", ["renew", "recover"])
def test_renew_and_recover_name_the_password_rule_broken(issue, approver, client, action):
    import datetime as dt

    from django.utils import timezone

    certificate = issue("keyed.example.com", centralized=True)
    Certificate.objects.filter(pk=certificate["_id"]).update(
        owner=approver, not_after=timezone.now() + dt.timedelta(days=5)
    )
    client.force_login(approver)
    response = client.post(
        f"/certificates/{certificate['_id']}/{action}/",
        {"key_mode": "generate", "key_type": "ec-secp256r1", "password": "a", "password2": "a"},
    )
    errors = response.context["form"].errors
    assert errors["password"] == [
        "The PKCS#12 password needs at least 12 characters, at least 1 upper-case letter "
        "and at least 1 digit."
    ], errors


# --- help texts and errors ------------------------------------------------------------------


def field_block(page: str, field_id: str) -> str:
    """The markup of one crispy field, from its wrapper to the next field's."""
    start = page.index(f'id="div_{field_id}"')
    end = page.find('id="div_', start + 1)
    return page[start : end if end > 0 else None]


def test_a_refused_field_shows_its_error_and_not_the_help_text_it_repeats(
    profile, requester, client
):
    client.force_login(requester)
    fresh = client.get("/enroll/webra-demo/").content.decode()
    assert COUNTRY in field_block(fresh, "id_subject_c.1"), "the help, before any error"
    response = enroll(client, **{"subject_c.1": "France"}, password=PASSWORD, password2=PASSWORD)
    assert response.context["form"].errors["subject_c.1"] == [COUNTRY]
    page = response.content.decode()
    block = field_block(page, "id_subject_c.1")
    assert block.count(COUNTRY) == 1 and "invalid-feedback" in block, block
    assert 'id="id_subject_c.1_helptext"' not in page, block
    # Named once beside the field and once in the summary at the top: not a third time.
    assert page.count(COUNTRY) == 2, page


def test_a_refused_field_is_described_by_its_error_only(profile, requester, client):
    client.force_login(requester)
    response = enroll(client, **{"subject_c.1": "France"}, password=PASSWORD, password2=PASSWORD)
    block = field_block(response.content.decode(), "id_subject_c.1")
    described = re.search(r'aria-describedby="([^"]*)"', block)
    assert described and described.group(1) == "id_subject_c.1_error", block


def test_fields_without_an_error_keep_their_help_text(profile, requester, client):
    client.force_login(requester)
    response = enroll(client, **{"subject_c.1": "France"}, password=PASSWORD, password2=PASSWORD)
    page = response.content.decode()
    assert "Who is warned before the certificate expires." in page, page
    assert "type it again in both boxes" in field_block(page, "id_password"), page


def test_a_refused_password_box_comes_back_empty_saying_to_type_it_again(profile, approver, client):
    client.force_login(approver)
    page = enroll(client, password="Short-pw-1", password2="Short-pw-1").content.decode()
    assert "needs at least 12 characters" in page
    assert "type it again in both boxes" in page, page
    assert "Short-pw-1" not in page
