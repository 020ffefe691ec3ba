"""A request: what someone asked for, and where it stands."""

import datetime as dt
import uuid
from typing import Self

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models
from django.db.models import Exists, F, IntegerField, OuterRef, Q
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.crypto import salted_hmac

from profiles import grants_cache
from profiles.access import decidable_condition, granted_profiles
from profiles.models import (
    GrantLevel,
    Module,
    Profile,
    Team,
    Workflow,
)
from raportal.callers import Principal, has_account, is_administrator
from raportal.crypto import open_sealed, seal
from raportal.json_search import JsonItemsContain


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"  # EST/SCEP challenge waiting for its device
    DENIED = "denied", "Denied"
    CANCELED = "canceled", "Canceled"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    # A pending request nobody decided before its expiration date, closed by the scheduled
    # task (requests_app/housekeeping.expire_requests). Horizon's contract has no such status
    # (the official client's RequestStatus: denied, approved, pending, canceled, completed,
    # failed, in_progress), so the API keeps answering ``pending`` with the past
    # ``expirationDate`` — which the contract already reads as expired (REQ-005 on any
    # action): see ``Request.contract_status``. Pages, their filters and the approvers' queue
    # say "expired".
    EXPIRED = "expired", "Expired"


# Statuses a request ends in: nothing changes it any more, and it is purged at ``removeAt``.
FINISHED = [Status.COMPLETED, Status.DENIED, Status.CANCELED, Status.EXPIRED, Status.FAILED]

# Statuses an approver's decision leaves a request in (approved: an EST/SCEP challenge waiting
# for its device; failed: approved, then the CA failed).
DECIDED = [Status.COMPLETED, Status.APPROVED, Status.FAILED, Status.DENIED]

# The workflows acting on an existing certificate, of which one request at a time may wait.
ONE_PENDING_PER_CERTIFICATE = [
    Workflow.REVOKE,
    Workflow.UPDATE,
    Workflow.RENEW,
    Workflow.RECOVER,
    Workflow.MIGRATE,
    Workflow.IMPORT,
]
ONE_PENDING_CONSTRAINT = "req_one_pending_per_certificate"


class RequestQuerySet(models.QuerySet["Request"]):
    def pending(self) -> Self:
        return self.filter(status=Status.PENDING)

    def shown_as(self, status: str, now: dt.datetime | None = None) -> Self:
        """Requests whose ``shown_status`` is ``status``: a pending request past its
        expiration date is expired already, before the scheduled task closes it."""
        now = now or timezone.now()
        if status == Status.PENDING:
            return self.filter(status=Status.PENDING, expires_at__gt=now)
        if status == Status.EXPIRED:
            return self.filter(
                Q(status=Status.EXPIRED) | Q(status=Status.PENDING, expires_at__lte=now)
            )
        return self.filter(status=status)

    def visible_to(self, user: Principal) -> Self:
        """Requests a user may see: their own, their teams', and those of the profiles and
        workflows on which they may approve (hold ``perform``). Subqueries, not joins: no
        duplicates, so the result can also be locked (``select_for_update``). A caller
        without an account (anonymous, or a proof of possession) sees none; an administrator
        sees every request."""
        if not has_account(user):
            return self.none()
        if is_administrator(user):
            return self.all()
        in_team = Team.members.through.objects.filter(team=OuterRef("team"), user=user)
        return self.filter(Q(requester=user) | Exists(in_team) | decidable_condition(user))

    def pending_for(self, user: Principal) -> Self:
        """Pending requests this user may decide on (never their own); an administrator
        decides on every profile."""
        if not has_account(user):
            return self.none()
        return self.pending().exclude(requester=user).filter(decidable_condition(user))

    def awaiting_approval_of(self, user: Principal) -> Self:
        """Without the requests ``user`` already approved (dual control: an approver counts
        once, so such a request no longer waits for them, though they may still deny it)."""
        if not has_account(user):
            return self
        approved = RequestApproval.objects.filter(request=OuterRef("pk"), approver=user)
        return self.exclude(Exists(approved))

    def decidable_by(self, user: Principal, now: dt.datetime | None = None) -> Self:
        """What waits for ``user`` in the approver's queue: ``pending_for`` without the requests
        already past their expiry (they can no longer be decided, REQ-005) or that ``user``
        already approved (dual control: ``awaiting_approval_of``), and for a
        migration only with ``perform`` on its source profile too, as the migrate workflow
        asks (``MigrateWorkflow.target_of``)."""
        # An IN list, not a correlated EXISTS on a value read from the JSON: the planner
        # would charge that per row and (PostgreSQL) compile the query with its JIT.
        sources = granted_profiles(user, Workflow.MIGRATE, GrantLevel.PERFORM).values("pk")
        return (
            self.pending_for(user)
            .awaiting_approval_of(user)
            .filter(expires_at__gt=now or timezone.now())
            .alias(source_profile_id=Cast(KT("template__sourceProfileId"), IntegerField()))
            .filter(
                ~Q(workflow=Workflow.MIGRATE)
                | Q(source_profile_id__isnull=True)
                | Q(source_profile_id__in=sources)
            )
        )

    def mine(self, user: Principal) -> Self:
        """Requests the user made or that belong to one of their teams (not those they see as
        an approver: see ``visible_to``). The teams are known first (the grants cache: no
        query unless the configuration changed), so that the database can use the requester
        and team indexes instead of a scan."""
        if not has_account(user):
            return self.none()
        teams = sorted(grants_cache.held_by(user).team_ids)
        return self.filter(Q(requester=user) | Q(team__in=teams))

    def with_secrets_for(self, user: Principal) -> Self:
        """Requests whose PKCS#12 waits for ``user`` to take it (see ``has_secrets_for``)."""
        if not has_account(user):
            return self.none()
        return (
            self.filter(requester=user)
            .exclude(status=Status.PENDING)
            .filter(Q(sealed_pkcs12__isnull=False) | Q(sealed_password__isnull=False))
        )

    def decided_since(self, since: dt.datetime) -> Self:
        """Requests someone other than their requester approved or denied after ``since``
        (a requester's own request executed at once is not news to them)."""
        return (
            self.filter(approver__isnull=False, updated_at__gt=since)
            .exclude(approver=F("requester"))
            .exclude(status=Status.PENDING)
        )

    def waiting_between(
        self, older_than: dt.timedelta, younger_than: dt.timedelta | None, now: dt.datetime
    ) -> Self:
        """Requests submitted at least ``older_than`` and less than ``younger_than`` (no upper
        bound when None) before ``now``: the approver's queue by age."""
        found = self.filter(created_at__lte=now - older_than)
        if younger_than is not None:
            found = found.filter(created_at__gt=now - younger_than)
        return found

    def decided_by(self, user: Principal) -> Self:
        """Requests ``user`` approved or denied, as the approver who closed them (the last
        approval under dual control): not their own requests, which they performed at once."""
        if not has_account(user):
            return self.none()
        return self.filter(approver=user, status__in=DECIDED).exclude(requester=user)

    def search(self, text: str) -> Self:
        """Requests whose subject DN or one of the requested SAN values contains ``text``
        (ignoring case; the JSON's member names and the CSR are not searched)."""
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(dn__icontains=text)
            | JsonItemsContain(KeyTransform("sans", "template"), text, ("value",))
        )


def approvals_required_for(profile: Profile | None, workflow: str) -> int:
    """How many distinct approvals a ``workflow`` request on ``profile`` needs (dual control;
    1 without a profile)."""
    return profile.approvals_required(workflow) if profile is not None else 1


class Request(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    module = models.CharField(max_length=16, choices=Module.choices)
    workflow = models.CharField(max_length=16, choices=Workflow.choices)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    profile = models.ForeignKey(
        "profiles.Profile",
        null=True,  # only imports of certificates that belong to no profile
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    # The account that filed the request; none when the caller had no account (a proof of
    # possession, certificates/pop.py): ``requester_identifier`` names them then.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rap_requests",
    )
    requester_identifier = models.TextField(blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rap_approved_requests",
    )
    team = models.ForeignKey(
        "profiles.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_email = models.EmailField(blank=True)
    requester_comment = models.TextField(blank=True)
    approver_comment = models.TextField(blank=True)
    # What was asked, normalized: subject, sans, keyType or csr. Never a secret.
    template = models.JSONField(default=dict)
    dn = models.TextField(blank=True)
    holder_id = models.CharField(max_length=64, blank=True, db_index=True)
    labels = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=list, blank=True)
    certificate = models.ForeignKey(
        "certificates.Certificate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    error = models.TextField(blank=True)
    # One-time secrets, sealed (AES-GCM) and wiped once handed to the requester.
    sealed_password = models.BinaryField(null=True, blank=True, editable=False)
    sealed_pkcs12 = models.BinaryField(null=True, blank=True, editable=False)
    # A private key brought with an import, sealed until the import is executed.
    sealed_key = models.BinaryField(null=True, blank=True, editable=False)
    # EST/SCEP: the challenge password, hashed like a login password (it may be short), and a
    # keyed digest of it (challenge_tag) by which a device's password finds its challenge
    # without trying every open one's slow hash (requests_app/challenges.py).
    challenge_hash = models.CharField(max_length=256, blank=True, editable=False)
    challenge_tag = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    remove_at = models.DateTimeField()

    objects = RequestQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["status", "profile", "workflow"], name="req_queue"),
            models.Index(fields=["requester", "-created_at"], name="req_requester"),
            # The approver's queue: pending requests in submission order, without sorting
            # every waiting row to show one page.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="pending"),
                name="req_pending_created",
            ),
        ]
        constraints = [
            # Someone asked: an account, or a principal without one, by name.
            models.CheckConstraint(
                condition=Q(requester__isnull=False) | ~Q(requester_identifier=""),
                name="req_has_requester",
            ),
            # One pending request of a kind per certificate (the workflows' check_not_duplicate),
            # held by the database too: submissions racing past that check cannot both wait.
            models.UniqueConstraint(
                fields=["certificate", "workflow"],
                condition=Q(status="pending", workflow__in=ONE_PENDING_PER_CERTIFICATE),
                name=ONE_PENDING_CONSTRAINT,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workflow} {self.dn or self.id} ({self.status})"

    @property
    def requester_name(self) -> str:
        """Who asked: the account's username, or the name of a principal without an account
        (a certificate's DN, for a proof of possession). The API's ``requester``."""
        if self.requester is not None:
            return self.requester.get_username()
        return self.requester_identifier

    def set_challenge(self, password: str) -> None:
        """Keeps the challenge password as a hash and a tag, never in clear."""
        self.challenge_hash = make_password(password)
        self.challenge_tag = challenge_tag(password)

    def spend_challenge(self) -> None:
        self.challenge_hash = self.challenge_tag = ""

    def is_requested_by(self, user: Principal) -> bool:
        """Whether ``user`` (an account) filed this request. Never true for a caller without
        an account: None == None would make every anonymous caller the requester of every
        request filed by proof of possession."""
        return self.requester_id is not None and self.requester_id == getattr(user, "pk", None)

    @property
    def approvals_required(self) -> int:
        """How many distinct approvals this request needs (its profile's dual control for its
        workflow; 1 on no profile)."""
        return approvals_required_for(self.profile, self.workflow)

    @property
    def is_expired(self) -> bool:
        """Past its expiration date (whatever its status): a pending one can no longer be
        decided (REQ-005)."""
        return timezone.now() >= self.expires_at

    @property
    def shown_status(self) -> str:
        """The status the pages show: ``expired`` for a pending request past its expiration
        date too, before the scheduled task closes it."""
        if self.status == Status.PENDING and self.is_expired:
            return Status.EXPIRED
        return self.status

    @property
    def contract_status(self) -> str:
        """The status the API answers, always one of the official client's RequestStatus
        values: an expired request is reported ``pending`` with its past ``expirationDate``,
        as Horizon's contract has no expired status and reads that pair as expired (every
        action on it answers REQ-005)."""
        return Status.PENDING if self.status == Status.EXPIRED else self.status

    # One-time secrets are sealed under RAPORTAL_KEK and bound to this request's id.
    def seal_password(self, password: str | None) -> None:
        self.sealed_password = (
            seal(password.encode(), f"request-password:{self.pk}") if password else None
        )

    def open_password(self) -> str | None:
        if not self.sealed_password:
            return None
        return open_sealed(bytes(self.sealed_password), f"request-password:{self.pk}").decode()

    def seal_pkcs12(self, pkcs12: bytes | None) -> None:
        self.sealed_pkcs12 = seal(pkcs12, f"request-pkcs12:{self.pk}") if pkcs12 else None

    def has_secrets_for(self, user: Principal) -> bool:
        """A PKCS#12 or password waits for ``user`` to collect it: they asked, it is decided
        (a pending request's sealed password is kept for its approval), and nobody took it."""
        return (
            self.is_requested_by(user)
            and self.status != Status.PENDING
            and bool(self.sealed_pkcs12 or self.sealed_password)
        )

    def open_pkcs12(self) -> bytes | None:
        if not self.sealed_pkcs12:
            return None
        return open_sealed(bytes(self.sealed_pkcs12), f"request-pkcs12:{self.pk}")

    def seal_key(self, der: bytes | None) -> None:
        self.sealed_key = seal(der, f"request-key:{self.pk}") if der else None

    def open_key(self) -> bytes | None:
        if not self.sealed_key:
            return None
        return open_sealed(bytes(self.sealed_key), f"request-key:{self.pk}")


class RequestApproval(models.Model):
    """One approver's approval of a request (dual control, Profile.approvals_required). The
    last one executes the request; the ones before it leave it pending. An approver counts
    once; the requester never. An approval keeps counting if its approver later loses the
    right to approve: it was given with the right, and is audited."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rap_approvals"
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "approver"], name="req_approval_once"),
        ]

    def __str__(self) -> str:
        return f"{self.approver} approved {self.request_id}"


def challenge_tag(password: str) -> str:
    """A keyed digest of a challenge password (HMAC under SECRET_KEY): equal passwords give
    equal tags, and without the key the tag tells nothing of the password."""
    return salted_hmac("raportal.challenge-tag", password, algorithm="sha256").hexdigest()
