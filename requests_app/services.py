"""The request lifecycle: submit, approve, deny, cancel, get.

Every transition is one function here: it checks who is asking and the start state, runs in
one transaction with the request row locked, saves with ``update_fields``, writes an audit
event and raises DomainError with the contract's code. The API and the web pages call these
functions and nothing else changes a request's status.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from certificates.pop import proof_of
from profiles import access
from profiles.models import GrantLevel, Profile, Team
from raportal import audit_changes
from raportal.callers import Principal, has_account
from raportal.errors import DomainError, forbidden, invalid_request, request_not_found
from raportal.models import audit_batch, record
from requests_app import notifications
from requests_app.models import Request, RequestApproval, Status, approvals_required_for
from requests_app.workflows import handler_for
from requests_app.workflows.base import Body, Prepared, Secrets, Target, WorkflowHandler
from requests_app.workflows.lookups import find_profile
from requests_app.workflows.on_certificate import CertificateWorkflow

DEFAULT_EXPIRY_DAYS = 7  # requests filed on no profile (imports of unprofiled certificates)


@dataclass
class Outcome:
    request: Request
    secrets: Secrets | None = None
    dry_run: bool = False
    # Stored by this call (a submission): whatever points at it was made by this call too.
    submitted: bool = False


# --- submit ------------------------------------------------------------------------------


def request_submit(
    user: Principal, handler: WorkflowHandler, data: Body, *, hand_over_later: bool = False
) -> Outcome:
    """Validates a submission and either executes it (caller holds ``perform``), leaves it
    pending (caller holds ``request``), or — with ``dryRun`` — only validates it.

    Secrets an execution produces (a PKCS#12, a password) are returned in the Outcome; with
    ``hand_over_later`` (the web pages, which redirect first) they are sealed on the request
    instead, for the requester's next look at it (request_get).

    ``user`` is the caller: an account, or a principal without one that proved possession of
    a certificate's key (certificates/pop.py) — the request then records its name, and no
    account as requester or approver."""
    target = handler.resolve(data, user)
    level = target.level = handler.grant_level(user, target)
    if level is None:
        where = target.profile.name if target.profile else "unprofiled certificates"
        detail = f"you may not {handler.name} on {where}"
        if _not_theirs(user, handler, target):
            detail += (
                ": with a request grant, only the certificate's owner or a member of its team "
                "may ask for this; ask someone who may perform it"
            )
        if not has_account(user) and target.profile is not None:
            # A proof of possession alone: say which profile setting would allow it.
            flag = f"selfPop{handler.name.capitalize()}"
            detail += (
                f": a proof of possession acts only where the profile's {flag} allows "
                "(renew, revoke, update)"
            )
        raise forbidden(detail)
    profile = target.profile
    # Dual control: where the profile asks for more than one approval of this workflow,
    # nobody executes it alone, not even a ``perform`` holder: their submission waits for
    # the approvals of others too (the requester never counts).
    perform = level == GrantLevel.PERFORM and approvals_required_for(profile, handler.name) == 1
    if not perform:  # who may act at once (a key compromise) is not held up
        handler.check_not_duplicate(target)
    prepared = handler.prepare_submission(data, target, user)
    now = timezone.now()
    account = user if has_account(user) else None
    request = Request(
        module=handler.module,
        workflow=handler.name,
        profile=profile,
        certificate=target.certificate,
        requester=account,
        requester_identifier="" if account is not None else user.get_username(),
        requester_comment=data.get("requesterComment") or "",
        created_at=now,
        updated_at=now,
        **_expiry_dates(profile, handler.name, now),
    )
    request.status = handler.done_status if perform else Status.PENDING
    if data.get("dryRun"):
        handler.fill_request(request, prepared)
        return Outcome(request, dry_run=True)
    if perform:
        handler.prepare_material(prepared)  # slow work (key generation) before any lock
    handler.fill_request(request, prepared)
    try:
        secrets = _save_submission(
            user, handler, request, prepared, perform=perform, hand_over_later=hand_over_later
        )
    except IntegrityError:
        if perform:
            raise
        # Another submission of this kind on this certificate, racing past the check above,
        # committed first (req_one_pending_per_certificate): say so, as the check would.
        handler.check_not_duplicate(target)
        raise
    return Outcome(request, secrets, submitted=True)


def _save_submission(
    user: Principal,
    handler: WorkflowHandler,
    request: Request,
    prepared: Prepared,
    *,
    perform: bool,
    hand_over_later: bool,
) -> Secrets | None:
    """Executes (for a ``perform`` holder) and stores a submission, in one transaction."""
    account = request.requester
    secrets = None
    # Both audit events (the issuance's, the submission's) in one append to the chain.
    with transaction.atomic(), audit_batch():
        if perform:
            request.approver = account
            secrets = handler.execute(request, prepared, user)
            request.sealed_password = None  # handed over in this response, never kept
            if secrets is not None and hand_over_later:
                request.seal_pkcs12(secrets.pkcs12)
                request.seal_password(secrets.password)
                secrets = None
        request.save(force_insert=True)
        record(
            user,
            f"request.submit.{handler.name}",
            request,
            status=request.status,
            **_proof_detail(user, account),
        )
        notifications.request_submitted(request)  # mailed after commit
    return secrets


def _not_theirs(user: Principal, handler: WorkflowHandler, target: Target) -> bool:
    """Whether a refusal is about someone else's certificate: the caller holds ``request``
    on the profile, which acts on one's own or one's team's certificates only."""
    return (
        target.certificate is not None
        and handler.name in access.ON_CERTIFICATE
        and access.profile_level(user, target.certificate.profile, handler.name) is not None
    )


def _proof_detail(user: Principal, account: User | None) -> dict[str, Any]:
    """An account that also proved possession of a certificate's key (X-JWT-CERT-POP) is
    audited with the certificate it proved; a principal without an account names it anyway
    (raportal.models.record)."""
    proof = proof_of(user)
    return {"proofCertificate": proof.certificate.serial} if proof and account else {}


def _expiry_dates(
    profile: Profile | None, workflow: str, now: dt.datetime
) -> dict[str, dt.datetime]:
    days = profile.request_expiry_days(workflow) if profile else DEFAULT_EXPIRY_DAYS
    expires_at = now + dt.timedelta(days=days)
    retention = dt.timedelta(days=settings.RAPORTAL_REQUEST_RETENTION_DAYS)
    return {"expires_at": expires_at, "remove_at": expires_at + retention}


# --- decisions -----------------------------------------------------------------------------


def _request_pk(request_id: str | uuid.UUID) -> uuid.UUID:
    try:
        return uuid.UUID(str(request_id))
    except ValueError:
        raise request_not_found() from None


def _locked_request(user: Principal, request_id: str | uuid.UUID) -> Request:
    """The request, locked for this transaction; 404 to anyone who may not see it."""
    request: Request | None = (
        Request.objects.visible_to(user)
        .select_for_update(of=("self",))
        .select_related("profile", "profile__ca", "profile__ca__parent", "requester", "team")
        .filter(pk=_request_pk(request_id))
        .first()
    )
    if request is None:
        raise request_not_found()
    return request


def _check_envelope(request: Request, *, module: str | None, workflow: str | None) -> None:
    """A decision that names a module or workflow must name the request's own."""
    for field, given in (("module", module), ("workflow", workflow)):
        if given and given != getattr(request, field):
            raise invalid_request(
                f"{field} {given!r} does not match the request ({getattr(request, field)})"
            )


def check_pending(request: Request) -> None:
    """Only a pending request that has not expired can be decided or withdrawn. An expired
    one — closed by the scheduled task, or past its date and not yet closed — answers
    REQ-005 to every action, as the contract says."""
    if request.status == Status.EXPIRED:
        raise DomainError("REQ-005", "the request expired before a decision was made")
    if request.status != Status.PENDING:
        raise DomainError("REQ-004", f"the request is {request.status}, not pending")
    if request.is_expired:
        raise DomainError("REQ-005", "the request expired before a decision was made")


def check_may_decide(user: Principal, request: Request) -> None:
    """Separation of duties: never one's own request; ``perform`` on its profile and workflow.
    The approver pages ask the same question before showing the buttons."""
    if request.is_requested_by(user):
        raise forbidden("you cannot approve or deny your own request")
    if access.request_level(user, request) != GrantLevel.PERFORM:
        raise forbidden(f"you may not decide on {request.workflow} requests of this profile")


def _snapshot(request: Request) -> dict[str, Any]:
    """What an approver may change, to record what they did change."""
    return {
        "template": request.template,
        "labels": request.labels,
        "owner": request.owner_id,
        "team": request.team_id,
        "contact": request.contact_email,
    }


def request_approve(
    user: Principal,
    request_id: str | uuid.UUID,
    *,
    module: str | None = None,
    workflow: str | None = None,
    template: Body | None = None,
    approver_comment: str | None = None,
    dry_run: bool = False,
) -> Outcome:
    """pending → completed (approved, for a device challenge): re-checks the request, with
    the approver's edits (``template``, whose shape is the request's workflow's), against the
    profile as it is now, and executes it, in the same transaction. ``module`` and
    ``workflow``, when given, must be the request's own; ``dry_run`` only checks."""
    with transaction.atomic():
        request = _locked_request(user, request_id)
        if not has_account(user):  # never: nothing is visible to a caller without an account
            raise request_not_found()
        _check_envelope(request, module=module, workflow=workflow)
        check_may_decide(user, request)
        check_pending(request)
        check_not_yet_approved(user, request)
        if request.profile and not request.profile.enabled:
            raise DomainError("REQ-010", f"profile {request.profile.name} is disabled")
        handler = handler_for(request.module, request.workflow)
        prepared = handler.prepare_approval(request, {"template": template}, user)
        if dry_run:
            transaction.set_rollback(True)
            return Outcome(request, dry_run=True)
        # Counted under the request's row lock: approvals of one request are serialized, so
        # exactly one of them is the Nth and executes it; those after it find it completed.
        given = request.approvals.count() + 1
        needed = request.approvals_required
        if given < needed:
            _record_approval(
                user, request, handler, prepared, template or {}, approver_comment, given, needed
            )
            return Outcome(request)
        RequestApproval.objects.create(
            request=request, approver=user, comment=approver_comment or ""
        )
        before, dn_before = _snapshot(request), request.dn
        handler.prepare_material(prepared)
        handler.fill_request(request, prepared)
        secrets = handler.execute(request, prepared, user)
        request.status = handler.done_status
        request.approver = user
        request.approver_comment = approver_comment or ""
        request.updated_at = timezone.now()
        request.sealed_password = None
        if secrets is not None:
            # Kept sealed until the requester fetches them once (request_get).
            request.seal_pkcs12(secrets.pkcs12)
            request.seal_password(secrets.password)
        request.save(
            update_fields=[
                "status",
                "approver",
                "approver_comment",
                "updated_at",
                "certificate",
                "template",
                "dn",
                "holder_id",
                "labels",
                "owner",
                "team",
                "contact_email",
                "sealed_password",
                "sealed_pkcs12",
                "sealed_key",
                "challenge_hash",
                "challenge_tag",
            ]
        )
        after = _snapshot(request)
        changed = sorted(key for key in before if before[key] != after[key])
        record(
            user,
            f"request.approve.{request.workflow}",
            request,
            changed=changed,
            edited=_edited(before, after, template or {}),
            comment=request.approver_comment,
            outcome=outcome_text(request),
            **({"approvals": f"{given}/{needed}"} if needed > 1 else {}),
            **_approver_changes(before, after, dn_before, request.dn),
        )
        notifications.request_decided(request)
    return Outcome(request)


def check_not_yet_approved(user: Principal, request: Request) -> None:
    """Dual control: an approver counts once. Refused with SEC-PERM-001 (403, "Insufficient
    privileges"), the contract's code for who may not act — as for approving one's own
    request —, rather than REQ-004 ("Invalid Request status"): the request is still pending
    and still approvable, by someone else. The decision page asks the same question."""
    if RequestApproval.objects.filter(request=request, approver=getattr(user, "pk", None)).exists():
        raise forbidden(
            "you already approved this request: an approver counts once, it needs the "
            "approval of someone else"
        )


# The request's fields an approval before the last one must leave as they are (fill_request
# changes them in memory while checking that nothing was edited).
FILLED = (
    "template",
    "dn",
    "holder_id",
    "labels",
    "owner",
    "team",
    "contact_email",
    "certificate",
    "sealed_password",
    "sealed_key",
    "challenge_hash",
    "challenge_tag",
)


def _record_approval(
    user: Principal,
    request: Request,
    handler: WorkflowHandler,
    prepared: Prepared,
    template: Body,
    comment: str | None,
    given: int,
    needed: int,
) -> None:
    """An approval short of the ``needed`` ones: recorded and audited, the request stays
    pending and nothing runs. Nobody new is told: approvers were mailed when it was
    submitted, and the requester hears the final decision only. The request was checked
    against the profile as it is now (prepare_approval), as the last approval will check it
    again; edits are left to the last approval, so that every approver approves the same."""
    before = _snapshot(request)
    handler.fill_request(request, prepared)
    edited = _edited(before, _snapshot(request), template)
    if edited:
        raise invalid_request(
            f"this is approval {given} of {needed}: only the last one may edit the request "
            f"({', '.join(edited)}); approve it as it stands, or deny it"
        )
    request.refresh_from_db(fields=list(FILLED))  # fill_request changed it in memory only
    assert has_account(user), "request_approve refuses callers without an account first"
    RequestApproval.objects.create(request=request, approver=user, comment=comment or "")
    request.updated_at = timezone.now()
    request.save(update_fields=["updated_at"])
    record(
        user,
        f"request.approval_recorded.{request.workflow}",
        request,
        approvals=f"{given}/{needed}",
        comment=comment or "",
        outcome=f"approval {given} of {needed}",
    )


# Where each part of an approval template lands in the request's snapshot.
EDITABLE = {"labels": "labels", "owner": "owner", "team": "team", "contactEmail": "contact"}


def _approver_changes(
    before: dict[str, Any], after: dict[str, Any], dn_before: str, dn_after: str
) -> dict[str, Any]:
    """What the approval changed on what was asked (the approver's edits), before → after,
    for the audit log (raportal/audit_changes.py): the subject, SANs, labels, contact, team
    and owner by name. One query for the names, only when the team or owner changed."""
    old, new = _readable(before, dn_before), _readable(after, dn_after)
    if old["team"] != new["team"]:
        names = dict(
            Team.objects.filter(pk__in=[old["team"], new["team"]]).values_list("pk", "name")
        )
        old["team"], new["team"] = names.get(old["team"]), names.get(new["team"])
    if old["owner"] != new["owner"]:
        users = User.objects.filter(pk__in=[old["owner"], new["owner"]])
        names = dict(users.values_list("pk", User.USERNAME_FIELD))
        old["owner"], new["owner"] = names.get(old["owner"]), names.get(new["owner"])
    return audit_changes.detail(old, new)


def _readable(state: dict[str, Any], dn: str) -> dict[str, Any]:
    sans = (state["template"] or {}).get("sans") or []
    return {
        "subject": dn,
        "sans": [
            f"{item.get('type')}:{value}"
            for item in sans
            if isinstance(item, dict)
            for value in item.get("value") or []
        ],
        "labels": [
            f"{item.get('key', item.get('label'))}={item.get('value')}"
            for item in state["labels"] or []
            if isinstance(item, dict)
        ],
        "contact": state["contact"],
        "team": state["team"],
        "owner": state["owner"],
    }


def _edited(before: dict[str, Any], after: dict[str, Any], edits: Body) -> list[str]:
    """The parts of the request the approver's template really changed (a browser sends
    every field back, changed or not)."""
    out = []
    for key in edits:
        if key in EDITABLE:
            differs = before[EDITABLE[key]] != after[EDITABLE[key]]
        else:
            differs = before["template"].get(key) != after["template"].get(key)
        if differs:
            out.append(key)
    return sorted(out)


OUTCOME_WORDS = {
    "update": "certificate updated",
    "migrate": "certificate moved to its new profile",
    "recover": "key ready for the requester",
}
OUTCOME_VERBS = {"enroll": "issued", "renew": "issued", "import": "imported", "revoke": "revoked"}


def outcome_text(request: Request) -> str:
    """What an approval did, in words, for the audit log, the request's history and the
    approver's pages."""
    verb = OUTCOME_VERBS.get(request.workflow)
    if verb and request.certificate is not None:
        return f"certificate {request.certificate.serial} {verb}"
    if request.status == Status.APPROVED:
        return "challenge ready for its device"
    return OUTCOME_WORDS.get(request.workflow, f"{request.workflow} done")


def request_deny(
    user: Principal,
    request_id: str | uuid.UUID,
    *,
    module: str | None = None,
    workflow: str | None = None,
    approver_comment: str | None = None,
) -> Outcome:
    with transaction.atomic():
        request = _locked_request(user, request_id)
        if not has_account(user):  # never: nothing is visible to a caller without an account
            raise request_not_found()
        _check_envelope(request, module=module, workflow=workflow)
        check_may_decide(user, request)
        check_pending(request)
        _close(request, Status.DENIED, approver=user, comment=approver_comment)
        record(
            user,
            f"request.deny.{request.workflow}",
            request,
            comment=request.approver_comment,
            outcome="denied",
        )
        notifications.request_decided(request)
    return Outcome(request)


def request_cancel(
    user: Principal,
    request_id: str | uuid.UUID,
    *,
    module: str | None = None,
    workflow: str | None = None,
) -> Outcome:
    """The requester (or a member of the request's team) withdraws a pending request."""
    with transaction.atomic():
        request = _locked_request(user, request_id)
        _check_envelope(request, module=module, workflow=workflow)
        check_may_cancel(user, request)
        _close(request, Status.CANCELED)
        record(user, f"request.cancel.{request.workflow}", request)
        notifications.request_canceled(request)
    return Outcome(request)


def check_may_cancel(user: Principal, request: Request) -> None:
    """Only a pending request can be withdrawn, by its requester or by a member of its team
    when the requester belongs to that team too: a certificate's team does not get to
    withdraw an outsider's revocation. The request page asks the same question. A request
    filed without an account (proof of possession) is never pending: nobody withdraws it."""
    if request.requester_id is None:
        raise forbidden("only the requester or their team may cancel a request")
    if not request.is_requested_by(user):
        team = request.team if request.team_id else None
        team_ids = (
            set(
                team.members.filter(pk__in=[user.pk, request.requester_id]).values_list(
                    "pk", flat=True
                )
            )
            if team is not None
            else set()
        )
        if team_ids != {user.pk, request.requester_id}:
            raise forbidden("only the requester or their team may cancel a request")
    check_pending(request)


def _close(
    request: Request, status: str, *, approver: User | None = None, comment: str | None = ""
) -> None:
    request.status = status
    request.updated_at = timezone.now()
    request.sealed_password = request.sealed_key = None  # secrets of a request that won't run
    fields = ["status", "updated_at", "sealed_password", "sealed_key"]
    if approver is not None:
        request.approver = approver
        request.approver_comment = comment or ""
        fields += ["approver", "approver_comment"]
    request.save(update_fields=fields)


# --- read ----------------------------------------------------------------------------------


def request_get(
    user: Principal, request_id: str | uuid.UUID, *, deliver_secrets: bool = True
) -> Outcome:
    """A request as its viewer may see it. The requester receives the PKCS#12 and password
    of an approved centralized enrollment once (when ``deliver_secrets``: a real GET, not a
    HEAD or a cross-site navigation); they are wiped as they are handed over."""
    request: Request | None = (
        Request.objects.visible_to(user)
        .select_related(
            "profile",
            "requester",
            "approver",
            "team",
            "owner",
            "certificate",
            "certificate__profile",
            "certificate__owner",
            "certificate__team",
            "certificate__escrowed_key",
        )
        .filter(pk=_request_pk(request_id))
        .first()
    )
    if request is None:
        raise request_not_found()
    if not deliver_secrets or not request.has_secrets_for(user):
        return Outcome(request)
    with transaction.atomic():
        secrets = Secrets(pkcs12=request.open_pkcs12(), password=request.open_password())
        taken = (
            Request.objects.filter(pk=request.pk)
            .filter(Q(sealed_pkcs12__isnull=False) | Q(sealed_password__isnull=False))
            .update(sealed_pkcs12=None, sealed_password=None)
        )
        if not taken:
            return Outcome(request)  # a concurrent call received them
        record(user, "request.secrets.delivered", request)
    return Outcome(request, secrets)


# --- describe ------------------------------------------------------------------------------


def request_template(
    user: Principal,
    handler: WorkflowHandler,
    *,
    profile: str | None = None,
    certificate_id: str | None = None,
    certificate_pem: str | None = None,
    template: Body | None = None,
) -> dict[str, Any]:
    """What the caller may ask for with this workflow, on a profile or about a certificate
    (named by ``certificate_id`` or ``certificate_pem``); ``template`` may prefill it (a
    CSR)."""
    # What the workflow's resolve and describe read, in the API's words.
    data: Body = {
        "profile": profile,
        "certificateId": certificate_id,
        "certificatePem": certificate_pem,
        "template": template,
    }
    if (certificate_id or certificate_pem) and isinstance(handler, CertificateWorkflow):
        if handler.name == "migrate" and not profile:
            raise invalid_request("a migration template needs the target profile")
        target = handler.resolve(data, user)
    else:
        if not profile:
            raise invalid_request("profile is required (or certificateId for this workflow)")
        target = Target(find_profile(profile, handler.module))
    if target.profile is None:  # never: a certificate workflow resolves to a usable profile
        raise invalid_request("profile is required (or certificateId for this workflow)")
    if handler.grant_level(user, target) is None:
        raise forbidden(f"you may not {handler.name} on profile {target.profile.name}")
    return {
        "module": handler.module,
        "workflow": handler.name,
        "profile": target.profile.name,
        "template": handler.describe(target, user, data),
    }
