"""Core models: API credentials and the audit log."""

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connections,
    models,
    router,
    transaction,
)
from django.db.models import Q
from django.utils import timezone

from raportal import event_seal


def hash_api_key(key: str) -> str:
    # API keys are 256-bit random strings: a single SHA-256 is enough to keep them useless if
    # the table leaks, and costs microseconds instead of a password hash's ~300 ms per call.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiCredentialQuerySet(models.QuerySet):
    def active(self, now=None):
        """Keys that authenticate now (or at ``now``): enabled, of an active account, not
        expired."""
        return self.filter(enabled=True, user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now())
        )


class ApiCredential(models.Model):
    """An ``X-API-ID`` / ``X-API-KEY`` pair acting as one user. The key is stored hashed and
    shown once, when it is created."""

    api_id = models.CharField("API ID", max_length=150, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_credentials"
    )
    description = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: the key does not expire."
    )

    objects = ApiCredentialQuerySet.as_manager()

    class Meta:
        verbose_name = "API credential"

    def __str__(self) -> str:
        return f"{self.api_id} → {self.user}"

    def set_key(self, key: str | None = None) -> str:
        """Sets a new key (random unless given) and returns it; only its hash is kept."""
        key = key or secrets.token_urlsafe(32)
        self.key_hash = hash_api_key(key)
        return key

    def check_key(self, key: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_api_key(key))


class AuditEventQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Chains and seals the events in the order given, as ``save()`` does one by one."""
        objs = list(objs)
        # No savepoint of its own inside a transaction: a failure fails the caller's anyway.
        with transaction.atomic(using=self.db, savepoint=False):
            _append(objs, using=self.db)
            return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(models.Model):
    """Who did what to which object. Written in the same transaction as the change itself,
    so the log never claims something that was rolled back.

    Sealed (raportal/event_seal.py): every event carries its place in one chain
    (``sequence``), the hash of the event before it, its own hash over its fields and an
    HMAC of that hash under a key held outside the database. Editing, inserting or deleting
    a row with SQL breaks the chain at that row, and ``manage.py verify_events`` names it.
    The actor is hashed as it was (``actor_key``, ``actor_name``): deleting the account later
    empties ``actor`` without breaking anything."""

    # Set when the event joins the chain (under the chain head's lock), not before: times
    # then follow the sequence.
    at = models.DateTimeField(db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    # --- the seal -----------------------------------------------------------------------
    actor_key = models.BigIntegerField(null=True, blank=True, editable=False)
    actor_name = models.CharField(max_length=150, blank=True, editable=False)
    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)
    seal = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("audit events are never changed once written")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        # The caller's transaction when there is one (no savepoint: a failure here fails it
        # anyway), else one of its own: the head's lock and the insert commit together.
        with transaction.atomic(using=using, savepoint=False):
            _append([self], using=using)
            super().save(*args, **kwargs)

    def sealed_fields(self) -> dict:
        return event_seal.sealed_fields(
            at=self.at,
            actor_id=self.actor_key,
            actor_name=self.actor_name,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            detail=self.detail,
            sequence=self.sequence,
            previous_hash=self.previous_hash,
        )

    def computed_hash(self) -> str:
        return event_seal.digest(self.sealed_fields())


class EventChainHead(models.Model):
    """The last link of the audit chain: one row, locked by every append.

    Appending reads the head with ``SELECT … FOR UPDATE`` in the writing transaction, so two
    processes or servers never take the same sequence or the same previous hash; the lock is
    held until that transaction commits or rolls back, so the chain's order is commit order
    and a rolled-back event leaves no hole. The cost: audited writes serialize on this row
    from their ``record()`` to their commit, so what a transaction does after ``record()``
    must stay short (record last where the service allows; the slow work — key generation,
    signing — before). And the head must be the last lock a transaction takes: one that,
    after its ``record()``, waited for a row held by another transaction waiting for the head
    would deadlock (PostgreSQL then aborts one of them)."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=event_seal.GENESIS)
    seal = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit chain head at {self.sequence}"


class EventCheckpoint(models.Model):
    """Where the chain resumes after a purge: the sequence and hash of the last event
    deleted, sealed under the event seal key. Verification starts from the newest one."""

    at = models.DateTimeField()
    sequence = models.PositiveBigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    seal = models.CharField(max_length=64)
    purged = models.PositiveBigIntegerField(default=0)  # events deleted behind it

    class Meta:
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"checkpoint after event {self.sequence}"

    def seal_ok(self) -> bool:
        expected = event_seal.checkpoint_seal(self.sequence, self.hash, self.at)
        return event_seal.matches(expected, self.seal)


HEAD = 1  # the primary key of the chain head's only row


def _append(events: list[AuditEvent], *, using: str) -> None:
    """Gives ``events`` (new, in order) their place in the chain and their seals, and moves
    the head past them. Must run inside the transaction that inserts them."""
    if not events:
        return
    head = _locked_head(using)
    now = timezone.now()
    for event in events:
        if event.sequence is not None:
            raise ValueError("this audit event is chained already")
        if event.at is None:
            event.at = now
        if event.actor_id is not None and event.actor_key is None:
            event.actor_key = event.actor_id
            event.actor_name = event.actor.get_username() if event.actor else ""
        event.detail = event_seal.normalized(event.detail)
        event.sequence = head.sequence + 1
        event.previous_hash = head.hash
        event.hash = event.computed_hash()
        event.seal = event_seal.event_seal(event.hash)
        head.sequence, head.hash = event.sequence, event.hash
    head.seal = event_seal.head_seal(head.sequence, head.hash)
    _head_statements(using).move(head)


def _locked_head(using: str) -> EventChainHead:
    head = _head_statements(using).locked()
    if head is not None:
        return head
    # Created by the migration; again after a test database flush (get_or_create: of two
    # first appends, the second waits on the unique key, then locks the row the first made).
    head, _ = EventChainHead.objects.using(using).select_for_update().get_or_create(pk=HEAD)
    return head


class _HeadStatements:
    """The head's two statements of every audited write, turned into SQL once per process
    (their ORM compilation cost more than the statements): ``SELECT … FOR UPDATE`` of the
    row as ``select_for_update().filter(pk=HEAD)`` compiles it, and the update of its three
    fields that ``save(update_fields=…)`` would send (no signal listens to the head)."""

    MOVED = ("sequence", "hash", "seal")

    def __init__(self, using: str):
        queryset = EventChainHead.objects.using(using).select_for_update().filter(pk=HEAD)
        self.using = using
        self.compiler = queryset.query.get_compiler(using)
        self.select, self.select_params = self.compiler.as_sql()
        self.init_list = [column[0].target.attname for column in self.compiler.select]
        quote = connections[using].ops.quote_name
        meta = EventChainHead._meta
        self.moved = [field for field in meta.concrete_fields if field.name in self.MOVED]
        assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in self.moved)
        self.update = (
            f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 - names, no values
            f"WHERE {quote(str(meta.pk.column))} = %s"
        )

    def locked(self) -> EventChainHead | None:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.select, self.select_params)
            rows = cursor.fetchall()
        for row in self.compiler.results_iter([rows]):
            return EventChainHead.from_db(self.using, self.init_list, row)
        return None

    def move(self, head: EventChainHead) -> None:
        connection = connections[self.using]
        params = [f.get_db_prep_save(getattr(head, f.attname), connection) for f in self.moved]
        with connection.cursor() as cursor:
            cursor.execute(self.update, [*params, head.pk])
            if cursor.rowcount != 1:  # as save(update_fields=…) would
                raise DatabaseError("the audit chain's head was not updated")


_head_sql: dict[str, _HeadStatements] = {}


def _head_statements(using: str) -> _HeadStatements:
    # Compiled inside the first append's transaction: select_for_update() refuses otherwise.
    statements = _head_sql.get(using)
    if statements is None:
        statements = _head_sql[using] = _HeadStatements(using)
    return statements


# An account that called the API with a key carries the key's id (raportal/api/
# authentication.py), and its events name it in their detail.
AUDIT_API_ID, API_ID = "audit_api_id", "apiId"


def record(actor, action: str, obj, **detail) -> AuditEvent:
    """Appends an audit event to the sealed chain. ``detail`` must never contain a secret.

    Call it last in the transaction: from here to the commit, other audited writes wait
    (EventChainHead).

    An actor without an account (a caller who proved possession of a certificate's key,
    certificates/pop.py) is named in the detail by its ``audit_principal`` instead; an account
    acting with an API key, by the key's id too (``apiId``)."""
    account = actor if getattr(actor, "pk", None) else None
    if account is None and getattr(actor, "audit_principal", None):
        detail = {**actor.audit_principal, **detail}
    elif account is not None and getattr(account, AUDIT_API_ID, None):
        detail = {API_ID: getattr(account, AUDIT_API_ID), **detail}
    event = AuditEvent(
        actor=account,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk) if obj.pk is not None else "",  # "": an object never saved
        detail=detail,
    )
    batch = getattr(_batch, "current", None)
    if batch is not None and batch.takes_now():
        batch.events.append(event)
    else:
        event.save(force_insert=True)
    return event


class _Batch:
    def __init__(self, using: str):
        self.using = using
        self.events: list[AuditEvent] = []
        self.savepoints = list(connections[using].savepoint_ids)

    def takes_now(self) -> bool:
        # Only events of the block's own transaction level: one recorded in a savepoint
        # opened inside the block is written at once, and rolled back with that savepoint.
        connection = connections[self.using]
        return connection.in_atomic_block and connection.savepoint_ids == self.savepoints


_batch = threading.local()


@contextmanager
def audit_batch(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """The events ``record()`` writes inside this block join the chain together when it ends:
    one lock of the chain head, one update of it and one insert for all of them, in the order
    recorded (instead of three statements per event). For a service that records several
    events in one transaction: enter it inside that transaction's ``atomic()``, so that the
    events are written, when the block ends, in the transaction they describe. The head is
    then locked later than event by event, so held for less time. An exception leaving the
    block writes nothing (the transaction is rolled back). Blocks nest: the outermost one
    writes."""
    if getattr(_batch, "current", None) is not None:
        yield
        return
    if not connections[using].in_atomic_block:
        raise RuntimeError("audit_batch() must run inside the transaction it records")
    batch = _batch.current = _Batch(using)
    try:
        yield
    finally:
        _batch.current = None
    AuditEvent.objects.using(using).bulk_create(batch.events)


class PageVisit(models.Model):
    """When a user last opened a page, for "new since your last visit" marks (the requester's
    list shows the decisions made since)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.CharField(max_length=32)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "page"], name="uniq_page_visit")]

    def __str__(self) -> str:
        return f"{self.user} saw {self.page} at {self.seen_at:%Y-%m-%d %H:%M}"

    @classmethod
    def previous(cls, user, page: str, *, mark_at=None):
        """The time of the previous visit (None before the first); with ``mark_at``, records
        this visit too."""
        visit = cls.objects.filter(user=user, page=page).first()
        if mark_at is not None and visit is not None:
            cls.objects.filter(pk=visit.pk).update(seen_at=mark_at)
        elif mark_at is not None:
            cls.objects.get_or_create(user=user, page=page, defaults={"seen_at": mark_at})
        return visit.seen_at if visit else None


class SpentTokenQuerySet(models.QuerySet):
    def spend(self, digest: str, until) -> bool:
        """Marks a single-use value (by its digest) as used until ``until``: True the first
        time, False ever after. Insert-or-fail on the primary key, so every worker and every
        server sees it, and of two concurrent uses exactly one succeeds."""
        try:
            with transaction.atomic():  # a savepoint when the caller holds a transaction
                self.create(digest=digest, expires_at=until)
        except IntegrityError:
            return False
        return True

    def purge(self, now=None) -> int:
        """Forgets values past their expiry: they are refused as stale by then anyway."""
        deleted, _ = self.filter(expires_at__lte=now or timezone.now()).delete()
        return deleted


class SpentToken(models.Model):
    """A single-use credential that was used: a proof-of-possession token or a nonce the
    portal issued (certificates/pop.py). Only a digest is kept, and only until the credential
    would be refused as stale anyway; the hourly housekeeping deletes older rows."""

    digest = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = SpentTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.digest[:12]}… until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class OutboxMessageQuerySet(models.QuerySet):
    def due(self, now=None):
        """Messages a worker may claim now: not given up on, and not claimed by a worker
        whose lease is still running (a claim moves ``available_at`` past the lease)."""
        return self.filter(failed_at__isnull=True, available_at__lte=now or timezone.now())


class OutboxMessage(models.Model):
    """A background task to run once its transaction commits (raportal/outbox.py): written in
    the caller's transaction, with the business rows, so a commit never loses it and a
    rollback never sends it. Deleted once the task ran; kept with ``failed_at`` when it
    failed every attempt."""

    id = models.BigAutoField(primary_key=True)
    task = models.CharField(max_length=200)  # the Celery task's name (its dotted path)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    # When a worker may take it: its creation (or a retry's time); a claim moves it past the
    # claim's lease, so a worker that dies mid-task leaves it to the next one after that.
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    failed_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["available_at"],
                condition=Q(failed_at__isnull=True),
                name="raportal_outbox_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)} (attempt {self.attempts})"
