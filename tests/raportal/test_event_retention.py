"""Event retention (issue 15 part 6): events past RAPORTAL_EVENT_RETENTION_DAYS are purged, but
only behind a sealed checkpoint, so the chain that remains still verifies — and still
catches an edit."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from raportal import tasks
from raportal.events import CHECKPOINT_SEAL_MISMATCH, HASH_MISMATCH, SEQUENCE_GAP, verify_events
from raportal.housekeeping import purge_events
from raportal.models import AuditEvent, EventCheckpoint, record
from tests.factories import TeamFactory

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def history(db):
    """Ten events a day apart, 100 to 91 days old, then five from the last days."""
    team = TeamFactory(name="kept")
    AuditEvent.objects.all().delete()  # the factory's own, if any: a clean start
    sql("DELETE FROM raportal_eventchainhead")
    events = []
    for age in [*range(100, 90, -1), 5, 4, 3, 2, 1]:
        event = AuditEvent(
            action="team.update",
            object_type="team",
            object_id=str(team.pk),
            detail={"age": age},
            at=NOW - dt.timedelta(days=age),
        )
        event.save()
        events.append(event)
    return events


def test_purging_writes_a_sealed_checkpoint_and_the_rest_still_verifies(history):
    result = purge_events(NOW, days=30)
    assert result.purged == 10 and result.checkpoint == history[9].sequence
    checkpoint = EventCheckpoint.objects.get()
    assert (checkpoint.sequence, checkpoint.hash) == (history[9].sequence, history[9].hash)
    assert checkpoint.seal_ok()
    kept = list(AuditEvent.objects.order_by("sequence").values_list("pk", flat=True))
    assert kept[:5] == [event.pk for event in history[10:]]
    purge = AuditEvent.objects.get(action="event.purge")  # the purge is in the chain too
    assert purge.detail == {"purged": 10, "checkpoint": checkpoint.sequence, "retention_days": 30}
    verification = verify_events()
    assert verification.ok, verification.summary()
    assert verification.checkpoint == checkpoint.sequence and verification.checked == 6


def test_after_a_purge_editing_a_remaining_row_fails_naming_it(history):
    purge_events(NOW, days=30)
    victim = history[12]
    sql("UPDATE raportal_auditevent SET detail = %s WHERE id = %s", '{"age": 0}', victim.pk)
    broken = verify_events().broken
    assert (broken.event_id, broken.sequence, broken.reason) == (
        victim.pk,
        victim.sequence,
        HASH_MISMATCH,
    )


@pytest.mark.parametrize(
    ("column", "value"),
    [("hash", "0" * 64), ("sequence", 3), ("at", "2020-01-01 00:00:00+00")],
)
def test_tampering_with_the_checkpoint_fails_verification(history, column, value):
    purge_events(NOW, days=30)
    sql(f"UPDATE raportal_eventcheckpoint SET {column} = %s", value)  # noqa: S608
    assert verify_events().broken.reason == CHECKPOINT_SEAL_MISMATCH


def test_deleting_the_checkpoint_leaves_a_gap(history):
    purge_events(NOW, days=30)
    sql("DELETE FROM raportal_eventcheckpoint")
    broken = verify_events().broken
    assert (broken.event_id, broken.reason) == (history[10].pk, SEQUENCE_GAP), broken


def test_a_purge_never_removes_an_event_inside_the_retention(history):
    # An old event after a recent one in the chain (a server's clock behind): the purge
    # stops at the first recent event, and keeps everything after it.
    late = AuditEvent(
        action="team.update", object_type="team", object_id="1", at=NOW - dt.timedelta(days=60)
    )
    late.save()
    purge_events(NOW, days=30)
    assert AuditEvent.objects.filter(pk=late.pk).exists()
    recent = AuditEvent.objects.filter(at__gte=NOW - dt.timedelta(days=30), action="team.update")
    assert recent.count() == 5
    assert verify_events().ok


def test_a_second_purge_resumes_from_the_newest_checkpoint(history):
    purge_events(NOW, days=95)
    purge_events(NOW, days=30)
    assert EventCheckpoint.objects.count() == 2
    verification = verify_events()
    assert verification.ok and verification.checkpoint == history[9].sequence


def test_nothing_is_purged_when_the_retention_is_forever(history, settings):
    settings.RAPORTAL_EVENT_RETENTION_DAYS = 0
    assert purge_events(NOW).purged == 0
    assert tasks.purge_events() == 0
    assert AuditEvent.objects.count() == len(history) and not EventCheckpoint.objects.exists()


def test_the_task_and_the_command_purge_per_the_setting(history, settings):
    settings.RAPORTAL_EVENT_RETENTION_DAYS = 30
    # The history is from NOW; today is later still: everything old goes.
    assert tasks.purge_events() == len(history)
    record(None, "team.update", TeamFactory(name="after"))
    out = StringIO()
    call_command("purge_events", "--days", "365", stdout=out)
    assert "no event to purge" in out.getvalue()
    verification = verify_events()
    assert verification.ok, verification.summary()


def test_purging_in_batches_writes_a_checkpoint_per_batch(history, monkeypatch):
    from raportal import housekeeping

    monkeypatch.setattr(housekeeping, "BATCH", 4)
    assert purge_events(NOW, days=30).purged == 10
    assert EventCheckpoint.objects.count() == 3
    assert verify_events().ok


def test_events_keep_their_remove_at_in_the_answers(history, settings):
    from administration.event_search import event_json

    settings.RAPORTAL_EVENT_RETENTION_DAYS = 30
    body = event_json(history[-1])
    assert body["removeAt"] == int((history[-1].at + dt.timedelta(days=30)).timestamp() * 1000)
    assert json.dumps(body)
    assert timezone.is_aware(history[-1].at)
