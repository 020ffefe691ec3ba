"""The decision page: everything to decide on one screen, approve or deny with a comment,
approver edits, and separation of duties."""

import pytest

from certificates.models import Certificate
from raportal.models import AuditEvent
from requests_app.models import Request
from tests.conftest import enroll_body, revoke_body
from tests.factories import make_csr


@pytest.fixture
def pending(profile, requester_api):
    def make(cn="app.example.com", **template):
        template.setdefault("subject", [{"element": "cn.1", "value": cn}])
        template.setdefault(
            "csr",
            make_csr(subject=[("cn.1", cn)], sans=[("DNSNAME", cn)])[0],
        )
        status, answer = requester_api.submit(enroll_body(**template))
        assert status == 201 and answer["status"] == "pending", answer
        return answer["_id"]

    return make


def page_of(client, request_id) -> str:
    response = client.get(f"/approvals/{request_id}/")
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


def test_the_decision_page_shows_the_decoded_csr_the_rules_and_the_holder_counts(
    pending, issue, approver, client
):
    # The holder (same DN and SANs) already has one certificate.
    issue(cn="app.example.com", sans=[{"type": "DNSNAME", "value": ["app.example.com"]}])
    request_id = pending("app.example.com")
    client.force_login(approver)
    page = page_of(client, request_id)
    assert 'id="csr"' in page and "ec-secp256r1" in page and "256 bits" in page, page
    assert ">valid</span>" in page, "the CSR's signature is checked"
    assert 'id="rules"' in page and "cn.1" in page and ">ok</span>" in page, page
    holder = page[page.index('id="holder"') :][:400]
    assert "<strong>1</strong> valid certificate on this profile" in holder, holder
    assert 'value="approve"' in page and 'value="deny"' in page


def test_approving_with_a_comment_issues_and_the_request_page_shows_who_and_why(
    pending, approver, requester, client
):
    request_id = pending()
    client.force_login(approver)
    response = client.post(
        f"/approvals/{request_id}/", {"decision": "approve", "comment": "Looks right"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = Request.objects.get(pk=request_id)
    assert stored.status == "completed" and stored.certificate is not None
    event = AuditEvent.objects.get(action="request.approve.enroll", object_id=request_id)
    assert event.actor == approver and event.detail["comment"] == "Looks right"
    assert "issued" in event.detail["outcome"]
    client.force_login(requester)
    page = client.get(f"/requests/{request_id}/").content.decode()
    assert "Looks right" in page and stored.certificate.serial in page, page


def test_denying_needs_a_comment_that_the_requester_then_reads(
    pending, approver, requester, client
):
    request_id = pending()
    client.force_login(approver)
    response = client.post(f"/approvals/{request_id}/", {"decision": "deny", "comment": " "})
    assert response.status_code == 200 and "Say why" in response.content.decode()
    assert Request.objects.get(pk=request_id).status == "pending"
    client.post(f"/approvals/{request_id}/", {"decision": "deny", "comment": "Wrong team"})
    assert Request.objects.get(pk=request_id).status == "denied"
    client.force_login(requester)
    page = client.get(f"/requests/{request_id}/").content.decode()
    assert "Wrong team" in page, page


def test_an_approver_edit_is_applied_and_shown_in_the_history(pending, approver, client):
    request_id = pending()
    client.force_login(approver)
    page = page_of(client, request_id)
    assert 'name="label:env"' in page, page
    response = client.post(
        f"/approvals/{request_id}/",
        {"decision": "approve", "comment": "", "label:env": "prod"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    certificate = Request.objects.get(pk=request_id).certificate
    assert certificate.labels == [{"key": "env", "value": "prod"}]
    history = client.get(f"/requests/{request_id}/").content.decode()
    assert "edited by the approver: labels" in history, history


def test_an_approver_edit_that_breaks_a_rule_is_shown_beside_its_field(pending, approver, client):
    request_id = pending()
    client.force_login(approver)
    response = client.post(
        f"/approvals/{request_id}/",
        {"decision": "approve", "comment": "", "san:DNSNAME": "not a host name"},
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "san:DNSNAME" in response.context["form"].errors, response.context["form"].errors
    assert Request.objects.get(pk=request_id).status == "pending"


def test_nobody_gets_the_buttons_for_their_own_request_and_the_page_refuses_it(
    profile, approver, approver_api, client
):
    from profiles.models import Grant

    # The approver asks with a request-level grant: their own request waits for someone else.
    Grant.objects.filter(profile=profile, user=approver, workflow="enroll").update(level="request")
    status, answer = approver_api.submit(enroll_body(csr=make_csr()[0]))
    assert status == 201 and answer["status"] == "pending", answer
    Grant.objects.filter(profile=profile, user=approver, workflow="enroll").update(level="perform")
    client.force_login(approver)
    page = page_of(client, answer["_id"])
    assert 'value="approve"' not in page and "your own request" in page, page
    assert answer["_id"] not in client.get("/approvals/").content.decode()
    client.post(f"/approvals/{answer['_id']}/", {"decision": "approve", "comment": "me"})
    assert Request.objects.get(pk=answer["_id"]).status == "pending"
    request_page = client.get(f"/requests/{answer['_id']}/").content.decode()
    assert "Review and decide" not in request_page


def test_a_requester_sees_no_decision_buttons(pending, profile, requester, client):
    # An approver elsewhere (revocations), so the approvers' pages open: not for this one.
    requester.rap_grants.filter(workflow="revoke").update(level="perform")
    request_id = pending()
    client.force_login(requester)
    page = page_of(client, request_id)
    assert 'value="approve"' not in page and "You cannot decide" in page, page
    client.post(f"/approvals/{request_id}/", {"decision": "approve", "comment": ""})
    assert Request.objects.get(pk=request_id).status == "pending"


def test_an_approver_without_a_grant_on_the_profile_gets_404(pending, outsider, client):
    request_id = pending()
    client.force_login(outsider)
    assert client.get(f"/approvals/{request_id}/").status_code == 404
    response = client.post(f"/approvals/{request_id}/", {"decision": "approve", "comment": ""})
    assert response.status_code == 404
    assert Request.objects.get(pk=request_id).status == "pending"


def test_a_revocation_shows_the_certificate_before_and_after(
    issue, requester, requester_api, approver, client
):
    certificate = issue()
    Certificate.objects.filter(pk=certificate["_id"]).update(owner=requester)
    status, answer = requester_api.submit(revoke_body(certificate["_id"], "superseded"))
    assert status == 201, answer
    client.force_login(approver)
    page = page_of(client, answer["_id"])
    changes = page[page.index('id="changes"') :][:600]
    assert "valid" in changes and "revoked (superseded)" in changes, changes
    response = client.post(f"/approvals/{answer['_id']}/", {"decision": "approve", "comment": ""})
    assert response.status_code == 302
    assert Certificate.objects.get(pk=certificate["_id"]).revoked


def test_the_requester_sees_which_requests_were_decided_since_their_last_visit(
    pending, requester, approver, client
):
    first, _ = pending("one.example.com"), pending("two.example.com")
    client.force_login(requester)
    assert "since your last visit" not in client.get("/requests/").content.decode()
    client.force_login(approver)
    client.post(f"/approvals/{first}/", {"decision": "deny", "comment": "no"})
    client.force_login(requester)
    page = client.get("/requests/").content.decode()
    assert "1 of your requests was decided since your last visit" in page, page
    assert page.count(">new</span>") == 2, "the banner's example and the one row"
    again = client.get("/requests/").content.decode()
    assert "since your last visit" not in again, "seen now"


def test_a_form_sent_back_unchanged_edits_nothing(pending, approver, client):
    """A browser sends every field back, textareas with CRLF line ends."""
    request_id = pending(
        sans=[{"type": "DNSNAME", "value": ["app.example.com", "www.example.com"]}],
        labels=[{"label": "env", "value": "dev"}],
    )
    client.force_login(approver)
    form = client.get(f"/approvals/{request_id}/").context["form"]
    body = {name: form[name].value() or "" for name in form.initials}
    body["san:DNSNAME"] = body["san:DNSNAME"].replace("\n", "\r\n")
    assert "\r\n" in body["san:DNSNAME"], body
    response = client.post(
        f"/approvals/{request_id}/", body | {"decision": "approve", "comment": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="request.approve.enroll", object_id=request_id)
    assert event.detail["edited"] == [], event.detail


def test_a_label_value_the_profile_no_longer_lists_is_kept_unless_changed(
    pending, approver, profile, client
):
    request_id = pending(labels=[{"label": "env", "value": "dev"}])
    profile.label_rules.filter(label="env").update(enum=["staging", "prod"])
    client.force_login(approver)
    page = page_of(client, request_id)
    assert "dev (no longer in the profile" in page, page


def test_an_error_about_an_element_without_a_field_is_shown_above_the_form(
    pending, approver, profile, client
):
    request_id = pending()
    profile.subject_rules.filter(element="cn.1").update(
        regex=r"[a-z]+\.internal", editable_by_approver=False
    )
    client.force_login(approver)
    response = client.post(
        f"/approvals/{request_id}/",
        {"decision": "approve", "comment": "", "label:env": "prod"},
    )
    errors = response.context["form"].non_field_errors()
    assert any("cn.1" in error for error in errors), response.context["form"].errors


def test_the_rules_table_shows_each_rule_with_its_own_result(pending, approver, profile, client):
    request_id = pending("app.example.com")
    profile.subject_rules.filter(element="o.1").update(mandatory=True)
    client.force_login(approver)
    page = page_of(client, request_id)
    rules = page[page.index('id="rules"') : page.index("</table>", page.index('id="rules"'))]
    cn = rules[rules.index("<td>Common name (cn.1)</td>") :].split("</tr>")[0]
    assert ">ok</span>" in cn and "app.example.com" in cn, cn
    o = rules[rules.index("<td>Organization (o.1)</td>") :].split("</tr>")[0]
    assert ">fails</span>" in o and "mandatory" in o, o


def test_a_post_by_someone_who_may_not_decide_is_refused_with_403(
    pending, profile, requester, client
):
    # An approver of other requests (revocations):
    requester.rap_grants.filter(workflow="revoke").update(level="perform")
    request_id = pending()
    client.force_login(requester)
    response = client.post(f"/approvals/{request_id}/", {"decision": "approve", "comment": ""})
    assert response.status_code == 403
    assert Request.objects.get(pk=request_id).status == "pending"


def test_an_account_that_may_approve_nothing_gets_404_on_every_approver_page(
    pending, requester, client
):
    request_id = pending()
    client.force_login(requester)
    assert "To decide" not in client.get("/").content.decode()
    for response in (
        client.get("/approvals/"),
        client.get(f"/approvals/{request_id}/"),
        client.post(f"/approvals/{request_id}/", {"decision": "approve", "comment": ""}),
        client.post("/approvals/bulk", {"ids": [request_id], "decision": "approve"}),
    ):
        assert response.status_code == 404, response.content.decode()[:500]
    assert Request.objects.get(pk=request_id).status == "pending"


def test_an_expired_request_cannot_be_decided_from_its_page(pending, approver, client):
    from django.utils import timezone

    request_id = pending()
    Request.objects.filter(pk=request_id).update(expires_at=timezone.now())
    client.force_login(approver)
    page = page_of(client, request_id)
    assert 'value="approve"' not in page and "expired" in page, page


def test_a_teammates_own_immediate_request_is_not_news_and_paging_keeps_the_marks(
    pending, team, requester, approver, approver_api, client
):
    from tests.conftest import enroll_body as body

    client.force_login(requester)
    client.get("/requests/")  # the visit the marks count from
    status, own = approver_api.submit(body(csr=make_csr()[0], team={"value": "demo-team"}))
    assert status == 201 and own["status"] == "completed", own
    decided = pending("decided.example.com")
    client.force_login(approver)
    client.post(f"/approvals/{decided}/", {"decision": "deny", "comment": "no"})
    client.force_login(requester)
    filtered = client.get("/requests/?status=denied").content.decode()
    assert "1 of your requests was decided" in filtered, filtered
    page = client.get("/requests/").content.decode()
    assert "1 of your requests was decided" in page, "the filtered view did not reset it"
