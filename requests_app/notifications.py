"""Email notifications about requests: the approvers hear of a request that waits for them,
the requester hears of the decision on theirs.

Two hooks for the services (``request_submitted``, ``request_decided``) queue a background
task in the outbox (raportal/outbox.py), run once the transaction commits (DESIGN: side
effects after commit), so a rolled-back request never sends mail, a slow mail server never
holds a request up, and a process that dies after the commit loses no mail. The tasks
(``requests_app.tasks``) call the senders below. A mail that fails is tried again by the
outbox (with backoff); at its last attempt, or when called directly, the failure is
recorded in the audit log (``notification.failed``) instead of raised. Mails carry no
secret: a PKCS#12 or a password is only ever handed over on the request's page.
"""

import logging
import smtplib
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, mailers
from django.urls import reverse

from raportal import outbox
from raportal.models import record
from requests_app.models import Request, Status
from requests_app.pages.queries import approvers_of
from requests_app.trigger_events import fire_request_event

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)

DECISION_WORDS: dict[str, str] = {
    Status.COMPLETED: "approved",
    Status.APPROVED: "approved",  # an EST/SCEP challenge, ready for its device
    Status.DENIED: "denied",
}


# --- hooks, called by the services inside their transaction --------------------------------


def request_submitted(request: Request) -> None:
    """After ``request_submit``: a request left pending waits for its approvers; one carried
    out at once fires its workflow's triggers (``on_enroll`` …)."""
    if request.status == Status.COMPLETED:
        fire_request_event(request, "done")
    if request.status == Status.PENDING:
        fire_request_event(request, "submit")
        from requests_app.tasks import notify_request_pending

        _after_commit(notify_request_pending, request)


def request_decided(request: Request) -> None:
    """After ``request_approve`` / ``request_deny``: the requester hears of the decision made
    by someone else (a request they executed themselves is not news to them). The
    profile's triggers fire for the decision, and for the workflow carried out."""
    if request.status in (Status.COMPLETED, Status.APPROVED):
        fire_request_event(request, "approve")
    if request.status == Status.COMPLETED:
        fire_request_event(request, "done")
    elif request.status == Status.DENIED:
        fire_request_event(request, "deny")
    if (
        request.status in DECISION_WORDS
        and request.requester_id is not None  # a proof of possession has no mailbox here
        and request.approver_id != request.requester_id
    ):
        from requests_app.tasks import notify_request_decided

        _after_commit(notify_request_decided, request)


def request_canceled(request: Request) -> None:
    """After ``request_cancel``: the profile's ``onCancel`` triggers."""
    fire_request_event(request, "cancel")


def request_carried_out(request: Request) -> None:
    """A device spent its challenge, or re-enrolled: the workflow's triggers (``on_enroll``,
    ``on_renew``)."""
    fire_request_event(request, "done")


def _after_commit(task: "Task[[str], int]", request: Request) -> None:
    """Queued in the service's transaction, run by the outbox's worker once it commits: a
    rolled-back request mails nobody, a slow mail server holds no request up, and a process
    that dies after the commit loses no mail."""
    outbox.enqueue(task, str(request.pk))


# --- senders, run by the tasks ---------------------------------------------------------------


def send_pending_notice(request_id: str) -> int:
    """Mails each approver who may decide on the request (never its requester). Returns the
    number of mails sent (0 when the request was decided, withdrawn or purged meanwhile)."""
    request = _load(request_id)
    if request is None or request.status != Status.PENDING:
        return 0
    recipients = [user for user in approvers_of(request) if user.email]
    if not recipients:
        return 0
    profile = request.profile.name if request.profile else "no profile"
    subject = f"[RA Portal] Waiting for your decision: {request.workflow} on {profile}"
    link = _url("approval-decide", request)
    lines = [
        f"{_requester_name(request)} asks to {request.workflow} on profile {profile}:",
        f"  {request.dn or '(no subject)'}",
    ]
    if request.requester_comment:
        lines.append(f"Their comment: {request.requester_comment}")
    lines += [
        "",
        f"It expires on {request.expires_at:%Y-%m-%d %H:%M} UTC if nobody decides.",
        f"Review it: {link}",
    ]
    body = "\n".join(lines) + "\n"
    # One mail per approver: they do not learn each other's addresses.
    return _send(request, "pending", [_mail(subject, body, user.email) for user in recipients])


def send_decision_notice(request_id: str) -> int:
    """Mails the requester the decision on their request. Returns the number of mails sent."""
    request = _load(request_id)
    if request is None or request.status not in DECISION_WORDS:
        return 0
    requester = request.requester
    if requester is None or not requester.email or not requester.is_active:
        return 0
    word = DECISION_WORDS[request.status]
    subject = f"[RA Portal] Your {request.workflow} request was {word}"
    profile = request.profile.name if request.profile else "no profile"
    approver = _name(request.approver) if request.approver else "an approver"
    lines = [
        f"Your {request.workflow} request on profile {profile} was {word} by {approver}:",
        f"  {request.dn or '(no subject)'}",
    ]
    if request.approver_comment:
        lines.append(f"Their comment: {request.approver_comment}")
    if request.sealed_pkcs12 or request.sealed_password:
        lines.append("Your PKCS#12 waits on the request's page: it is handed over only once.")
    lines += ["", f"See it: {_url('request-detail', request)}"]
    body = "\n".join(lines) + "\n"
    return _send(request, "decided", [_mail(subject, body, requester.email)])


def _load(request_id: str) -> Request | None:
    # get(), not first(): ordering the one row by its key cost more to compile than to run.
    try:
        return Request.objects.select_related("profile", "requester", "approver").get(pk=request_id)
    except Request.DoesNotExist:
        return None


def _mail(subject: str, body: str, to: str) -> EmailMessage:
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to])


def _send(request: Request, kind: str, messages: list[EmailMessage]) -> int:
    try:
        return mailers.default.send_messages(messages) or 0
    except (smtplib.SMTPException, OSError) as exc:
        if outbox.will_retry():  # a mail server away for a while: the outbox tries again
            raise
        logger.warning("the %s notification of request %s failed: %s", kind, request.pk, exc)
        _record_failure(str(request.pk), kind, exc)
        return 0


def _record_failure(request_id: str, kind: str, exc: Exception) -> None:
    request = Request.objects.filter(pk=request_id).first()
    if request is not None:
        record(None, "notification.failed", request, kind=kind, error=str(exc)[:200])


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _requester_name(request: Request) -> str:
    return _name(request.requester) if request.requester else request.requester_name


def _url(name: str, request: Request) -> str:
    return settings.RAPORTAL_BASE_URL + reverse(name, args=[request.pk])
