"""Profiles' triggers on requests: each step of a request (submitted and waiting, approved,
denied, withdrawn, carried out, still pending after a while) fires the triggers its profile
lists for that event (triggers/events.py), with the request's dictionary.

Dictionary keys, beside the certificate's (certificates/trigger_dictionary.py) when the
request has one: ``request.id``, ``.module``, ``.workflow``, ``.status``, ``.profile``,
``.dn``, ``.requester``, ``.requester.email``, ``.approver``, ``.approver.email``,
``.requesterComment``, ``.approverComment``, ``.contactEmail``, ``.registrationDate``,
``.expirationDate``, ``.url``; ``labels.<name>``; ``team.*``; ``profile.name``,
``profile.operators.emails`` (who may decide on it); ``portal.url``.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from certificates.trigger_dictionary import certificate_dictionary, iso_utc, team_dictionary
from requests_app.models import Request, Status
from triggers.delivery.rest import seconds_of
from triggers.events import event_of
from triggers.firing import fire, triggers_for


def _email(user) -> str:
    return user.email if user is not None and user.is_active else ""


def request_dictionary(request: Request) -> dict[str, Any]:
    from requests_app.pages.queries import approvers_of

    values: dict[str, Any] = {}
    if request.certificate is not None:
        values.update(certificate_dictionary(request.certificate))
    values.update(team_dictionary(request.team))
    values.update(
        {
            "request.id": str(request.pk),
            "request.module": request.module,
            "request.workflow": request.workflow,
            "request.status": request.status,
            "request.profile": request.profile.name if request.profile else "",
            "request.dn": request.dn,
            "request.requester": request.requester_name,
            "request.requester.email": _email(request.requester),
            "request.approver": request.approver.get_username() if request.approver else "",
            "request.approver.email": _email(request.approver),
            "request.requesterComment": request.requester_comment,
            "request.approverComment": request.approver_comment,
            "request.contactEmail": request.contact_email,
            "request.registrationDate": iso_utc(request.created_at),
            "request.expirationDate": iso_utc(request.expires_at),
            "request.url": settings.RAPORTAL_BASE_URL
            + reverse("request-detail", args=[request.pk]),
            "profile.name": request.profile.name if request.profile else "",
            "portal.url": settings.RAPORTAL_BASE_URL,
        }
    )
    for label in request.labels or []:
        values[f"labels.{label['key']}"] = label["value"]
    if request.status == Status.PENDING:
        values["profile.operators.emails"] = sorted(
            {user.email for user in approvers_of(request) if user.email}
        )
    return values


def fire_request_event(request: Request, step: str) -> None:
    """Inside the transaction of the change: records the runs of the profile's triggers for
    ``step`` on the request's workflow (queued once it commits)."""
    event = event_of(step, request.workflow)
    if event is None or request.profile is None or not request.profile.triggers:
        return
    triggers = triggers_for(request.profile.triggers, event)
    if not triggers:
        return
    fire(
        event,
        None,
        request_dictionary(request),
        request_id=request.pk,
        certificate_id=request.certificate_id or "",
        triggers=triggers,
    )


def fire_pending_reminders(now: dt.datetime | None = None) -> int:
    """``onPending<Workflow>`` triggers: every ``runPeriod`` a request stays pending (and
    not past its expiration), one run per period — the dedupe key counts periods, so a
    second scan, or a second worker, records nothing more. Returns the runs recorded."""
    now = now or timezone.now()
    recorded = 0
    pending = (
        Request.objects.filter(status=Status.PENDING, expires_at__gt=now)
        .exclude(profile__triggers={})
        .select_related("profile", "certificate", "requester", "approver", "team")
    )
    for request in pending.iterator(chunk_size=200):
        event = event_of("pending", request.workflow)
        if event is None or request.profile is None:
            continue
        for trigger in triggers_for(request.profile.triggers, event):
            period = seconds_of(trigger.run_period, 0)
            if period <= 0:
                continue
            periods = int((now - request.created_at).total_seconds() // period)
            if periods < 1:
                continue
            with transaction.atomic():
                recorded += len(
                    fire(
                        event,
                        None,
                        request_dictionary(request),
                        request_id=request.pk,
                        certificate_id=request.certificate_id or "",
                        dedupe=f"pending:{request.pk}:{periods}",
                        triggers=[trigger],
                    )
                )
    return recorded
