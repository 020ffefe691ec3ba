"""Verifying the sealed audit chain: one service behind ``manage.py verify_events``, the
events API (``/api/v1/events/verify`` and ``/validate``) and the staff audit page.

The chain (raportal/models.py, raportal/event_seal.py) holds when, from its start — the
newest checkpoint, or the first event — to the head: sequences follow one another without a
gap, each event's previous hash is the hash of the event before (or the checkpoint's), each
event's hash is the hash of its fields and its seal the HMAC of that hash, and the last
event is the one the (sealed) head names. The first thing that does not hold is reported,
naming the event.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction

from raportal import event_seal
from raportal.models import HEAD, AuditEvent, EventChainHead, EventCheckpoint

CHUNK = 2000

# What broke, as verify_events and the API say it.
HASH_MISMATCH = "hash mismatch"  # the row's fields were changed after it was written
SEAL_MISMATCH = "seal mismatch"  # its hash was recomputed, but not sealed with our key
BROKEN_LINK = "broken link"  # its previous hash is not the hash of the event before
SEQUENCE_GAP = "gap in sequence"  # events were deleted (or inserted) before it
CHECKPOINT_SEAL_MISMATCH = "checkpoint seal mismatch"
HEAD_MISMATCH = "chain head mismatch"  # the newest events were deleted, or the head edited


class EventNotFound(LookupError):
    """An event id the chain does not hold (the API's 404 EVT-003)."""

    def __init__(self, reference: str):
        self.reference = reference
        super().__init__(f"no event {reference!r}")


@dataclass(frozen=True)
class Break:
    reason: str
    event_id: int | None = None
    sequence: int | None = None
    explanation: str = ""

    def __str__(self) -> str:
        where = (
            f"event {self.event_id} (sequence {self.sequence})"
            if self.event_id is not None
            else f"sequence {self.sequence}"
            if self.sequence is not None
            else "the chain"
        )
        return f"{where}: {self.reason}" + (f" — {self.explanation}" if self.explanation else "")


@dataclass
class Verification:
    checked: int = 0
    first: int | None = None  # sequences of the first and last events checked
    last: int | None = None
    checkpoint: int | None = None  # the sequence the chain resumed from, after a purge
    broken: Break | None = None
    partial: bool = field(default=False)  # an id or a from/to range, not the whole chain

    @property
    def ok(self) -> bool:
        return self.broken is None

    def summary(self) -> str:
        if self.broken:
            return f"audit chain broken at {self.broken} ({self.checked} events checked before)"
        if not self.checked:
            text = "no events to check"
        else:
            text = f"{self.checked} events intact (sequence {self.first} to {self.last})"
        if self.checkpoint is not None:
            text += f", from the checkpoint after sequence {self.checkpoint}"
        return text


def event_pk(reference) -> int | None:
    """An event id as the API and the commands take it (decimal digits), or None: never an
    integer the database cannot hold."""
    text = str(reference)
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def _event(reference) -> AuditEvent:
    pk = event_pk(reference)
    event = None if pk is None else AuditEvent.objects.filter(pk=pk).only("pk", "sequence").first()
    if event is None:
        raise EventNotFound(str(reference))
    return event


def newest_checkpoint() -> EventCheckpoint | None:
    return EventCheckpoint.objects.order_by("-sequence").first()


def verify_events(
    *, event_id=None, from_id=None, to_id=None, expect: "Anchor | None" = None
) -> Verification:
    """Checks the chain: all of it (the default), one event (``event_id``: its hash, seal and
    link to the event before), or the events from ``from_id`` and/or up to ``to_id``
    (inclusive), as Horizon's ``/api/v1/events/verify`` takes them. Raises EventNotFound for
    an id the chain does not hold. Reads the events in chunks: memory stays flat.

    On PostgreSQL the reads share one snapshot (REPEATABLE READ, read only): events appended
    or purged while it reads are neither half-seen nor taken for a break."""
    if connection.in_atomic_block:  # inside the caller's transaction: its snapshot
        return _anchored(_verify(event_id=event_id, from_id=from_id, to_id=to_id), expect)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _anchored(_verify(event_id=event_id, from_id=from_id, to_id=to_id), expect)


@dataclass(frozen=True)
class Anchor:
    """A point of the chain kept outside the database (``verify_events`` prints it; the
    hourly task logs it): event ``sequence`` had ``hash``. The chain holding it still tells
    that no newer events were cut off and nothing was wiped — which the database alone
    cannot tell, since whoever can rewrite it can put an older copy of the head back."""

    sequence: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> "Anchor":
        sequence, _, digest = text.partition(":")
        if not (sequence.isdigit() and len(digest) == 64):
            raise ValueError("an anchor reads <sequence>:<64 hex digits of its hash>")
        return cls(int(sequence), digest.lower())

    def __str__(self) -> str:
        return f"{self.sequence}:{self.hash}"


def current_anchor() -> Anchor:
    """The head of the chain now, as an anchor to keep."""
    head = EventChainHead.objects.filter(pk=HEAD).first()
    if head is None:
        return Anchor(0, event_seal.GENESIS)
    return Anchor(head.sequence, head.hash)


def _anchored(result: Verification, expect: "Anchor | None") -> Verification:
    if expect is None or not result.ok:
        return result
    last = result.last or result.checkpoint or 0
    checkpoint = newest_checkpoint()
    if last < expect.sequence:
        result.broken = Break(
            HEAD_MISMATCH,
            sequence=last,
            explanation=f"the chain ends at sequence {last}, before the anchor "
            f"{expect.sequence}: events were deleted (or the log replaced)",
        )
    elif checkpoint is not None and checkpoint.sequence == expect.sequence:
        if not event_seal.matches(checkpoint.hash, expect.hash):
            result.broken = Break(
                HEAD_MISMATCH,
                sequence=expect.sequence,
                explanation="the anchor's hash is not the checkpoint's",
            )
    elif checkpoint is None or expect.sequence > checkpoint.sequence:
        event = AuditEvent.objects.filter(sequence=expect.sequence).only("pk", "hash").first()
        if event is None or not event_seal.matches(event.hash, expect.hash):
            result.broken = Break(
                HEAD_MISMATCH,
                event.pk if event else None,
                expect.sequence,
                "the event at the anchor's sequence is not the one anchored: the log was "
                "replaced from that point",
            )
    return result


def _verify(*, event_id, from_id, to_id) -> Verification:
    checkpoint = newest_checkpoint()
    floor = checkpoint.sequence if checkpoint else 0
    result = Verification(
        checkpoint=checkpoint.sequence if checkpoint else None,
        partial=any(x is not None for x in (event_id, from_id, to_id)),
    )
    if checkpoint is not None and not checkpoint.seal_ok():
        result.broken = Break(
            CHECKPOINT_SEAL_MISMATCH,
            sequence=checkpoint.sequence,
            explanation=f"checkpoint {checkpoint.pk} was changed after it was written",
        )
        return result
    high: int | None
    if event_id is not None:
        low = high = _event(event_id).sequence
    else:
        low = _event(from_id).sequence if from_id is not None else floor + 1
        high = _event(to_id).sequence if to_id is not None else None
        if high is not None and high < low:
            low, high = high, low
    previous = _previous_hash(low, floor, checkpoint)
    events = AuditEvent.objects.filter(sequence__gte=low).order_by("sequence")
    if high is not None:
        events = events.filter(sequence__lte=high)
    expected = low
    last: AuditEvent | None = None
    for event in events.iterator(chunk_size=CHUNK):
        broken = _check(event, expected, previous)
        if broken:
            result.broken = broken
            return result
        result.checked += 1
        result.first = result.first or event.sequence
        result.last = event.sequence
        previous, expected, last = event.hash, event.sequence + 1, event
    if high is None:
        result.broken = _check_head(last, floor, checkpoint)
    return result


def _previous_hash(low: int, floor: int, checkpoint: EventCheckpoint | None) -> str | None:
    """The hash the event at ``low`` must link to; None when the event before it is gone."""
    if low - 1 <= floor:
        if low - 1 == floor:
            return checkpoint.hash if checkpoint else event_seal.GENESIS
        return None  # before the checkpoint: purged, nothing to link to
    return AuditEvent.objects.filter(sequence=low - 1).values_list("hash", flat=True).first()


def _check(event: AuditEvent, expected: int, previous: str | None) -> Break | None:
    def broken(reason: str, explanation: str = "") -> Break:
        return Break(reason, event.pk, event.sequence, explanation)

    if event.sequence != expected:
        return broken(SEQUENCE_GAP, f"expected sequence {expected}: events are missing before it")
    if previous is None:
        return broken(SEQUENCE_GAP, f"the event before it (sequence {expected - 1}) is missing")
    if not event_seal.matches(event.computed_hash(), event.hash):
        return broken(HASH_MISMATCH, "its fields were changed after it was written")
    if not event_seal.matches(event_seal.event_seal(event.hash), event.seal):
        return broken(SEAL_MISMATCH, "its hash is not sealed with the event seal key")
    if not event_seal.matches(previous, event.previous_hash):
        return broken(BROKEN_LINK, "its previous hash is not the hash of the event before it")
    return None


def _check_head(
    last: AuditEvent | None, floor: int, checkpoint: EventCheckpoint | None
) -> Break | None:
    """The newest event checked must be the one the chain head names (else the newest
    events were deleted), and the head must carry our seal."""
    head = EventChainHead.objects.filter(pk=HEAD).first()
    sequence = last.sequence if last else floor
    digest = last.hash if last else (checkpoint.hash if checkpoint else event_seal.GENESIS)
    if head is None:
        if sequence == 0:
            return None  # a new site: nothing was ever recorded
        return Break(HEAD_MISMATCH, explanation="the chain head is missing")
    # Always sealed (the migration seals the first head; every append re-seals it): a head
    # put back unsealed — (0, genesis, "") over a wiped log — is a break.
    if not event_seal.matches(event_seal.head_seal(head.sequence, head.hash), head.seal):
        return Break(HEAD_MISMATCH, sequence=head.sequence, explanation="its seal does not match")
    if head.sequence != sequence or not event_seal.matches(head.hash, digest):
        return Break(
            HEAD_MISMATCH,
            last.pk if last else None,
            sequence,
            f"the chain head is at sequence {head.sequence}: the events after this one are missing",
        )
    return None


def export_lines(events) -> Iterator[str]:
    """The events as JSON lines (one object a line), each with the fields its hash covers
    (raportal/event_seal.py) plus ``id``, ``hash`` and ``seal``: an auditor holding the key
    re-computes both offline."""
    for event in events.iterator(chunk_size=CHUNK):
        line = {**event.sealed_fields(), "id": event.pk, "hash": event.hash, "seal": event.seal}
        yield json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n"


def row_status(events: list[AuditEvent]) -> dict[int, str]:
    """For a page of events: "sealed" when an event's hash, seal and link to the event
    before it hold, else what broke. One query for the predecessors."""
    wanted = {e.sequence - 1 for e in events if e.sequence and e.sequence > 1}
    hashes = dict(AuditEvent.objects.filter(sequence__in=wanted).values_list("sequence", "hash"))
    checkpoint = newest_checkpoint()
    if checkpoint is not None:
        hashes.setdefault(checkpoint.sequence, checkpoint.hash)
    hashes[0] = event_seal.GENESIS
    status = {}
    for event in events:
        if not event_seal.matches(event.computed_hash(), event.hash):
            status[event.pk] = HASH_MISMATCH
        elif not event_seal.matches(event_seal.event_seal(event.hash), event.seal):
            status[event.pk] = SEAL_MISMATCH
        elif event.sequence - 1 in hashes and not event_seal.matches(
            hashes[event.sequence - 1], event.previous_hash
        ):
            status[event.pk] = BROKEN_LINK
        elif event.sequence - 1 not in hashes and (
            checkpoint is None or event.sequence - 1 > checkpoint.sequence
        ):
            status[event.pk] = SEQUENCE_GAP
        else:
            status[event.pk] = "sealed"
    return status
