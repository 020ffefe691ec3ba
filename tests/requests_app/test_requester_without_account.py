"""A request filed without an account (proof of possession) has no requester row, only a name.
Every place that asks "is this the caller's own request?" must answer no for it — None equals
None, and an anonymous caller's pk is None too — and every place that shows or mails the
requester must cope. Filed by the services, such a request is completed at once; here some are
made pending on purpose, to hold each guard even where the services never lead."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.db import IntegrityError, transaction

from certificates import pop
from certificates.models import Certificate
from raportal.errors import DomainError
from requests_app import notifications, services
from requests_app.models import Request, Status
from requests_app.search.scopes import RequestPermissions
from tests.conftest import enroll_body
from tests.factories import make_csr

DN = "CN=device-7.example.com"


@pytest.fixture
def pending_without_account(profile, requester_api, team):
    """A pending enrollment whose requester is no account, shared with the demo team."""
    status, body = requester_api.submit(enroll_body(csr=make_csr()[0], team={"value": team.name}))
    assert status == 201 and body["status"] == "pending", body
    Request.objects.filter(pk=body["_id"]).update(requester=None, requester_identifier=DN)
    return Request.objects.get(pk=body["_id"])


def nobodies(certificate=None):
    callers = [AnonymousUser()]
    if certificate is not None:
        callers.append(pop.PopPrincipal(pop.PopProof(certificate)))
    return callers


def test_a_request_without_an_account_is_named_by_its_identifier(pending_without_account):
    assert pending_without_account.requester_name == DN


def test_nobody_without_an_account_filed_a_request_without_an_account(
    pending_without_account, issue
):
    certificate = Certificate.objects.get(pk=issue()["_id"])
    Request.objects.filter(pk=pending_without_account.pk).update(
        status=Status.COMPLETED, sealed_password=b"sealed"
    )
    request = Request.objects.get(pk=pending_without_account.pk)
    for nobody in nobodies(certificate):
        assert not request.is_requested_by(nobody), nobody
        assert not request.has_secrets_for(nobody), nobody
        assert not Request.objects.with_secrets_for(nobody).exists()
        assert not Request.objects.visible_to(nobody).exists()
        assert not Request.objects.pending_for(nobody).exists()


def test_nobody_cancels_a_request_filed_without_an_account(
    pending_without_account, requester, approver
):
    for caller in [requester, approver, AnonymousUser()]:  # requester and approver: its team
        with pytest.raises(DomainError) as refused:
            services.check_may_cancel(caller, pending_without_account)
        assert refused.value.code == "SEC-PERM-001"


def test_an_approver_may_decide_on_a_request_filed_without_an_account(
    pending_without_account, approver, approver_api
):
    services.check_may_decide(approver, pending_without_account)  # not theirs: allowed
    status, body = approver_api.post(
        "/api/v1/requests/approve", {"_id": str(pending_without_account.pk)}
    )
    assert status == 200 and body["status"] == "completed", body
    assert body["requester"] == DN and body["approver"] == "approver"


def test_the_search_permissions_never_make_it_the_callers_own(pending_without_account):
    nobody = RequestPermissions(caller=None, team_ids=set())
    assert nobody.on(pending_without_account) == {"approve": False, "cancel": False}


def test_search_results_name_the_requester_by_its_identifier(pending_without_account, approver_api):
    status, body = approver_api.post(
        "/api/v1/requests/search", {"query": "status equals pending", "scope": "manage"}
    )
    assert status == 200, body
    assert [result["requester"] for result in body["results"]] == [DN]


def test_the_approvers_mail_names_the_requester_without_an_account(pending_without_account):
    mail.outbox.clear()
    assert notifications.send_pending_notice(str(pending_without_account.pk)) >= 1
    assert DN in mail.outbox[0].body


def test_no_decision_is_mailed_to_a_requester_without_an_account(pending_without_account, approver):
    Request.objects.filter(pk=pending_without_account.pk).update(
        status=Status.COMPLETED, approver=approver
    )
    request = Request.objects.get(pk=pending_without_account.pk)
    mail.outbox.clear()
    assert notifications.send_decision_notice(str(request.pk)) == 0
    assert mail.outbox == []


def test_the_pages_show_the_requester_without_an_account(pending_without_account, client, approver):
    client.force_login(approver)
    for path in (
        "/approvals/",
        f"/approvals/{pending_without_account.pk}/",
        f"/requests/{pending_without_account.pk}/",
    ):
        page = client.get(path)
        assert page.status_code == 200 and DN in page.content.decode(), path


def test_the_database_refuses_a_request_with_neither_account_nor_name(pending_without_account):
    with pytest.raises(IntegrityError), transaction.atomic():
        Request.objects.filter(pk=pending_without_account.pk).update(requester_identifier="")


def test_a_search_on_the_requester_finds_it_by_its_identifier(
    pending_without_account, approver_api
):
    for query in (f'requester equals "{DN}"', "requester contains device-7"):
        status, body = approver_api.post(
            "/api/v1/requests/search", {"query": query, "scope": "manage"}
        )
        assert status == 200 and [r["_id"] for r in body["results"]] == [
            str(pending_without_account.pk)
        ], (query, body)
    status, body = approver_api.post(
        "/api/v1/requests/search", {"query": "requester equals requester", "scope": "manage"}
    )
    assert status == 200 and body["results"] == [], body
