"""Triggers' admin pages (/manage/triggers/): an administrator creates, edits, tests and
deletes an email trigger and a REST webhook through the same service as the admin API; the
webhook's signing secret is shown once (on creation, on rotation) and never again; secret
header values are never written into a page and are kept when left masked; deletion is
refused while profiles list the trigger; other accounts get 404."""

import re

import pytest
from werkzeug import Response

from administration.pages.trigger_forms import PLACEHOLDERS
from certificates.trigger_dictionary import certificate_dictionary
from raportal.models import AuditEvent
from requests_app.trigger_events import request_dictionary
from tests.factories import UserFactory
from triggers.definition import MASK
from triggers.delivery.http import SIGNATURE_HEADER, verify_signature
from triggers.models import Trigger

pytestmark = pytest.mark.django_db

TOKEN = "Bearer hook-token-1234567890"


@pytest.fixture
def signed_in(client, staff):
    client.force_login(staff)
    return client


def text(response) -> str:
    return response.content.decode()


def email_form(**fields) -> dict:
    base = {
        "name": "mail-on-submit",
        "event": "on_submit_enroll",
        "retries": "2",
        "run_period": "",
        "run_on_renewed": "",
        "sender": "RA Portal",
        "title": "Waiting: {{request.dn}}",
        "body": "Request {{request.id}} waits.",
        "attachments": ["attachPemCertificate"],
        "if_pkcs12": "",
        "to-TOTAL_FORMS": "2",
        "to-INITIAL_FORMS": "0",
        "to-MIN_NUM_FORMS": "0",
        "to-MAX_NUM_FORMS": "20",
        "to-0-type": "static",
        "to-0-value": "pki-team@example.com",
        "to-1-type": "requester",
        "to-1-value": "",
    }
    return base | fields


def rest_form(url: str, **fields) -> dict:
    base = {
        "name": "hook-on-approve",
        "event": "on_approve_enroll",
        "retries": "3",
        "run_period": "",
        "run_on_renewed": "",
        "method": "POST",
        "url": url,
        "headers": f"Authorization: {TOKEN}\nX-Source: ra-portal",
        "payload_type": "json",
        "payload": '{"request": "{{request.id}}", "dn": "{{request.dn}}"}',
        "expected_codes": "200, 204",
        "timeout": "5 seconds",
    }
    return base | fields


def shown_secret(page: str) -> str:
    match = re.search(r'id="signing-secret"[^>]*value="([^"]+)"', page)
    assert match, page
    return match.group(1)


# --- email ---------------------------------------------------------------------------------


def test_an_admin_creates_an_email_trigger_and_finds_it_in_the_list(signed_in):
    response = signed_in.post("/manage/triggers/new/email/", email_form(), follow=True)
    page = text(response)
    assert "Trigger mail-on-submit created." in page, page
    trigger = Trigger.objects.get(name="mail-on-submit")
    assert trigger.type == "email" and trigger.event == "on_submit_enroll" and trigger.retries == 2
    template = trigger.definition["emailTemplate"]
    assert template["to"] == [
        {"type": "static", "email": "pki-team@example.com"},
        {"type": "requester"},
    ], template
    assert template["title"] == "Waiting: {{request.dn}}" and template["isHtml"] is False
    assert trigger.definition["attachPemCertificate"] is True
    assert AuditEvent.objects.filter(action="trigger.create").exists()
    listing = text(signed_in.get("/manage/triggers/"))
    assert f'href="/manage/triggers/{trigger.pk}/"' in listing and "on_submit_enroll" in listing


def test_an_admin_edits_an_email_trigger(signed_in):
    signed_in.post("/manage/triggers/new/email/", email_form())
    trigger = Trigger.objects.get()
    form = text(signed_in.get(f"/manage/triggers/{trigger.pk}/edit/"))
    assert "Waiting: {{request.dn}}" in form and "pki-team@example.com" in form, form
    response = signed_in.post(
        f"/manage/triggers/{trigger.pk}/edit/",
        email_form(
            title="Still waiting",
            retries="5",
            **{"to-INITIAL_FORMS": "2", "to-1-type": ""},  # the requester row removed
        ),
        follow=True,
    )
    assert "Trigger mail-on-submit saved." in text(response), text(response)
    trigger.refresh_from_db()
    assert trigger.retries == 5 and trigger.definition["emailTemplate"]["title"] == "Still waiting"
    assert trigger.definition["emailTemplate"]["to"] == [
        {"type": "static", "email": "pki-team@example.com"}
    ]


def test_the_email_form_explains_what_is_wrong(signed_in):
    page = text(
        signed_in.post(
            "/manage/triggers/new/email/",
            email_form(
                event="on_expire",
                **{"to-0-type": "static", "to-0-value": "not-an-address", "to-1-type": ""},
            ),
        )
    )
    assert "on_expire needs a run period" in page, page
    assert "Type the email address" in page, page
    none = text(
        signed_in.post(
            "/manage/triggers/new/email/", email_form(**{"to-0-type": "", "to-1-type": ""})
        )
    )
    assert "Choose at least one recipient." in none, none
    assert not Trigger.objects.exists()


def test_the_form_help_names_the_placeholders(signed_in):
    page = text(signed_in.get("/manage/triggers/new/email/"))
    for key in (
        "request.dn",
        "certificate.notAfter",
        "team.managers.emails",
        "labels.&lt;name&gt;",
    ):
        assert key in page, (key, page)


def test_the_placeholders_listed_are_those_the_events_carry(issue, profile):
    from requests_app.models import Request

    certificate = issue()
    request = Request.objects.get(certificate_id=certificate["_id"])
    request_keys = {k for k in request_dictionary(request) if k.startswith("request.")}
    assert request_keys == set(PLACEHOLDERS["request"])
    cert_keys = {
        k for k in certificate_dictionary(request.certificate) if k.startswith("certificate.")
    }
    assert cert_keys == set(PLACEHOLDERS["certificate"])


def test_sending_a_test_mails_the_recipients_and_shows_the_outcome(signed_in, smtp_sink):
    signed_in.post("/manage/triggers/new/email/", email_form())
    trigger = Trigger.objects.get()
    response = signed_in.post(
        f"/manage/triggers/{trigger.pk}/test/", {"address": "tester@example.com"}
    )
    page = text(response)
    assert 'id="test-result"' in page and "Succeeded" in page, page
    assert sorted(m["X-Envelope-To"] for m in smtp_sink.messages) == [
        "pki-team@example.com",
        "tester@example.com",
    ], smtp_sink.subjects()
    assert smtp_sink.subjects() == ["Waiting: CN=test.example.com"] * 2
    assert AuditEvent.objects.filter(action="trigger.test").exists()


def test_a_failed_test_says_why(signed_in, settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    signed_in.post("/manage/triggers/new/email/", email_form())
    trigger = Trigger.objects.get()
    page = text(signed_in.post(f"/manage/triggers/{trigger.pk}/test/"))
    assert "Failed" in page and "mail not sent" in page, page


# --- REST ----------------------------------------------------------------------------------


@pytest.fixture
def hook(httpserver, loopback_allowed):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok", status=200)
    return httpserver


def create_rest(signed_in, hook, **fields):
    response = signed_in.post(
        "/manage/triggers/new/rest/", rest_form(hook.url_for("/hook"), **fields)
    )
    assert response.status_code == 200, text(response)
    return Trigger.objects.get(name=fields.get("name", "hook-on-approve")), response


def test_creating_a_webhook_shows_its_signing_secret_once(signed_in, hook):
    trigger, response = create_rest(signed_in, hook)
    secret = shown_secret(text(response))
    assert response["Cache-Control"] == "no-store"
    assert trigger.signing_secret() == secret
    assert trigger.header_values() == [TOKEN, "ra-portal"]
    for path in (
        f"/manage/triggers/{trigger.pk}/",
        f"/manage/triggers/{trigger.pk}/edit/",
        "/manage/triggers/",
    ):
        page = text(signed_in.get(path))
        assert secret not in page and "hook-token" not in page, (path, page)
    assert f"Authorization: {MASK}" in text(signed_in.get(f"/manage/triggers/{trigger.pk}/edit/"))


def test_rotating_shows_the_new_secret_once_and_the_old_one_stops(signed_in, hook):
    trigger, created = create_rest(signed_in, hook)
    old = shown_secret(text(created))
    unconfirmed = signed_in.post(f"/manage/triggers/{trigger.pk}/rotate/", follow=True)
    assert "to confirm" in text(unconfirmed)
    trigger.refresh_from_db()
    assert trigger.signing_secret() == old
    rotated = signed_in.post(f"/manage/triggers/{trigger.pk}/rotate/", {"confirm": "1"})
    new = shown_secret(text(rotated))
    trigger.refresh_from_db()
    assert new != old and trigger.signing_secret() == new
    assert new not in text(signed_in.get(f"/manage/triggers/{trigger.pk}/"))
    assert AuditEvent.objects.filter(action="trigger.rotate_secret").exists()


def test_editing_a_webhook_keeps_masked_values_by_header_name(signed_in, hook):
    trigger, _ = create_rest(signed_in, hook)
    response = signed_in.post(
        f"/manage/triggers/{trigger.pk}/edit/",
        rest_form(
            hook.url_for("/hook"),
            # Lines moved and one added: the masked value follows its name, not its line.
            headers=f"X-Source: portal-2\nX-Extra: 1\nAuthorization: {MASK}",
            retries="1",
        ),
        follow=True,
    )
    assert "Trigger hook-on-approve saved." in text(response), text(response)
    trigger.refresh_from_db()
    assert trigger.header_values() == ["portal-2", "1", TOKEN]
    assert trigger.retries == 1
    assert "hook-token" not in text(response)


def test_a_masked_value_without_a_saved_header_of_its_name_is_refused(signed_in, hook):
    trigger, _ = create_rest(signed_in, hook)
    page = text(
        signed_in.post(
            f"/manage/triggers/{trigger.pk}/edit/",
            rest_form(hook.url_for("/hook"), headers=f"X-Api-Key: {MASK}"),
        )
    )
    assert "X-Api-Key: no saved value to keep" in page, page
    trigger.refresh_from_db()
    assert trigger.header_values() == [TOKEN, "ra-portal"]


def test_a_typed_secret_is_not_written_back_beside_an_error(signed_in, hook):
    response = signed_in.post(
        "/manage/triggers/new/rest/",
        rest_form(hook.url_for("/hook"), timeout="soon", headers="X-Api-Key: typed-s3cret-value"),
    )
    page = text(response)
    assert response.status_code == 400 and "is not a duration like" in page, page
    assert "typed-s3cret-value" not in page and f"X-Api-Key: {MASK}" in page, page
    masked = text(
        signed_in.post(
            "/manage/triggers/new/rest/",
            rest_form(hook.url_for("/hook"), headers=f"X-Api-Key: {MASK}"),
        )
    )
    assert "keeps a saved value only" in masked, masked
    assert not Trigger.objects.exists()


def test_a_loopback_url_is_refused_unless_allowed(signed_in, httpserver):
    page = text(
        signed_in.post("/manage/triggers/new/rest/", rest_form(httpserver.url_for("/hook")))
    )
    assert "REQ-002" in page and "call 1" in page, page
    assert not Trigger.objects.exists()


def test_sending_a_test_calls_the_receiver_signed_and_shows_the_answer(signed_in, hook):
    trigger, created = create_rest(signed_in, hook)
    secret = shown_secret(text(created))
    page = text(signed_in.post(f"/manage/triggers/{trigger.pk}/test/"))
    assert "Succeeded" in page and "The answer: 200" in page, page
    assert "hook-token" not in page and secret not in page, page
    (call, _answer) = hook.log[-1]
    assert call.headers["Authorization"] == TOKEN
    assert verify_signature(secret, call.get_data(), call.headers[SIGNATURE_HEADER])
    assert '"dn": "CN=test.example.com"' in call.get_data(as_text=True)


def test_a_test_against_a_failing_receiver_shows_the_failure(
    signed_in, httpserver, loopback_allowed
):
    httpserver.expect_request("/hook").respond_with_handler(lambda r: Response("no", status=500))
    trigger, _ = create_rest(signed_in, httpserver)
    page = text(signed_in.post(f"/manage/triggers/{trigger.pk}/test/"))
    assert "Failed" in page and "answered 500" in page, page


# --- deletion, access, escaping ------------------------------------------------------------


def test_deletion_is_refused_while_a_profile_lists_the_trigger(signed_in, profile):
    signed_in.post("/manage/triggers/new/email/", email_form())
    trigger = Trigger.objects.get()
    profile.triggers = {"onSubmitEnroll": ["mail-on-submit"]}
    profile.save()
    detail = text(signed_in.get(f"/manage/triggers/{trigger.pk}/"))
    assert "webra-demo" in detail, detail
    listing = text(signed_in.get("/manage/triggers/"))
    assert "webra-demo" in listing, listing
    refused = signed_in.post(
        f"/manage/triggers/{trigger.pk}/delete/", {"confirm": "1"}, follow=True
    )
    assert "not deleted" in text(refused) and "webra-demo" in text(refused), text(refused)
    assert Trigger.objects.filter(pk=trigger.pk).exists()
    profile.triggers = {}
    profile.save()
    unconfirmed = signed_in.post(f"/manage/triggers/{trigger.pk}/delete/", follow=True)
    assert "to confirm" in text(unconfirmed) and Trigger.objects.exists()
    done = signed_in.post(f"/manage/triggers/{trigger.pk}/delete/", {"confirm": "1"}, follow=True)
    assert "Trigger mail-on-submit deleted." in text(done), text(done)
    assert not Trigger.objects.exists()


def test_names_and_texts_are_escaped(signed_in):
    signed_in.post(
        "/manage/triggers/new/email/",
        email_form(name="<b>x</b>", title="<script>alert(1)</script>"),
    )
    trigger = Trigger.objects.get()
    for path in ("/manage/triggers/", f"/manage/triggers/{trigger.pk}/"):
        page = text(signed_in.get(path))
        assert "<b>x</b>" not in page and "<script>alert(1)</script>" not in page, page
        assert "&lt;b&gt;x&lt;/b&gt;" in page, page


def trigger_paths(pk: int) -> list[tuple[str, bool]]:
    return [
        ("/manage/triggers/", True),
        ("/manage/triggers/new/email/", True),
        ("/manage/triggers/new/rest/", True),
        (f"/manage/triggers/{pk}/", True),
        (f"/manage/triggers/{pk}/edit/", True),
        (f"/manage/triggers/{pk}/test/", False),
        (f"/manage/triggers/{pk}/rotate/", False),
        (f"/manage/triggers/{pk}/delete/", False),
    ]


def test_other_accounts_get_404_and_staff_get_each_page(client, signed_in, staff):
    signed_in.post("/manage/triggers/new/email/", email_form())
    trigger = Trigger.objects.get()
    for path, gets in trigger_paths(trigger.pk):
        assert signed_in.get(path).status_code == (200 if gets else 405), path
    client.force_login(UserFactory(username="someone"))
    for path, _ in trigger_paths(trigger.pk):
        for method in (client.get, client.post):
            assert method(path).status_code == 404, path
    assert Trigger.objects.filter(pk=trigger.pk).exists()


def test_the_admin_home_links_the_triggers(signed_in):
    page = text(signed_in.get("/manage/"))
    assert 'href="/manage/triggers/"' in page, page
