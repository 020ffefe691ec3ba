"""Audit events recorded together (raportal.models.audit_batch): one append to the sealed
chain for all the events of a block, in the order recorded, and nothing written when the
block fails."""

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from raportal.events import verify_events
from raportal.models import AuditEvent, audit_batch, record
from tests.factories import TeamFactory


def steps() -> list[int]:
    return list(AuditEvent.objects.order_by("sequence").values_list("detail__step", flat=True))


def test_events_of_a_batch_are_chained_in_the_order_recorded_with_one_append(db):
    from django.db import connection

    team = TeamFactory(name="batched")
    record(None, "team.update", team, step=0)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, audit_batch():
        for step in (1, 2, 3):
            record(None, "team.update", team, step=step)
        assert steps() == [0], "written only when the block ends"
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(writes) == 1, writes  # one insert for the three
    assert steps() == [0, 1, 2, 3]
    result = verify_events()
    assert result.ok, result.summary()


def test_a_failing_batch_writes_none_of_its_events(db):
    team = TeamFactory(name="doomed")
    with pytest.raises(RuntimeError), transaction.atomic(), audit_batch():
        record(None, "team.update", team, step=1)
        raise RuntimeError("the change fails")
    record(None, "team.update", team, step=2)
    assert steps() == [2]
    assert verify_events().ok


def test_an_event_recorded_in_a_savepoint_inside_a_batch_is_undone_with_it(db):
    team = TeamFactory(name="nested")
    with transaction.atomic(), audit_batch():
        record(None, "team.update", team, step=1)
        with pytest.raises(RuntimeError), transaction.atomic():
            record(None, "team.update", team, step=2)  # written at once, then rolled back
            raise RuntimeError
        record(None, "team.update", team, step=3)
    assert sorted(steps()) == [1, 3]
    result = verify_events()
    assert result.ok, result.summary()


def test_nested_batches_are_written_by_the_outermost(db):
    team = TeamFactory(name="outer")
    with transaction.atomic(), audit_batch():
        record(None, "team.update", team, step=1)
        with audit_batch():
            record(None, "team.update", team, step=2)
        assert steps() == []
        record(None, "team.update", team, step=3)
    assert steps() == [1, 2, 3]


def test_a_batch_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"), audit_batch():
        pass
