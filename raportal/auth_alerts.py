"""The owner of an account hears when its account-wide failure threshold is crossed
(raportal/throttling.py): wrong keys or passwords for it, from many addresses, within one
window — a guessing attack spread out so that no single address reaches its own limit.

One alert per account and window: a WARNING log line, an ``auth.failures.threshold`` audit
event on the API credential (or the account, for passwords), and a mail to the account's
address when it has one, sent by a background task (the outbox) once the audit event is
committed. None of them holds a secret: the name tried, the count, the window, the last
address.
"""

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, mailers
from django.db.models import Model

from raportal import outbox
from raportal.models import ApiCredential, record

log = logging.getLogger(__name__)

ACTION = "auth.failures.threshold"


def _owner(scope: str, account: str) -> tuple[Model | None, Any]:
    """(the audited object, its owner) for the name tried, or (None, None) when it names
    nothing. Names are compared without case, as the counters do."""
    name = account.strip()
    if "api" in scope.split("+"):
        credential = (
            ApiCredential.objects.select_related("user").filter(api_id__iexact=name).first()
        )
        if credential is not None:
            return credential, credential.user
    user_model = get_user_model()
    if "web" in scope.split("+"):
        lookup = {f"{user_model.USERNAME_FIELD}__iexact": name}
        user = user_model._default_manager.filter(**lookup).first()
        if user is not None:
            return user, user
    return None, None


def alert_account_owner(
    *, scope: str, account: str, failures: int, window: int, address: str
) -> None:
    """Called by the throttle when ``failures`` for ``account`` (``scope`` "api", "web", or
    "api+web" for a password sent as an API key)
    crossed the account-wide threshold within ``window`` seconds; ``address`` is the last
    client's."""
    obj, owner = _owner(scope, account)
    if obj is None:
        log.warning(
            "authentication failures for an unknown account reached %d within %d s "
            "(last from %s): nobody to alert",
            failures,
            window,
            address,
        )
        return
    by_key = isinstance(obj, ApiCredential)
    name = obj.api_id if isinstance(obj, ApiCredential) else owner.get_username()
    log.warning(
        "authentication failures for account %r (%s) reached %d within %d s from several "
        "addresses (last from %s): only its known addresses may try it for %d s; owner alerted",
        name,
        "API ID" if by_key else "password",
        failures,
        window,
        address,
        window,
    )
    kind = "api" if by_key else "password"
    record(None, ACTION, obj, kind=kind, failures=failures, window=window, last_address=address)
    if owner.email:
        from raportal.tasks import mail_failure_alert

        # Sent after the audit event commits, by the outbox's worker: never by this request.
        outbox.enqueue(mail_failure_alert, owner.pk, name, kind, failures, window, address)


def send_failure_alert(
    user_id: int, name: str, kind: str, failures: int, window: int, address: str
) -> int:
    """Mails the owner (run by the task); ``kind`` is "api" (an API ID) or "password".
    Returns the number of mails sent."""
    owner = get_user_model()._default_manager.filter(pk=user_id).first()
    if owner is None or not owner.email:
        return 0
    what = f"API ID {name}" if kind == "api" else f"the password of account {name}"
    minutes = max(1, round(window / 60))
    body = (
        f"{failures} failed attempts to authenticate with {what} were made within "
        f"{minutes} minute{'s' if minutes > 1 else ''}, from several network addresses "
        f"(the last: {address}).\n\n"
        f"For the next {minutes} minute{'s' if minutes > 1 else ''}, it can be used only from "
        "addresses it was used from before; from elsewhere, please wait.\n"
        "If these attempts were not yours, someone may be guessing: tell your RA "
        "administrators, and consider a new key or password.\n\n"
        f"RA Portal: {settings.RAPORTAL_BASE_URL}/\n"
    )
    message = EmailMessage(
        f"[RA Portal] Failed sign-in attempts for {name}",
        body,
        settings.DEFAULT_FROM_EMAIL,
        [owner.email],
    )
    try:
        return mailers.default.send_messages([message]) or 0
    except (smtplib.SMTPException, OSError) as exc:
        if outbox.will_retry():  # a mail server away for a while: the outbox tries again
            raise
        log.warning("the failed-authentication alert for %r could not be mailed: %s", name, exc)
        return 0
