"""A password (or a private key) typed into a page is never written back into a page: not
after a preview, not beside an error, not on the page a submission leads to. The
requester types it again instead, told why (security review finding 4.8: the enroll page
wrote the PKCS#12 password back into its HTML).

Every page that shows a password box is tried here: a walk over the routes finds them."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from certificates.models import Certificate
from tests.abuse.test_control_characters import reaching_values, routes, url_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "Unique-Secret-4-rendering"
OTHER = "Another-Secret-7-typed"
KEY_MARKER = "PRIVATE KEY"


def generate(**fields) -> dict:
    """A key the portal generates, protected by SECRET typed twice."""
    return {
        "key_mode": "generate",
        "key_type": "ec-secp256r1",
        "password": SECRET,
        "password2": SECRET,
    } | fields


def enroll_form(**fields) -> dict:
    base = {
        "subject_cn.1": "web.example.com",
        "team": "",
        "contact_email": "",
        "label_env": "",
        "action": "submit",
    }
    return base | generate() | fields


def assert_never_shown(response, *secrets: str):
    body = response.content.decode()
    for secret in secrets:
        assert secret not in body, f"{secret[:6]}… written back into the page: {body[:4000]}"
    if response.status_code in (301, 302):
        return
    assert not re.search(r'type="password"[^>]*value="[^"]', body), body[:4000]


@pytest.fixture
def owned(issue, approver):
    """A certificate the approver owns, issued centralized (its key escrowed), in its renewal
    period."""
    certificate = issue("owned.example.com", centralized=True)
    Certificate.objects.filter(pk=certificate["_id"]).update(
        owner=approver, not_after=timezone.now() + dt.timedelta(days=5)
    )
    return certificate


def test_the_enroll_preview_does_not_write_the_password_back_and_asks_for_it_again(
    profile, approver, client
):
    client.force_login(approver)
    response = client.post("/enroll/webra-demo/", enroll_form(action="preview"))
    assert response.status_code == 200 and 'id="preview"' in response.content.decode()
    assert_never_shown(response, SECRET)
    assert "type it again" in response.content.decode(), response.content.decode()[:4000]


@pytest.mark.parametrize(
    "fields",
    [
        {"password2": OTHER},  # the form's own check
        {"san_DNSNAME_0": "not a host"},  # the services' check
        {"subject_cn.1": ""},  # a required field left empty
    ],
    ids=["passwords differ", "a name refused", "a field missing"],
)
@pytest.mark.parametrize("action", ["preview", "submit"])
def test_an_enroll_error_does_not_write_the_passwords_back(
    profile, approver, client, fields, action
):
    client.force_login(approver)
    response = client.post("/enroll/webra-demo/", enroll_form(action=action, **fields))
    assert response.status_code == 200, response.content.decode()[:3000]
    assert response.context["form"].errors, response.content.decode()[:3000]
    assert_never_shown(response, SECRET, OTHER)
    assert "type it again" in response.content.decode(), response.content.decode()[:4000]


def test_the_page_an_enrollment_leads_to_does_not_show_the_password(profile, approver, client):
    client.force_login(approver)
    response = client.post("/enroll/webra-demo/", enroll_form(), follow=True)
    assert response.redirect_chain, response.content.decode()[:3000]
    assert_never_shown(response, SECRET)


@pytest.mark.parametrize("action", ["renew", "recover"])
def test_a_certificate_action_error_and_its_outcome_do_not_write_the_password_back(
    owned, approver, client, action
):
    client.force_login(approver)
    path = f"/certificates/{owned['_id']}/{action}/"
    assert_never_shown(client.get(path), SECRET)
    refused = client.post(path, generate(password2=OTHER))
    assert refused.context["form"].errors, refused.content.decode()[:3000]
    assert_never_shown(refused, SECRET, OTHER)
    assert "type it again" in refused.content.decode(), refused.content.decode()[:4000]
    done = client.post(path, generate(), follow=True)
    assert done.redirect_chain, done.content.decode()[:3000]
    assert_never_shown(done, SECRET)


def test_an_import_error_does_not_write_the_pkcs12_password_nor_its_key_back(
    profile, approver, client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.pages.test_import_pkcs12 import pkcs12_of
    from tests.requests_app.test_import import external_certificate

    pem, key_pem = external_certificate()
    upload = SimpleUploadedFile("legacy.p12", pkcs12_of(pem, key_pem, SECRET))
    client.force_login(approver)
    response = client.post(
        "/import/",
        {"profile": "no-such-profile", "pkcs12_file": upload, "pkcs12_password": SECRET},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert_never_shown(response, SECRET, key_pem.strip().splitlines()[1], KEY_MARKER)
    assert "choose the file again" in response.content.decode(), response.content.decode()[:4000]


def test_an_account_password_error_does_not_write_the_password_back(client, requester):
    client.force_login(UserFactory(username="admin", is_staff=True))
    response = client.post(
        f"/manage/accounts/{requester.pk}/password/",
        {"new_password1": SECRET, "new_password2": OTHER},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert_never_shown(response, SECRET, OTHER)


# The pages above, by route: every page that shows a password box must be one of them.
TRIED = {
    "/enroll/<slug:name>/",
    "/certificates/<uuid:certificate_id>/<slug:action>/",
    "/manage/accounts/<int:user_id>/password/",
    "/import/",
    "/login/",  # Django's sign-in: PasswordInput never renders its value
    "/admin/login/",
    "/admin/password_change/",
    "/admin/auth/user/<id>/password/",
    "/admin/auth/user/add/",
    # The profile editor shows the enroll form as the requester will see it: never bound to
    # what anyone typed (the walk below checks its boxes are empty).
    "/manage/profiles/<slug:name>/",
    "/manage/profiles/<slug:name>/preview/",
}


def test_every_page_with_a_password_box_is_tried_here(profile, issue, approver, client):
    certificate = issue("tried.example.com", centralized=True)
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=approver)
    approver.is_staff = approver.is_superuser = True
    approver.save()
    client.force_login(approver)
    values = reaching_values({"certificate": certificate, "staff": approver})
    with_boxes = set()
    for route, _ in routes():
        actions = ("renew", "recover") if "<slug:action>" in route else (None,)
        for action in actions:
            url = url_for(route, values | ({"slug": action} if action else {}))
            if "<slug:name>" in route and route.startswith("/enroll/"):
                url = url_for(route, values | {"slug": "webra-demo"})
            response = client.get(url)
            if response.streaming:  # a download (the audit log's export): no form
                continue
            if response.status_code == 200 and 'type="password"' in response.content.decode():
                with_boxes.add(route)
                assert_never_shown(response)
    assert with_boxes - TRIED == set(), f"password boxes not tried here: {with_boxes - TRIED}"
    assert "/enroll/<slug:name>/" in with_boxes, with_boxes
