"""My certificates, a certificate's page, and what can be done from it."""

import datetime as dt

from django.utils import timezone

from certificates.models import Certificate
from requests_app.models import Request

PASSWORD = "Correct-Horse-9-battery"


def owned(issue, user, **kwargs):
    certificate = issue(**kwargs)
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=user)
    return certificate


def test_the_list_shows_my_certificates_with_their_status(issue, requester, client):
    valid = owned(issue, requester, cn="valid.example.com")
    soon = owned(issue, requester, cn="soon.example.com")
    Certificate.objects.filter(pk=soon["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=3)
    )
    issue(cn="not-mine.example.com")
    client.force_login(requester)
    page = client.get("/certificates/").content.decode()
    assert "valid.example.com" in page and "soon.example.com" in page
    assert "not-mine.example.com" not in page
    assert "expiring</span>" in page
    found = client.get("/certificates/?q=soon").content.decode()
    assert "soon.example.com" in found and "valid.example.com" not in found
    by_status = client.get("/certificates/?status=expiring").content.decode()
    assert "soon.example.com" in by_status and "valid.example.com" not in by_status
    by_serial = client.get(f"/certificates/?q={valid['serial'][:10]}").content.decode()
    assert "valid.example.com" in by_serial


def test_the_certificate_page_shows_details_downloads_and_actions(issue, requester, client):
    certificate = owned(issue, requester, centralized=True)
    client.force_login(requester)
    page = client.get(f"/certificates/{certificate['_id']}/").content.decode()
    assert certificate["serial"] in page and "Download PEM" in page
    assert "/revoke/" in page and "/recover/" in page
    # Not yet, and why: no button, the reason beside its name.
    assert "/renew/" not in page and "Renew</span>: Renewal opens" in page, page
    chain = client.get(f"/certificates/{certificate['_id']}/download/chain").content
    assert chain.count(b"BEGIN CERTIFICATE") == 3


def test_revoking_from_the_page_needs_the_confirmation(issue, requester, approver, client):
    certificate = owned(issue, approver)
    client.force_login(approver)
    path = f"/certificates/{certificate['_id']}/revoke/"
    response = client.post(path, {"reason": "keycompromise"})
    assert response.status_code == 200 and "confirm" in response.context["form"].errors
    assert not Certificate.objects.get(pk=certificate["_id"]).revoked
    response = client.post(path, {"reason": "keycompromise", "confirm": "on"})
    assert response.status_code == 302
    assert Certificate.objects.get(pk=certificate["_id"]).revocation_reason == "keycompromise"


def test_a_requester_revocation_from_the_page_waits_for_approval(issue, requester, client):
    certificate = owned(issue, requester)
    client.force_login(requester)
    response = client.post(
        f"/certificates/{certificate['_id']}/revoke/", {"reason": "superseded", "confirm": "on"}
    )
    assert response.status_code == 302
    assert Request.objects.get(workflow="revoke").status == "pending"


def test_update_from_the_page(issue, requester, approver, team, client):
    certificate = owned(issue, approver)
    client.force_login(approver)
    response = client.post(
        f"/certificates/{certificate['_id']}/update/",
        {"label_env": "prod", "team": "demo-team", "contact_email": "ops@example.com"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = Certificate.objects.get(pk=certificate["_id"])
    assert stored.labels == [{"key": "env", "value": "prod"}] and stored.team.name == "demo-team"


def test_renew_from_the_page_inside_the_renewal_period(issue, approver, client):
    certificate = owned(issue, approver)
    Certificate.objects.filter(pk=certificate["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=5)
    )
    client.force_login(approver)
    response = client.post(
        f"/certificates/{certificate['_id']}/renew/",
        {
            "key_mode": "generate",
            "key_type": "ec-secp256r1",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.post(response["Location"], {"action": "collect"}).content.decode()
    assert "data:application/x-pkcs12" in page


def test_recover_from_the_page(issue, approver, client):
    certificate = owned(issue, approver, centralized=True)
    client.force_login(approver)
    response = client.post(
        f"/certificates/{certificate['_id']}/recover/",
        {"key_mode": "generate", "password": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.post(response["Location"], {"action": "collect"}).content.decode()
    assert "data:application/x-pkcs12" in page


def test_migrate_from_the_page_in_two_steps_with_the_target_profiles_fields(
    issue, approver, pki, client
):
    from tests.factories import ProfileFactory, grant

    alt = ProfileFactory(name="webra-alt", display_name="Alternative servers", ca=pki["issuing"])
    grant(alt, approver, "perform", "migrate")
    certificate = owned(issue, approver)
    client.force_login(approver)
    path = f"/certificates/{certificate['_id']}/migrate/"
    first = client.get(path).content.decode()
    assert 'method="get"' in first and "Alternative servers" in first, first
    assert 'name="label_env"' not in first, "the data fields wait for the profile choice"
    second = client.get(path, {"target": "webra-alt"}).content.decode()
    assert "Step 2 of 2" in second and 'name="label_env"' in second, second
    assert 'type="hidden" name="target" value="webra-alt"' in second, second
    response = client.post(path, {"target": "webra-alt", "label_env": "staging"})
    assert response.status_code == 302, response.content.decode()[:2000]
    moved = Certificate.objects.get(pk=certificate["_id"])
    assert moved.profile == alt and moved.labels == [{"key": "env", "value": "staging"}]


def test_migrate_warns_before_submitting_when_the_certificate_does_not_fit(
    issue, approver, pki, client
):
    from profiles.models import SubjectRule
    from tests.factories import ProfileFactory, grant

    strict = ProfileFactory(name="webra-strict", ca=pki["issuing"])
    SubjectRule.objects.filter(profile=strict, element="cn.1").update(regex=r"[a-z]+\.internal")
    grant(strict, approver, "perform", "migrate")
    certificate = owned(issue, approver)
    client.force_login(approver)
    page = client.get(
        f"/certificates/{certificate['_id']}/migrate/", {"target": "webra-strict"}
    ).content.decode()
    assert "does not meet that profile" in page, page


def test_the_update_action_names_only_what_the_requester_may_change(issue, approver, client):
    certificate = owned(issue, approver)
    profile = Certificate.objects.get(pk=certificate["_id"]).profile
    profile.team_editable_by_requester = False
    profile.contact_email_editable_by_requester = False
    profile.owner_editable_by_requester = False
    profile.save()
    client.force_login(approver)
    page = client.get(f"/certificates/{certificate['_id']}/").content.decode()
    assert ">Update labels</a>" in page, page
    profile.label_rules.update(editable_by_requester=False)
    page = client.get(f"/certificates/{certificate['_id']}/").content.decode()
    assert "only approvers change its data" in page, page


def test_import_from_the_page(profile, approver, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.pages.test_import_pkcs12 import pkcs12_of
    from tests.requests_app.test_import import external_certificate

    pem, key_pem = external_certificate()
    client.force_login(approver)
    upload = SimpleUploadedFile("legacy.p12", pkcs12_of(pem, key_pem, PASSWORD))
    response = client.post(
        "/import/",
        {"profile": "webra-demo", "pkcs12_file": upload, "pkcs12_password": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Certificate.objects.get(dn="CN=legacy.example.com").escrowed


def test_an_import_error_is_reported_beside_the_pkcs12_file(profile, approver, client):
    from tests.requests_app.test_import import external_certificate

    pem, _ = external_certificate()
    client.force_login(approver)
    response = client.post("/import/", {"profile": "webra-demo", "certificate": pem})
    errors = response.context["form"].errors
    assert list(errors) == ["pkcs12_file"], errors
    assert errors["pkcs12_file"] == [
        "This profile keeps the key of every certificate: upload the PKCS#12 file with the"
        " certificate and its key. (WEBRA-IMPORT-001)"
    ], errors
    page = response.content.decode()
    # Once in the summary at the top (a link to the field), once beside the field.
    assert page.count("upload the PKCS#12 file with the certificate and its key") == 2, page
    assert 'href="#id_pkcs12_file"' in page, page


def test_a_bad_certificate_is_reported_beside_the_certificate_field(profile, approver, client):
    client.force_login(approver)
    response = client.post("/import/", {"profile": "webra-demo", "certificate": "not a cert"})
    errors = response.context["form"].errors
    assert list(errors) == ["certificate"], errors


def test_recover_is_offered_only_to_those_who_may_receive_the_key(
    issue, approver, requester, client
):
    certificate = owned(issue, approver, centralized=True)
    client.force_login(requester)  # holds "request" on recover, not the owner
    response = client.get(f"/certificates/{certificate['_id']}/")
    offered = [a.workflow for a in response.context["actions"]]
    assert "recover" not in offered, offered  # nor any other: it is not theirs
    assert client.get(f"/certificates/{certificate['_id']}/recover/").status_code == 404
    client.force_login(approver)
    response = client.get(f"/certificates/{certificate['_id']}/")
    recover = next(a for a in response.context["actions"] if a.workflow == "recover")
    assert recover.allowed, recover


def test_an_administrator_may_import_outside_any_profile_from_the_page(db, pki, client):
    from django.contrib.auth import get_user_model

    from tests.requests_app.test_import import external_certificate

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    pem, _ = external_certificate()
    client.force_login(admin)
    page = client.get("/import/").content.decode()
    assert "no profile (administrators)" in page, page
    response = client.post("/import/", {"profile": "-", "certificate": pem})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Certificate.objects.get(dn="CN=legacy.example.com").profile is None


def test_an_action_already_waiting_for_approval_is_not_offered_again(issue, requester, client):
    certificate = owned(issue, requester)
    client.force_login(requester)
    client.post(
        f"/certificates/{certificate['_id']}/revoke/", {"reason": "superseded", "confirm": "on"}
    )
    page = client.get(f"/certificates/{certificate['_id']}/").content.decode()
    assert "already waiting for approval" in page, page
    again = client.post(
        f"/certificates/{certificate['_id']}/revoke/", {"reason": "superseded", "confirm": "on"}
    )
    assert again.status_code == 200 and Request.objects.filter(workflow="revoke").count() == 1


def test_the_certificate_page_leads_to_a_generated_key_not_yet_collected(profile, approver, client):
    client.force_login(approver)
    response = client.post(
        "/enroll/webra-demo/",
        {
            "subject_cn.1": "keyed.example.com",
            "key_mode": "generate",
            "key_type": "ec-secp256r1",
            "password": PASSWORD,
            "password2": PASSWORD,
            "action": "submit",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request_page = response["Location"]
    certificate = Certificate.objects.get(dn="CN=keyed.example.com")
    page = client.get(f"/certificates/{certificate.pk}/").content.decode()
    assert f'href="{request_page}"' in page and "get your PKCS#12" in page, page
    client.post(request_page, {"action": "collect"})
    page = client.get(f"/certificates/{certificate.pk}/").content.decode()
    assert "get your PKCS#12" not in page


def test_the_certificate_page_takes_its_request_panel_from_the_requests_app(
    issue, requester, client, monkeypatch
):
    """certificates/ imports nothing of requests_app: the actions, the waiting key and the
    requests come from the panel it registers (certificates/extensions.py)."""
    from certificates import extensions

    certificate = owned(issue, requester)
    client.force_login(requester)
    page = client.get(f"/certificates/{certificate['_id']}/").content.decode()
    assert "What you can do" in page and "/revoke/" in page, page
    monkeypatch.delitem(extensions.EXTENSIONS, "requests")
    response = client.get(f"/certificates/{certificate['_id']}/")
    page = response.content.decode()
    assert response.status_code == 200 and certificate["serial"] in page, page
    assert "What you can do" not in page and "/revoke/" not in page, page
