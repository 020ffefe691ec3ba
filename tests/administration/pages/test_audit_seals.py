"""The audit log's seals: each row's seal status, a "verify the chain" action, and the export
of the filtered events as JSON lines that an auditor verifies offline."""

import hashlib
import hmac
import json

import pytest
from django.conf import settings
from django.db import connection

from raportal.models import AuditEvent, record
from tests.factories import TeamFactory


@pytest.fixture
def log(db, requester):
    team = TeamFactory(name="green")
    return [
        record(requester, "team.update", team, step=1),
        record(None, "request.submit.enroll", team, status="pending"),
        record(requester, "team.update", team, step=2, note="ünïcode"),
    ]


def edit_with_sql(event: AuditEvent) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE raportal_auditevent SET detail = %s WHERE id = %s", ['{"step": 9}', event.pk]
        )


def test_each_row_shows_its_seal(signed_in, log):
    page = signed_in.get("/manage/audit/").content.decode()
    assert page.count('badge text-bg-success">sealed<') == len(log), page
    assert f"#{log[2].sequence}" in page
    edit_with_sql(log[1])
    page = signed_in.get("/manage/audit/").content.decode()
    assert 'badge text-bg-danger">hash mismatch<' in page, page
    assert page.count('badge text-bg-success">sealed<') == len(log) - 1


def test_verifying_the_chain_says_it_holds_then_names_the_broken_event(signed_in, log):
    answer = signed_in.post("/manage/audit/verify/", {"filters": "action=team."}, follow=True)
    page = answer.content.decode()
    assert answer.redirect_chain[-1][0] == "/manage/audit/?action=team.", answer.redirect_chain
    assert "The audit chain is intact" in page, page
    edit_with_sql(log[1])
    page = signed_in.post("/manage/audit/verify/", follow=True).content.decode()
    assert "The audit chain is broken" in page, page
    assert f"event {log[1].pk} (sequence {log[1].sequence}): hash mismatch" in page, page


def test_verifying_needs_a_post_with_csrf(client, staff, log):
    from django.test import Client

    assert client.get("/manage/audit/verify/").status_code in (302, 404)  # signed out
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert strict.post("/manage/audit/verify/").status_code == 403
    assert strict.get("/manage/audit/verify/").status_code == 405


def test_the_export_streams_the_filtered_events_as_json_lines_an_auditor_verifies(signed_in, log):
    response = signed_in.get("/manage/audit/export.jsonl?action=team.")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/jsonl"
    assert "attachment" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [row["id"] for row in rows] == [log[0].pk, log[2].pk]  # filtered, oldest first
    key = settings.RAPORTAL_EVENT_SEAL_KEY
    for row in rows:  # what an auditor does with the key, offline
        sealed = {k: v for k, v in row.items() if k not in ("id", "hash", "seal")}
        canonical = json.dumps(sealed, sort_keys=True, separators=(",", ":")).encode()
        assert hashlib.sha256(canonical).hexdigest() == row["hash"]
        expected = hmac.new(key, b"event:" + row["hash"].encode(), "sha256").hexdigest()
        assert hmac.compare_digest(expected, row["seal"])
    assert rows[1]["previousHash"] == log[1].hash  # the chain, across the filtered-out event
    assert rows[1]["detail"]["note"] == "ünïcode" and rows[0]["actor"]["name"] == "requester"


def test_the_export_link_keeps_the_filters(signed_in, log):
    page = signed_in.get("/manage/audit/?action=team.&page=1").content.decode()
    assert 'href="/manage/audit/export.jsonl?action=team."' in page, page


def test_a_wrong_filter_sends_the_export_back_to_the_log(signed_in, log):
    response = signed_in.get("/manage/audit/export.jsonl?since=2026-05-03&until=2026-05-01")
    assert response.status_code == 302 and response["Location"].startswith("/manage/audit/?")


def test_only_staff_export_or_verify(client, requester, log):
    client.force_login(requester)
    assert client.get("/manage/audit/export.jsonl").status_code == 404
    assert client.post("/manage/audit/verify/").status_code == 404


def test_an_event_of_a_deleted_account_still_names_it(signed_in, log, requester):
    requester.delete()
    page = signed_in.get("/manage/audit/?action=team.").content.decode()
    assert page.count('<td class="actor">requester</td>') == 2, page
    assert page.count('badge text-bg-success">sealed<') == 2, page
