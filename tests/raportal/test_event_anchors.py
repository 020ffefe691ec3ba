"""What the database alone cannot tell, an anchor kept outside it does: wiping the log, or
cutting its newest events off and putting an older copy of the chain head back, passes a
plain verification but not one against the anchor an earlier run printed (or the hourly
task logged). A head put back unsealed is a break by itself. And a purge never seals a
checkpoint over events that do not verify."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from raportal import tasks
from raportal.events import HASH_MISMATCH, HEAD_MISMATCH, Anchor, current_anchor, verify_events
from raportal.housekeeping import purge_events
from raportal.models import AuditEvent, EventChainHead, EventCheckpoint, record
from tests.factories import TeamFactory
from tests.raportal.test_event_retention import NOW, history, sql  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return TeamFactory(name="t")


def test_cutting_off_the_newest_events_behind_an_old_head_fails_against_the_anchor(team):
    record(None, "team.update", team, step=1)
    copy = EventChainHead.objects.values("sequence", "hash", "seal").get()
    record(None, "team.update", team, step=2, what="the event to hide")
    anchor = current_anchor()
    cut = AuditEvent.objects.order_by("-sequence").first()
    AuditEvent.objects.filter(pk=cut.pk)._raw_delete("default")
    EventChainHead.objects.update(**copy)
    assert verify_events().ok  # the database alone cannot tell
    result = verify_events(expect=anchor)
    assert not result.ok and result.broken.reason == HEAD_MISMATCH, result.summary()


def test_wiping_the_whole_log_fails_against_the_anchor(team):
    for step in range(3):
        record(None, "team.update", team, step=step)
    anchor = current_anchor()
    AuditEvent.objects.all()._raw_delete("default")
    EventChainHead.objects.all().delete()
    result = verify_events(expect=anchor)
    assert not result.ok, result.summary()


def test_a_replaced_log_fails_at_the_anchors_sequence(team):
    record(None, "team.update", team, step=1)
    anchor = current_anchor()
    AuditEvent.objects.all()._raw_delete("default")
    EventChainHead.objects.all().delete()
    record(None, "team.update", team, step="forged")  # a new chain, as long as the old
    result = verify_events(expect=anchor)
    assert not result.ok and "not the one anchored" in result.summary(), result.summary()


def test_a_head_put_back_unsealed_is_a_break(team):
    record(None, "team.update", team, step=1)
    AuditEvent.objects.all()._raw_delete("default")
    EventChainHead.objects.update(sequence=0, hash="0" * 64, seal="")
    result = verify_events()
    assert not result.ok and result.broken.reason == HEAD_MISMATCH, result.summary()


def test_the_command_prints_an_anchor_and_checks_one(team):
    record(None, "team.update", team, step=1)
    out = StringIO()
    call_command("verify_events", stdout=out)
    anchor = out.getvalue().split("anchor: ")[1].strip()
    assert Anchor.parse(anchor) == current_anchor()
    call_command("verify_events", "--expect", anchor, stdout=StringIO())
    AuditEvent.objects.all()._raw_delete("default")
    EventChainHead.objects.all().delete()
    with pytest.raises(CommandError, match="before the anchor"):
        call_command("verify_events", "--expect", anchor)
    with pytest.raises(CommandError, match="anchor reads"):
        call_command("verify_events", "--expect", "nonsense")


def test_the_hourly_task_logs_the_anchor(team, caplog):
    record(None, "team.update", team, step=1)
    with caplog.at_level("INFO"):
        logged = tasks.log_event_anchor()
    assert logged == str(current_anchor()) and f"audit chain anchor: {logged}" in caplog.text


def test_a_purge_never_seals_a_checkpoint_over_events_that_do_not_verify(history):  # noqa: F811
    victim = history[3]
    sql("UPDATE raportal_auditevent SET detail = %s WHERE id = %s", '{"age": 0}', victim.pk)
    result = purge_events(NOW, days=30)
    assert result.purged == 0 and "hash mismatch" in result.refused, result
    assert not EventCheckpoint.objects.exists()
    broken = verify_events()
    assert broken.broken.reason == HASH_MISMATCH and broken.broken.event_id == victim.pk
