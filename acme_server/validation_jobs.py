"""Running challenge validations in the background (RFC 8555 §7.5.1: the server validates
after the client's response, asynchronously), never in the request thread.

With a broker, the Celery worker runs ``validate_challenge`` tasks; without one (``make run``,
the tests) a small in-process pool does, off the request thread. An attempt is *claimed*
under a row lock — ``next_attempt_at`` pushed one lease ahead, so a worker dying mid-attempt
leaves it to ``validate_due_challenges`` after the lease — then the check (network I/O)
runs with no transaction open, then the outcome is written. A failed attempt is retried
``acme_verify_retry_count`` times in all, ``acme_verify_retry_delay`` apart (the profile's);
the last failure makes the challenge, its authorization and its order invalid (§7.1.6).
"""

import datetime as dt
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from acme_server import validation
from acme_server.models import (
    AcmeAuthorization,
    AcmeChallenge,
    AcmeOrder,
    AuthorizationStatus,
    ChallengeStatus,
    OrderStatus,
)
from acme_server.principal import account_actor
from acme_server.problems import error_document
from raportal.celery import app as celery_app
from raportal.models import record

log = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.RAPORTAL_ACME_VALIDATION_TIMEOUT + 30)


def schedule_validation(challenge_id: object, delay: float = 0.0) -> None:
    """Queues one attempt (after ``delay`` seconds)."""
    if celery_app.conf.task_always_eager:  # no broker: nobody else would run it
        _in_process(str(challenge_id), delay)
        return
    from acme_server.tasks import validate_challenge

    validate_challenge.apply_async((str(challenge_id),), countdown=delay)


def _in_process(challenge_id: str, delay: float) -> None:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="acme-validation")
    _pool.submit(_run_in_thread, challenge_id, delay)


def _run_in_thread(challenge_id: str, delay: float) -> None:
    if delay:
        time.sleep(delay)
    close_old_connections()
    try:
        attempt(challenge_id)
    except Exception:  # a thread's failure must be logged, it has nobody to raise to
        log.exception("ACME validation of challenge %s failed", challenge_id)
    finally:
        connection.close()


def _claim(challenge_id: str) -> AcmeChallenge | None:
    with transaction.atomic():
        challenge = (
            AcmeChallenge.objects.select_for_update()
            .filter(
                pk=challenge_id,
                status=ChallengeStatus.PROCESSING,
                next_attempt_at__lte=timezone.now(),
            )
            .first()
        )
        if challenge is None:
            return None  # done, not due yet, or another worker holds it
        challenge.attempts += 1
        challenge.next_attempt_at = timezone.now() + _lease()
        challenge.save(update_fields=["attempts", "next_attempt_at"])
    return AcmeChallenge.objects.select_related("authorization__order__account__profile").get(
        pk=challenge.pk
    )


def attempt(challenge_id: str) -> str | None:
    """One validation attempt of a challenge, if one is due; the status it left."""
    challenge = _claim(challenge_id)
    if challenge is None:
        return None
    authorization = challenge.authorization
    account = authorization.order.account
    key_authorization = f"{challenge.token}.{account.thumbprint}"
    if authorization.expires_at <= timezone.now():
        result = validation.ValidationResult(False, "malformed", "the authorization expired")
    else:
        result = validation.validate(
            challenge.type, authorization.identifier_value, challenge.token, key_authorization
        )
    return _record(challenge, result, account.profile)


def _record(challenge: AcmeChallenge, result: validation.ValidationResult, profile) -> str:
    retry_in: float | None = None
    with transaction.atomic():
        locked = AcmeChallenge.objects.select_for_update().get(pk=challenge.pk)
        if locked.status != ChallengeStatus.PROCESSING:
            return locked.status
        authorization = AcmeAuthorization.objects.select_for_update().get(
            pk=locked.authorization_id
        )
        if result.valid:
            locked.status = ChallengeStatus.VALID
            locked.validated_at = timezone.now()
            locked.error = None
            locked.next_attempt_at = None
            if authorization.status == AuthorizationStatus.PENDING:
                authorization.status = AuthorizationStatus.VALID
                authorization.save(update_fields=["status"])
                _order_ready_if_all_valid(authorization.order_id)
        else:
            error = error_document(result.error_type or "incorrectResponse", result.detail)
            locked.error = error
            if locked.attempts < max(1, profile.acme_verify_retry_count):
                delay = profile.acme_verify_retry_delay.total_seconds()
                locked.next_attempt_at = timezone.now() + dt.timedelta(seconds=delay)
                retry_in = delay
            else:
                locked.status = ChallengeStatus.INVALID
                locked.next_attempt_at = None
                if authorization.status == AuthorizationStatus.PENDING:
                    authorization.status = AuthorizationStatus.INVALID
                    authorization.save(update_fields=["status"])
                AcmeOrder.objects.filter(
                    pk=authorization.order_id,
                    status__in=[OrderStatus.PENDING, OrderStatus.READY],
                ).update(status=OrderStatus.INVALID, error=error)
        locked.save(update_fields=["status", "validated_at", "error", "next_attempt_at"])
        if retry_in is None:  # the outcome: the evidence of control over the name, or not
            record(
                account_actor(challenge.authorization.order.account),
                "acme.challenge.verify",
                locked,
                outcome=locked.status,
                type=locked.type,
                identifier=authorization.identifier_value,
                wildcard=authorization.wildcard,
                attempts=locked.attempts,
                error=(locked.error or {}).get("detail"),
            )
        if retry_in is not None:
            challenge_id = locked.pk
            transaction.on_commit(lambda: schedule_validation(challenge_id, retry_in or 0.0))
    return locked.status


def _order_ready_if_all_valid(order_id: uuid.UUID) -> None:
    order = AcmeOrder.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.PENDING:
        return
    statuses = set(order.authorizations.values_list("status", flat=True))
    if statuses == {AuthorizationStatus.VALID}:
        order.status = OrderStatus.READY
        order.save(update_fields=["status"])


def validate_due() -> int:
    """Every attempt whose time came and nobody runs (a lost task, a dead worker)."""
    due = AcmeChallenge.objects.filter(
        status=ChallengeStatus.PROCESSING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:100]
    count = 0
    for challenge_id in list(due):
        if attempt(str(challenge_id)) is not None:
            count += 1
    return count
