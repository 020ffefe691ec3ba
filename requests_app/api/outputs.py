"""Output shapes: requests as the Horizon contract writes them (camelCase, ``_id`` strings, dates
in epoch milliseconds); the certificate inside is ``certificates.outputs``."""

import base64
from functools import cache
from typing import Any

from certificates.outputs import certificate_json, epoch_ms
from requests_app.models import Request
from requests_app.services import Outcome
from requests_app.trigger_runs import may_rerun_request_trigger
from requests_app.workflows import template_json_of
from requests_app.workflows.holder_limit import holder_counts
from triggers.results import results_of_request


def request_json(outcome: Outcome, viewer: Any = None) -> dict[str, Any]:
    """The request as the contract writes it; ``viewer`` decides which trigger results show
    their detail (none without one)."""
    request: Request = outcome.request
    global_count, profile_count = (
        holder_counts(request.holder_id, request.profile) if request.holder_id else (0, 0)
    )
    body: dict[str, Any] = {
        "_id": str(request.pk),
        "module": request.module,
        "workflow": request.workflow,
        "status": request.contract_status,  # never "expired": see Status.EXPIRED
        "profile": request.profile.name if request.profile is not None else None,
        "dn": request.dn or None,
        "requester": request.requester_name,
        "approver": request.approver.get_username() if request.approver is not None else None,
        "team": request.team.name if request.team is not None else None,
        "contact": request.contact_email or None,
        "requesterComment": request.requester_comment or None,
        "approverComment": request.approver_comment or None,
        "registrationDate": epoch_ms(request.created_at),
        "lastModificationDate": epoch_ms(request.updated_at),
        "expirationDate": epoch_ms(request.expires_at),
        "removeAt": epoch_ms(request.remove_at),
        "holderId": request.holder_id or None,
        "globalHolderIdCount": global_count,
        "profileHolderIdCount": profile_count,
        "labels": request.labels,
        "metadata": request.metadata,
        "dryRun": outcome.dry_run,
        # Only the contract's shape: how a device enrolled (the template's "enrollment"
        # record) has no field in Horizon's EST/SCEP request objects, so the pages alone
        # show it (requests_app/pages/enrollment.py).
        "template": template_json_of(request),
        "certificate": (
            certificate_json(request.certificate) if request.certificate is not None else None
        ),
        "error": request.error or None,
        "triggerResults": (
            results_of_request(
                request.pk,
                cache(
                    lambda event: (
                        viewer is not None and may_rerun_request_trigger(viewer, request, event)
                    )
                ),
            )
            if _may_have_trigger_runs(outcome)
            else []
        ),
    }
    if request._state.adding:  # a dry-run submission: nothing was stored, there is no id
        del body["_id"]
    secrets = outcome.secrets
    if secrets is not None and secrets.pkcs12 is not None:
        body["pkcs12"] = {"value": base64.b64encode(secrets.pkcs12).decode()}
    if secrets is not None and secrets.password is not None:
        body["password"] = {"value": secrets.password}
    return body


def _may_have_trigger_runs(outcome: Outcome) -> bool:
    """Runs of a request are fired for its profile's triggers (requests_app/trigger_events.py):
    none for a dry run (nothing stored) and none for a submission this call just stored on a
    profile that lists no trigger — spare the query then."""
    request = outcome.request
    if request._state.adding:
        return False
    return not outcome.submitted or bool(request.profile is not None and request.profile.triggers)
