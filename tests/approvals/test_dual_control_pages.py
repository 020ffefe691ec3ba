"""Dual control on the pages: the request page, the approver's queue and the decision page
show the approvals so far ("1 of 2"), who gave them, and who may still approve."""

import re

import pytest
from django.test import Client

from requests_app.models import Request
from tests.approvals.test_queue import queue_rows


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.content.decode()


@pytest.fixture
def one_approval(pending_recovery, approver, client):
    client.force_login(approver)
    response = client.post(
        f"/approvals/{pending_recovery}/", {"decision": "approve", "comment": "ID checked"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return pending_recovery


def test_the_first_approval_says_one_of_two_and_the_request_stays_pending(
    pending_recovery,
    approver,
    client,
):
    client.force_login(approver)
    response = client.post(
        f"/approvals/{pending_recovery}/",
        {"decision": "approve", "comment": "ID checked"},
        follow=True,
    )
    said = text_of(response.content.decode())
    assert "Approval recorded: 1 of 2" in said, said
    assert Request.objects.get(pk=pending_recovery).status == "pending"


def test_the_request_page_shows_one_of_two_who_approved_and_who_may_still(
    one_approval,
    requester,
    second_approver,
    client,
):
    client.force_login(requester)
    html = page(client, f"/requests/{one_approval}/")
    said = text_of(html)
    assert "Waiting for approval: 1 of 2" in said, said
    given = text_of(html[html.index('id="approvals-given"') :][:600])
    assert "approver" in given and "ID checked" in given, given
    eligible = text_of(html[html.index('id="approvals-eligible"') :][:600])
    assert "May still approve: second" in eligible, eligible
    assert "approver," not in eligible.split("May still approve:")[1], eligible
    assert "approval recorded" in said  # the history


def test_the_queue_shows_one_of_two_to_the_others_and_not_to_whoever_approved(
    one_approval,
    approver,
    second_approver,
    client,
):
    client.force_login(second_approver)
    html = page(client, "/approvals/")
    assert queue_rows(html) == [one_approval]
    assert "1 of 2 approvals" in text_of(html)
    client.force_login(approver)
    assert queue_rows(page(client, "/approvals/")) == []


def test_the_decision_page_lists_the_approvals_and_offers_the_second(
    one_approval,
    second_approver,
    client,
):
    client.force_login(second_approver)
    html = page(client, f"/approvals/{one_approval}/")
    assert "1 of 2" in text_of(html[html.index('id="approvals-count"') :][:200])
    assert 'value="approve"' in html and 'value="deny"' in html
    response = client.post(f"/approvals/{one_approval}/", {"decision": "approve"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Request.objects.get(pk=one_approval).status == "completed"


def test_whoever_approved_sees_why_they_cannot_approve_again_but_may_deny(
    one_approval,
    approver,
    client,
):
    client.force_login(approver)
    html = page(client, f"/approvals/{one_approval}/")
    note = text_of(html[html.index('id="approved-already"') :][:400])
    assert "You already approved this request" in note and "may still deny" in note, note
    assert 'value="approve"' not in html and 'value="deny"' in html
    response = client.post(f"/approvals/{one_approval}/", {"decision": "approve"})
    said = text_of(response.content.decode())
    assert "already approved" in said and "SEC-PERM-001" in said, said
    assert Request.objects.get(pk=one_approval).approvals.count() == 1
