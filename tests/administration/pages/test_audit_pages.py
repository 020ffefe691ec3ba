"""The audit log under /manage/audit/: newest first, paged, filtered, linked to objects, in a
number of queries that does not grow with the rows."""

import datetime as dt
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates.models import Certificate
from profiles.models import Label
from raportal.models import ApiCredential, AuditEvent, EventChainHead
from requests_app.models import Request
from tests.factories import TeamFactory, UserFactory
from triggers.models import Trigger


def event(actor, action, object_type, object_id, day=1, **detail) -> AuditEvent:
    row = AuditEvent.objects.create(
        actor=actor, action=action, object_type=object_type, object_id=str(object_id), detail=detail
    )
    AuditEvent.objects.filter(pk=row.pk).update(at=dt.datetime(2026, 5, day, 12, tzinfo=dt.UTC))
    return row


def actions(page: str) -> list[str]:
    """The action of each row, whole (its <wbr> break points taken out)."""
    cells = re.findall(r'<td class="action"><code class="dotted">(.+?)</code></td>', page)
    return [cell.replace("<wbr>", "") for cell in cells]


@pytest.fixture
def log(requester, approver, issue):
    certificate = Certificate.objects.get(pk=issue("web.example.com")["_id"])
    request = Request.objects.get(certificate=certificate)
    AuditEvent.objects.all().delete()  # the events of the issue, as the test writes its own
    EventChainHead.objects.all().delete()
    event(requester, "request.submit.enroll", "request", request.pk, day=1, status="pending")
    event(approver, "request.approve.enroll", "request", request.pk, day=2, status="completed")
    event(approver, "certificate.issue", "certificate", certificate.pk, day=3, serial="0A")
    event(None, "ca.create", "certificateauthority", 7, day=4)
    return {"request": request.pk, "certificate": certificate.pk}


def test_the_log_is_newest_first_and_links_requests_and_certificates(signed_in, log):
    page = signed_in.get("/manage/audit/").content.decode()
    assert actions(page) == [
        "ca.create",
        "certificate.issue",
        "request.approve.enroll",
        "request.submit.enroll",
    ], page
    assert f'href="/requests/{log["request"]}/"' in page, page
    assert f'href="/certificates/{log["certificate"]}/"' in page, page
    assert "system" in page and "status</span>=<span>pending" in page, page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=APPROVER", ["certificate.issue", "request.approve.enroll"]),
        ("action=request.", ["request.approve.enroll", "request.submit.enroll"]),
        ("type=certificate", ["certificate.issue"]),
        ("since=2026-05-02&until=2026-05-03", ["certificate.issue", "request.approve.enroll"]),
        ("status=completed", ["request.approve.enroll"]),
        ("actor=nobody", []),
    ],
)
def test_the_filters_filter(signed_in, log, query, expected):
    page = signed_in.get(f"/manage/audit/?{query}").content.decode()
    assert actions(page) == expected, page
    if not expected:
        assert "No event matches these filters" in page, page


def test_a_backwards_date_range_is_said_beside_the_dates(signed_in, log):
    page = signed_in.get("/manage/audit/?since=2026-05-03&until=2026-05-01").content.decode()
    assert "Choose a day after “From”." in page and 'href="#f-until"' in page, page


def test_the_log_is_paged(signed_in, requester):
    for index in range(55):
        AuditEvent.objects.create(
            actor=requester, action=f"test.{index}", object_type="user", object_id="1"
        )
    first = signed_in.get("/manage/audit/").content.decode()
    assert len(actions(first)) == 50 and "Page 1 of 2" in first, first
    second = signed_in.get("/manage/audit/?page=2").content.decode()
    assert len(actions(second)) == 5, second


def events_of_every_kind(count: int, actor, profile) -> None:
    team = TeamFactory(name="ops")
    label = Label.objects.get_or_create(name="env")[0]
    credential = ApiCredential.objects.get_or_create(api_id="k", defaults={"user": actor})[0]
    trigger = Trigger.objects.get_or_create(
        name="mail-ops", defaults={"type": "email", "event": "certificate.expiry"}
    )[0]
    kinds = [
        ("team", team.pk),
        ("label", label.pk),
        ("apicredential", credential.pk),
        ("user", actor.pk),
        ("request", uuid.uuid4()),
        ("certificate", uuid.uuid4()),
        ("profile", profile.pk),
        ("trigger", trigger.pk),
    ]
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=UserFactory(username=f"actor{index % 7}"),
            action="x.y",
            object_type=kinds[index % len(kinds)][0],
            object_id=str(kinds[index % len(kinds)][1]),
        )
        for index in range(count)
    )


def test_the_number_of_queries_does_not_grow_with_the_rows(
    signed_in, requester, profile, django_assert_max_num_queries
):
    events_of_every_kind(8, requester, profile)  # one of each kind of object
    with CaptureQueriesContext(connection) as few:
        page = signed_in.get("/manage/audit/").content.decode()
    assert len(actions(page)) == AuditEvent.objects.count() < 50, page
    events_of_every_kind(50, requester, profile)
    with django_assert_max_num_queries(len(few)):
        page = signed_in.get("/manage/audit/").content.decode()
    assert len(actions(page)) == 50, page
    assert 'href="/manage/teams/ops/"' in page and 'href="/manage/labels/env/"' in page, page
    assert f'href="/manage/accounts/{requester.pk}/"' in page, page
    assert 'href="/manage/profiles/webra-demo/"' in page, page
