"""The outbox: background work queued in the caller's transaction, run after it commits, never
in the request's thread and never lost when a process dies after the commit.

``enqueue(task, *args)`` writes an ``OutboxMessage`` row with the business rows (a rollback
drops both) and, once the transaction commits, hands it on according to
``RAPORTAL_OUTBOX_DELIVERY``:

- ``celery`` (the default with a broker, CELERY_BROKER_URL): a ``run_outbox_message`` task
  per message; the beat sweep (``sweep_outbox``, each minute) sends again whatever is still
  due a minute later — a broker that was down, a worker that died mid-task.
- ``thread`` (the default without one): a daemon thread of this process, started on the
  first message and woken at each commit, runs the due messages with its own database
  connection, and looks again every ``RAPORTAL_OUTBOX_POLL_SECONDS`` (retries, messages a
  dead process left). ``manage.py run_worker`` runs the same loop as a process of its own.
- ``inline``: run by the committing thread right after the commit — for the test suite
  only; the production settings refuse it.

A worker claims a message (``claim``) in one statement (after one that gives up the messages
whose every attempt's worker died): an ``UPDATE … RETURNING`` that moves
``available_at`` of the oldest due message past the lease (``RAPORTAL_OUTBOX_LEASE_SECONDS``),
the message chosen by a subquery PostgreSQL runs with ``FOR UPDATE SKIP LOCKED`` (SQLite
has one writer at a time), so of several processes exactly one gets it. The task
runs with no transaction open; the message is then deleted. A worker that dies before that
leaves it to the next claim once the lease is over: at least once, and once when nothing
dies mid-task. A task that raises is tried again after ``RAPORTAL_OUTBOX_RETRY_DELAY``
seconds, doubling, up to ``RAPORTAL_OUTBOX_MAX_ATTEMPTS`` attempts; then the message is
kept with ``failed_at`` and its last error, and logged. Mail senders raise a failed mail
while ``will_retry()`` says another attempt follows, and at the last one record it (a
``notification.failed`` audit event) and return.
"""

import atexit
import datetime as dt
import json
import logging
import os
import threading
from contextvars import ContextVar
from functools import partial
from typing import Any

from celery import Task
from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from django.utils import timezone
from django.utils.module_loading import import_string

from raportal.models import OutboxMessage

logger = logging.getLogger(__name__)

CELERY, THREAD, INLINE = "celery", "thread", "inline"
MAX_RETRY_DELAY = 3600
SWEEP_GRACE = dt.timedelta(seconds=60)
ETA_RETRY_LIMIT = 300  # seconds: longer retry waits are left to the sweep
# (attempt, attempts allowed) of the message being run in this thread, if any.
_attempt: ContextVar[tuple[int, int] | None] = ContextVar("outbox_attempt", default=None)


def delivery() -> str:
    return settings.RAPORTAL_OUTBOX_DELIVERY


def enqueue(task: Task | str, *args: Any, at: dt.datetime | None = None) -> OutboxMessage:
    """Queues ``task(*args)`` (arguments that JSON keeps as they are) to run after the current
    transaction commits, or at ``at`` if later. Call it inside the transaction that makes the
    task due, so that both commit or neither does."""
    name = task if isinstance(task, str) else task.name
    if json.loads(json.dumps(list(args))) != list(args):
        raise TypeError(f"the arguments of {name} do not survive JSON: {args!r}")
    message = OutboxMessage.objects.create(
        task=name, args=list(args), available_at=at or timezone.now()
    )
    transaction.on_commit(partial(_dispatch, message.pk, message.available_at), robust=True)
    return message


def _dispatch(message_id: int, at: dt.datetime) -> None:
    mode = delivery()
    if mode == INLINE:
        if at <= timezone.now():
            run_message(message_id)
    elif mode == CELERY:
        from raportal.tasks import run_outbox_message

        try:
            if at > timezone.now():  # a retry's time
                run_outbox_message.apply_async((message_id,), eta=at)
            else:
                run_outbox_message.delay(message_id)
        except Exception:
            # The message is in the database: the sweep sends it again in a minute or so.
            logger.exception("could not hand outbox message %s to the broker", message_id)
    else:
        wake()


# --- claiming and running ------------------------------------------------------------------


class _Statements:
    """The claim's statements and the delete of a message run, composed once per process
    from the model's names: a claim is two updates (the give-up, the take; no transaction
    of their own, no ORM compilation), which matters because a worker makes one per message
    and one more to find the queue empty."""

    def __init__(self) -> None:
        ops, features = connection.ops, connection.features
        meta = OutboxMessage._meta
        c = {field.name: ops.quote_name(str(field.column)) for field in meta.concrete_fields}
        table = ops.quote_name(meta.db_table)
        lock = " FOR UPDATE SKIP LOCKED" if features.has_select_for_update_skip_locked else ""
        every = ", ".join(c[field.name] for field in meta.concrete_fields)
        # Names from the model's _meta, values as parameters.
        # [any due message, the message of the given id]
        self.give_up, self.take = [], []
        for one in ("", f" AND {c['id']} = %s"):
            due = f"{c['failed_at']} IS NULL AND {c['available_at']} <= %s{one}"
            self.give_up.append(
                f"UPDATE {table} SET {c['failed_at']} = %s, {c['last_error']} = %s "  # noqa: S608
                f"WHERE {due} AND {c['attempts']} >= %s "
                f"RETURNING {c['id']}, {c['task']}, {c['attempts']}"
            )
            # The oldest due message, locked and skipped by concurrent claimers (PostgreSQL);
            # SQLite runs one writer at a time: the subquery and the update see the same rows.
            self.take.append(
                f"UPDATE {table} SET {c['available_at']} = %s, "  # noqa: S608
                f"{c['attempts']} = {c['attempts']} + 1 "
                f"WHERE {c['id']} = (SELECT {c['id']} FROM {table} "
                f"WHERE {due} AND {c['attempts']} < %s "
                f"ORDER BY {c['available_at']}, {c['id']} LIMIT 1{lock}) RETURNING {every}"
            )
        self.delete = f"DELETE FROM {table} WHERE {c['id']} = %s AND {c['available_at']} = %s"  # noqa: S608


_statements: _Statements | None = None


def _sql() -> _Statements:
    global _statements
    if _statements is None:
        _statements = _Statements()
    return _statements


def claim(message_id: int | None = None, now: dt.datetime | None = None) -> OutboxMessage | None:
    """Takes one due message (that one, or the oldest) for the lease; None when there is none
    or another worker holds it."""
    now = now or timezone.now()
    sql, adapt = _sql(), connection.ops.adapt_datetimefield_value
    attempts = settings.RAPORTAL_OUTBOX_MAX_ATTEMPTS
    one = [] if message_id is None else [message_id]
    # Two statements, each atomic on its own: no transaction around them to begin and end.
    with connection.cursor() as cursor:
        # Every attempt was claimed and none finished or failed: its task killed or hung its
        # worker each time (out of memory, a timeout). Given up, never taken again.
        error = "every attempt's worker died before the task ended"
        cursor.execute(sql.give_up[bool(one)], [adapt(now), error, adapt(now), *one, attempts])
        for pk, task, tried in cursor.fetchall():
            _log_given_up(pk, task, tried, error)
    lease = now + dt.timedelta(seconds=settings.RAPORTAL_OUTBOX_LEASE_SECONDS)
    params = [adapt(lease), adapt(now), *one, attempts]
    # Read to the end: SQLite ends an UPDATE … RETURNING only once its rows are all read.
    taken = list(
        OutboxMessage.objects.db_manager(DEFAULT_DB_ALIAS).raw(sql.take[bool(one)], params)
    )
    return taken[0] if taken else None


def run(message: OutboxMessage) -> bool:
    """Runs a claimed message's task; True when it ran without raising."""
    token = _attempt.set((message.attempts, settings.RAPORTAL_OUTBOX_MAX_ATTEMPTS))
    try:
        task = import_string(message.task)
        if not isinstance(task, Task):
            raise TypeError(f"{message.task} is not a task")
        task(*message.args)
    except Exception as exc:
        _failed(message, exc)
        return False
    finally:
        _attempt.reset(token)
    # Only while the claim is ours: past the lease, the worker that took it over decides.
    with connection.cursor() as cursor:
        adapt = connection.ops.adapt_datetimefield_value
        cursor.execute(_sql().delete, [message.pk, adapt(message.available_at)])
    return True


def _failed(message: OutboxMessage, exc: Exception) -> None:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    mine = OutboxMessage.objects.filter(pk=message.pk, available_at=message.available_at)
    if message.attempts >= settings.RAPORTAL_OUTBOX_MAX_ATTEMPTS:
        _give_up(message, now, error, exc, mine)
        return
    base = settings.RAPORTAL_OUTBOX_RETRY_DELAY
    delay = min(base * 2 ** (message.attempts - 1), MAX_RETRY_DELAY)
    logger.warning(
        "outbox message %s (%s) failed (attempt %d), again in %d s: %s",
        message.pk,
        message.task,
        message.attempts,
        delay,
        error,
        exc_info=exc,
    )
    retry_at = now + dt.timedelta(seconds=delay)
    updated = mine.update(available_at=retry_at, last_error=error)
    if updated and delivery() == CELERY and delay <= ETA_RETRY_LIMIT:
        # A short wait is handed to the broker for then (eta), not left to the sweep, which
        # looks only at messages due a minute ago. Longer ones stay with the sweep: a broker
        # holds eta tasks in its workers' memory (a mail server away for hours would fill
        # them), and Redis redelivers those past its visibility timeout. A worker thread
        # finds a retry at its next look.
        _dispatch(message.pk, retry_at)


def _give_up(
    message: OutboxMessage,
    now: dt.datetime,
    error: str,
    exc: Exception | None = None,
    rows: Any = None,
) -> None:
    _log_given_up(message.pk, message.task, message.attempts, error, exc)
    if rows is None:
        rows = OutboxMessage.objects.filter(pk=message.pk)
    rows.update(failed_at=now, last_error=error)


def _log_given_up(
    pk: int, task: str, attempts: int, error: str, exc: Exception | None = None
) -> None:
    logger.error(
        "outbox message %s (%s) failed %d times, given up: %s",
        pk,
        task,
        attempts,
        error,
        exc_info=exc,
    )


def will_retry() -> bool:
    """True when the task running now was started by the outbox and would be tried again if
    it raised: a sender may then raise a passing failure (a mail server away) instead of
    recording it, and record it only at the last attempt (or when called directly)."""
    current = _attempt.get()
    return current is not None and current[0] < current[1]


def run_message(message_id: int) -> bool | None:
    """Claims and runs one message; None when it is not due or someone else has it."""
    message = claim(message_id)
    return None if message is None else run(message)


def drain(limit: int | None = None) -> int:
    """Runs due messages, oldest first, until none is left (or ``limit`` ran). Returns how
    many ran (failed attempts included)."""
    count = 0
    while limit is None or count < limit:
        _recycle_connection()
        message = claim()
        if message is None:
            break
        run(message)
        count += 1
    _recycle_connection()
    return count


def _recycle_connection() -> None:
    """As between two web requests: a connection that broke or outlived CONN_MAX_AGE is
    dropped. Never inside a transaction (a test's, or a caller's): that would break it."""
    if not transaction.get_connection().in_atomic_block:
        close_old_connections()


def sweep(limit: int = 500) -> int:
    """With a broker: sends again each message due for a minute already (its task was lost,
    never sent, or its worker died). Returns how many were sent."""
    from raportal.tasks import run_outbox_message

    ids = list(
        OutboxMessage.objects.due(timezone.now() - SWEEP_GRACE)
        .order_by("available_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in ids:
        run_outbox_message.delay(message_id)
    return len(ids)


# --- the worker thread (``thread`` delivery) -------------------------------------------------


class _Worker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.registered = False

    def wake(self) -> None:
        with self.lock:
            # A forked process (gunicorn's workers) has no thread of its parent's.
            if self.thread is None or not self.thread.is_alive() or self.pid != os.getpid():
                self.stopping.clear()
                self.pid = os.getpid()
                self.thread = threading.Thread(
                    target=self.loop, name="raportal-outbox", daemon=True
                )
                self.thread.start()
                if not self.registered:
                    # A process that exits (gunicorn recycling a worker) lets the message
                    # being run finish, rather than leaving it to wait for its lease.
                    atexit.register(self.stop)
                    self.registered = True
        self.wakeup.set()

    def loop(self) -> None:
        while not self.stopping.is_set():
            self.wakeup.clear()
            try:
                drain()
            except Exception:  # a database that is away: try again at the next wake-up
                logger.exception("the outbox worker thread could not drain the outbox")
            self.wakeup.wait(settings.RAPORTAL_OUTBOX_POLL_SECONDS)
        connections.close_all()  # this thread's own

    def stop(self, timeout: float = 10) -> None:
        with self.lock:
            thread, self.thread = self.thread, None
        self.stopping.set()
        self.wakeup.set()
        if thread is not None and thread.is_alive():
            thread.join(timeout)


_worker = _Worker()


def wake() -> None:
    """Starts this process's worker thread if needed, and has it look at the outbox now."""
    _worker.wake()


def stop_worker(timeout: float = 10) -> None:
    """Stops this process's worker thread (tests; a process about to exit needs not)."""
    _worker.stop(timeout)
