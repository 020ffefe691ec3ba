"""Sealed audit events (issue 15 part 4): one hash chain, each event sealed with an HMAC key
held outside the database; ``manage.py verify_events`` names the first broken event."""

import hashlib
import hmac
import json
import threading

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings

from raportal import event_seal
from raportal.events import (
    BROKEN_LINK,
    HASH_MISMATCH,
    HEAD_MISMATCH,
    SEAL_MISMATCH,
    SEQUENCE_GAP,
    EventNotFound,
    verify_events,
)
from raportal.models import AuditEvent, EventChainHead, record
from tests.factories import TeamFactory, UserFactory


def some_events(count: int, actor=None) -> list[AuditEvent]:
    team = TeamFactory(name="audited")
    return [
        record(actor, "team.update", team, step=index, note="ünïcode ✓") for index in range(count)
    ]


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def verify_command(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_events", *args, stdout=out)
    return out.getvalue()


def broken_message(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        verify_command(*args)
    return str(caught.value)


def test_each_event_carries_its_sequence_the_previous_hash_its_hash_and_seal(db, requester):
    first, second = some_events(2, actor=requester)
    assert second.sequence == first.sequence + 1
    assert second.previous_hash == first.hash
    fields = json.dumps(second.sealed_fields(), sort_keys=True, separators=(",", ":"))
    assert second.hash == hashlib.sha256(fields.encode()).hexdigest()
    from django.conf import settings

    key = settings.RAPORTAL_EVENT_SEAL_KEY
    assert second.seal == hmac.new(key, b"event:" + second.hash.encode(), "sha256").hexdigest()
    assert second.sealed_fields()["actor"] == {"id": requester.pk, "name": "requester"}
    head = EventChainHead.objects.get()
    assert (head.sequence, head.hash) == (second.sequence, second.hash)


def test_the_seal_key_is_derived_from_the_kek_under_a_label_of_its_own(settings):
    assert len(settings.RAPORTAL_EVENT_SEAL_KEY) == 32
    assert settings.RAPORTAL_EVENT_SEAL_KEY != settings.RAPORTAL_KEK


def test_an_untouched_chain_verifies(db, requester):
    some_events(5, actor=requester)
    out = verify_command()
    total = AuditEvent.objects.count()
    assert out.startswith("OK:") and f"{total} events intact" in out, out


def test_editing_one_event_with_sql_fails_verification_and_names_that_row(db, requester):
    events = some_events(5, actor=requester)
    victim = events[2]
    sql(
        "UPDATE raportal_auditevent SET detail = %s WHERE id = %s",
        json.dumps({"step": 99, "note": "edited"}),
        victim.pk,
    )
    message = broken_message()
    assert f"event {victim.pk} (sequence {victim.sequence}): {HASH_MISMATCH}" in message, message
    result = verify_events()
    assert (result.broken.event_id, result.broken.reason) == (victim.pk, HASH_MISMATCH)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "team.delete"),
        ("object_id", "12345"),
        ("actor_name", "someone-else"),
        ("at", "2020-01-01 00:00:00+00"),
    ],
)
def test_any_sealed_column_edited_breaks_the_chain_at_that_row(db, requester, column, value):
    victim = some_events(3, actor=requester)[1]
    sql(f"UPDATE raportal_auditevent SET {column} = %s WHERE id = %s", value, victim.pk)  # noqa: S608
    assert verify_events().broken.event_id == victim.pk


def test_a_rehashed_edit_is_caught_by_its_seal(db):
    victim = some_events(3)[1]
    victim.detail = {"step": 1, "note": "rewritten"}
    sql(
        "UPDATE raportal_auditevent SET detail = %s, hash = %s WHERE id = %s",
        json.dumps(victim.detail),
        victim.computed_hash(),
        victim.pk,
    )
    broken = verify_events().broken
    assert (broken.event_id, broken.reason) == (victim.pk, SEAL_MISMATCH), broken


def test_a_seal_made_with_another_key_does_not_verify(db):
    victim = some_events(2)[1]
    forged = hmac.new(b"k" * 32, b"event:" + victim.hash.encode(), "sha256").hexdigest()
    sql("UPDATE raportal_auditevent SET seal = %s WHERE id = %s", forged, victim.pk)
    assert verify_events().broken.reason == SEAL_MISMATCH


def test_a_deleted_event_is_a_gap_named_at_the_event_after_it(db):
    events = some_events(4)
    sql("DELETE FROM raportal_auditevent WHERE id = %s", events[1].pk)
    broken = verify_events().broken
    assert (broken.event_id, broken.reason) == (events[2].pk, SEQUENCE_GAP), broken


def test_a_resequenced_copy_breaks_the_link(db):
    events = some_events(4)
    # Replace event 2 by a well-formed one claiming another predecessor: its link breaks.
    sql(
        "UPDATE raportal_auditevent SET previous_hash = %s WHERE id = %s",
        "f" * 64,
        events[2].pk,
    )
    broken = verify_events().broken
    assert broken.event_id == events[2].pk and broken.reason in (HASH_MISMATCH, BROKEN_LINK)


def test_deleting_the_newest_events_is_caught_by_the_chain_head(db):
    events = some_events(4)
    sql("DELETE FROM raportal_auditevent WHERE id = %s", events[-1].pk)
    broken = verify_events().broken
    assert broken.reason == HEAD_MISMATCH and broken.event_id == events[-2].pk, broken


def test_one_event_or_a_range_can_be_verified(db):
    events = some_events(6)
    assert verify_events(event_id=events[3].pk).checked == 1
    ranged = verify_events(from_id=events[1].pk, to_id=events[4].pk)
    assert (ranged.ok, ranged.checked) == (True, 4)
    sql("UPDATE raportal_auditevent SET detail = '{}' WHERE id = %s", events[5].pk)
    assert verify_events(from_id=events[1].pk, to_id=events[4].pk).ok  # outside the range
    assert not verify_events(from_id=events[4].pk).ok
    assert verify_events(event_id=events[5].pk).broken.event_id == events[5].pk
    with pytest.raises(EventNotFound):
        verify_events(event_id=987654)
    assert "no event" in broken_message("--id", "987654")


def test_a_rolled_back_change_leaves_no_hole_in_the_chain(db):
    team = TeamFactory(name="t")
    record(None, "team.update", team)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(None, "team.update", team, doomed=True)
        raise RuntimeError("the change fails")
    record(None, "team.update", team)
    assert verify_events().ok
    assert not AuditEvent.objects.filter(detail__doomed=True).exists()


def test_deleting_the_actors_account_keeps_the_chain_intact(db):
    someone = UserFactory(username="leaving")
    some_events(2, actor=someone)
    someone.delete()  # SET NULL on the events' actor: the sealed actor stays
    assert verify_events().ok, verify_events().summary()
    assert AuditEvent.objects.filter(actor_name="leaving", actor__isnull=True).count() == 2


def test_events_are_never_changed_through_the_orm(db):
    event = some_events(1)[0]
    event.action = "team.delete"
    with pytest.raises(ValueError, match="never changed"):
        event.save()


def test_bulk_created_events_are_chained_too(db):
    AuditEvent.objects.bulk_create(
        AuditEvent(action="x.y", object_type="team", object_id=str(n)) for n in range(5)
    )
    assert verify_events().ok and verify_events().checked == AuditEvent.objects.count()


def test_the_migration_seals_the_events_a_site_already_has(db, requester):
    from importlib import import_module

    migration = import_module("raportal.migrations.0005_sealed_events")
    some_events(3, actor=requester)
    # As an upgraded site has them: unsealed rows (their chain fields zeroed by hand).
    sql(
        "UPDATE raportal_auditevent SET sequence = id + 1000, previous_hash = '', hash = '', "
        "seal = '', actor_key = NULL, actor_name = ''"
    )
    assert not verify_events().ok

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.seal_existing_events(apps, editor)
    result = verify_events()
    assert result.ok and result.checked == AuditEvent.objects.count(), result.summary()
    assert AuditEvent.objects.filter(actor_name="requester").count() == 3


@override_settings(RAPORTAL_EVENT_SEAL_KEY=b"\x01" * 32)
def test_events_sealed_under_one_key_do_not_verify_under_another(db):
    some_events(2)
    with override_settings(RAPORTAL_EVENT_SEAL_KEY=b"\x02" * 32):
        assert verify_events().broken.reason == SEAL_MISMATCH


# --- concurrency: one chain whatever the number of writers (PostgreSQL) -------------------


@pytest.mark.postgres
def test_concurrent_writers_keep_one_unbroken_chain(postgres_only, transactional_db):
    team = TeamFactory(name="busy")
    writers, per_writer = 8, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            barrier.wait()
            for step in range(per_writer):
                with transaction.atomic():
                    record(None, "team.update", team, writer=index, step=step)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    result = verify_events()
    assert result.ok, result.summary()
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    assert AuditEvent.objects.filter(action="team.update").count() == writers * per_writer


@pytest.mark.postgres
def test_on_postgresql_an_sql_edit_is_named_too(postgres_only, db):
    events = some_events(3)
    sql("UPDATE raportal_auditevent SET detail = %s WHERE id = %s", '{"x": 1}', events[1].pk)
    assert f"event {events[1].pk} (sequence {events[1].sequence})" in broken_message()


def test_the_canonical_form_is_sorted_compact_ascii_json():
    assert event_seal.canonical({"b": "é", "a": [1, 2]}) == b'{"a":[1,2],"b":"\\u00e9"}'


@pytest.mark.postgres
def test_verifying_while_events_are_appended_sees_one_consistent_chain(
    postgres_only, transactional_db
):
    team = TeamFactory(name="live")
    for step in range(50):
        record(None, "team.update", team, step=step)
    done = threading.Event()

    def append() -> None:
        try:
            while not done.is_set():
                record(None, "team.update", team, writer="background")
        finally:
            connection.close()

    writer = threading.Thread(target=append)
    writer.start()
    try:
        results = [verify_events() for _ in range(5)]
    finally:
        done.set()
        writer.join()
    assert all(result.ok for result in results), [r.summary() for r in results]
    assert verify_events().ok


def test_an_event_undone_with_its_savepoint_is_not_built_upon(db):
    team = TeamFactory(name="nested")
    with transaction.atomic():
        record(None, "team.update", team, step=1)
        with pytest.raises(RuntimeError), transaction.atomic():
            record(None, "team.update", team, step=2)  # the head moves, then is undone
            raise RuntimeError
        record(None, "team.update", team, step=3)
        with pytest.raises(RuntimeError), transaction.atomic():
            with transaction.atomic():
                record(None, "team.update", team, step=4)
            raise RuntimeError
        record(None, "team.update", team, step=5)
    steps = list(AuditEvent.objects.order_by("sequence").values_list("detail__step", flat=True))
    assert steps[-3:] == [1, 3, 5]
    result = verify_events()
    assert result.ok, result.summary()
