"""Expiry notices: the owner of a certificate, the members of its team and its contact email
hear that it expires, once at each threshold of its profile (``Profile.expiry_notice_days``,
30, 7 and 1 days by default), in one digest mail per recipient per run listing all their
certificates.

One implementation for ``manage.py send_expiry_notices`` and the hourly Celery beat task
``certificates.tasks.send_expiry_notices``. A run:

1. finds the certificates due: valid (not revoked, not expired), not renewed
   (certificates/renewal.py) and past at least one of their thresholds;
2. claims, for each, the most urgent threshold crossed whose notice was not sent yet, by
   inserting its ``ExpiryNotice`` row (unique per certificate and threshold) and committing
   *before* any mail: a second run, after a restart or in another worker at the same moment,
   fails that insert and leaves the notice alone. The more distant thresholds crossed with no
   notice yet are recorded ``skipped`` (a certificate first seen with 5 days left gets the
   7-day notice only, not the 30-day one as well);
3. mails each recipient one digest of their claimed certificates, and records each notice
   ``sent``, or ``failed`` with the error: the next run claims a failed notice again (a
   conditional UPDATE, which one worker wins) and mails only the addresses not yet in its
   ``delivered_to``, so a retry never duplicates a mail already delivered.

A claim left by a worker that died between its claim and its result is taken over after
``STALE_CLAIM`` (an hour): delivery wins over the rare duplicate of a worker killed in the
middle of an SMTP exchange.

Mails carry no secret: names, serials, dates and links to the portal's pages. Every notice
sent or failed is audited (``certificate.expiry_notice``), with its recipients."""

import datetime as dt
import logging
import math
import smtplib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from certificates.models import Certificate, ExpiryNotice, NoticeState
from profiles.models import DEFAULT_EXPIRY_NOTICE_DAYS, Profile
from raportal.models import record

logger = logging.getLogger(__name__)

STALE_CLAIM = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@dataclass
class Due:
    """A claimed notice, with its certificate and what the mail says of it."""

    notice: ExpiryNotice
    certificate: Certificate
    days_left: int
    skipped: list[int] = field(default_factory=list)


@dataclass
class Summary:
    """What a run did: notices sent and failed (retried next run), thresholds skipped, mails
    sent and failed."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    mails: int = 0
    mail_failures: int = 0

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def thresholds_of(certificate: Certificate) -> list[int]:
    """Its profile's thresholds, most distant first (the defaults for a certificate imported
    without a profile)."""
    if certificate.profile is None:
        return list(DEFAULT_EXPIRY_NOTICE_DAYS)
    return certificate.profile.notice_thresholds()


def days_left(certificate: Certificate, now: dt.datetime) -> int:
    """Whole days until notAfter, rounded up (6 days and 2 hours: 7 days)."""
    return max(1, math.ceil((certificate.not_after - now) / DAY))


def send_expiry_notices(now: dt.datetime | None = None) -> Summary:
    """Claims and mails the expiry notices due at ``now`` (see the module's docstring)."""
    now = now or timezone.now()
    run = uuid.uuid4().hex
    summary = Summary()
    due = _claim(now, run, summary)
    if not due:
        return summary
    _reload(due)
    digests: dict[str, list[Due]] = defaultdict(list)  # one per address, whatever its case
    spelled: dict[str, str] = {}
    addresses: dict[int, list[str]] = {}
    # An address spelled two ways gets one digest, addressed as an account spells it (a
    # contact email typed on a request ranks after it), whatever order the rows came in.
    ranked: dict[str, tuple[int, str]] = {}
    for item in due:
        addresses[item.notice.pk] = recipients_of(item.certificate)
        for address in addresses[item.notice.pk]:
            rank = (int(address == item.certificate.contact_email), address)
            key = address.lower()
            ranked[key] = min(ranked.get(key, rank), rank)
    spelled.update({key: address for key, (_, address) in ranked.items()})
    for item in due:
        already = {a.lower() for a in item.notice.delivered_to}
        for address in addresses[item.notice.pk]:
            if address.lower() not in already:
                digests[spelled[address.lower()]].append(item)
    errors: dict[int, str] = {}
    delivered: dict[int, list[str]] = defaultdict(list)
    connection = mailers.default
    try:
        connection.open()  # one SMTP session for the run's digests
        unavailable = None
    except (smtplib.SMTPException, OSError) as exc:
        unavailable = exc
    try:
        for address, items in sorted(digests.items()):
            problem = unavailable or _send(connection, _digest(address, items, now))
            if problem is not None:
                logger.warning("an expiry digest could not be sent: %s", problem)
                summary.mail_failures += 1
                for item in items:
                    errors[item.notice.pk] = f"{address}: {problem}"[:500]
                continue
            summary.mails += 1
            for item in items:
                delivered[item.notice.pk].append(address)
    finally:
        connection.close()
    for item in due:
        _finish(item, addresses[item.notice.pk], delivered[item.notice.pk], errors, now, run)
        if item.notice.pk in errors:
            summary.failed += 1
        else:
            summary.sent += 1
    return summary


# --- claiming ---------------------------------------------------------------------------------


def _candidates(now: dt.datetime):
    """Certificates that may have a notice due: valid, not renewed, within the longest
    threshold any profile has."""
    longest = max(
        [*DEFAULT_EXPIRY_NOTICE_DAYS]
        + [max(p.notice_thresholds() or [0]) for p in Profile.objects.only("expiry_notice_days")]
    )
    return (
        Certificate.objects.expiring(dt.timedelta(days=longest), now)
        .select_related("profile")
        .only("pk", "not_after", "profile", "profile__expiry_notice_days")
        .order_by("not_after", "pk")
    )


def _claim(now: dt.datetime, run: str, summary: Summary) -> list[Due]:
    """Claims the notice due for every candidate; returns those this run won."""
    query = _candidates(now)
    candidates = list(query)
    known: dict[uuid.UUID, dict[int, ExpiryNotice]] = defaultdict(dict)
    # A subquery, not a list of ids: thousands of certificates may be due at once.
    for notice in ExpiryNotice.objects.filter(certificate__in=query.values("pk")):
        known[notice.certificate_id][notice.threshold_days] = notice
    won: list[Due] = []
    for certificate in candidates:
        crossed = [t for t in thresholds_of(certificate) if certificate.not_after - now <= t * DAY]
        if not crossed:
            continue
        target = min(crossed)  # the most urgent threshold crossed
        notices = known[certificate.pk]
        # Distant thresholds crossed without a notice (first seen late, or the portal was
        # down): recorded skipped, so they are never sent after the more urgent one.
        skipped = [t for t in crossed if t != target and t not in notices]
        if skipped:
            ExpiryNotice.objects.bulk_create(
                [
                    ExpiryNotice(
                        certificate=certificate,
                        threshold_days=t,
                        state=NoticeState.SKIPPED,
                        claimed_by=run,
                        claimed_at=now,
                    )
                    for t in skipped
                ],
                ignore_conflicts=True,  # another worker recorded them first: the same
            )
            summary.skipped += len(skipped)
        # A distant notice still failing is superseded: its recipients get this one instead.
        superseded = [t for t, n in notices.items() if t > target and n.state == NoticeState.FAILED]
        if superseded:
            ExpiryNotice.objects.filter(
                certificate=certificate, threshold_days__in=superseded, state=NoticeState.FAILED
            ).update(state=NoticeState.SKIPPED)
        claimed = _claim_one(certificate, target, notices.get(target), now, run)
        if claimed is not None:
            won.append(Due(claimed, certificate, days_left(certificate, now), skipped))
    return won


def _claim_one(
    certificate: Certificate,
    threshold: int,
    existing: ExpiryNotice | None,
    now: dt.datetime,
    run: str,
) -> ExpiryNotice | None:
    """The notice, claimed by this run; None when it was sent already or another run holds
    it. The claim is committed before any mail is sent."""
    if existing is not None and existing.state in (NoticeState.SENT, NoticeState.SKIPPED):
        return None  # the common case, every hour until the next threshold: no query
    if existing is None:
        try:
            with transaction.atomic():
                return ExpiryNotice.objects.create(
                    certificate=certificate,
                    threshold_days=threshold,
                    state=NoticeState.CLAIMED,
                    claimed_by=run,
                    claimed_at=now,
                )
        except IntegrityError:
            # Another run inserted it first (on PostgreSQL this insert waited for that run's
            # commit): theirs to send.
            return None
    retry = Q(state=NoticeState.FAILED) | Q(
        state=NoticeState.CLAIMED, claimed_at__lt=now - STALE_CLAIM
    )
    # One UPDATE, conditional on the state read: of two runs retrying at once, the second
    # finds the row claimed (PostgreSQL re-checks the condition after the first commits).
    won = (
        ExpiryNotice.objects.filter(retry, pk=existing.pk, claimed_by=existing.claimed_by)
        .filter(state=existing.state)
        .update(state=NoticeState.CLAIMED, claimed_by=run, claimed_at=now)
    )
    return ExpiryNotice.objects.get(pk=existing.pk) if won else None


def _reload(due: list[Due]) -> None:
    """The claimed certificates with what the mails need, in two queries."""
    active_with_mail = get_user_model().objects.filter(is_active=True).exclude(email="")
    certificates = Certificate.objects.filter(pk__in=[d.certificate.pk for d in due])
    loaded = {
        c.pk: c
        for c in certificates.select_related("profile", "owner", "team")
        .prefetch_related(Prefetch("team__members", queryset=active_with_mail.order_by("pk")))
        .defer("pem")
    }
    for item in due:
        item.certificate = loaded[item.certificate.pk]


# --- mailing ----------------------------------------------------------------------------------


def recipients_of(certificate: Certificate) -> list[str]:
    """Who hears of the certificate's expiry: its owner and the members of its team (active
    accounts with an address), and its contact email; each address once."""
    addresses: list[str] = []
    owner = certificate.owner
    if owner is not None and owner.is_active and owner.email:
        addresses.append(owner.email)
    if certificate.team is not None:
        addresses += [member.email for member in certificate.team.members.all()]
    if certificate.contact_email:
        addresses.append(certificate.contact_email)
    seen: set[str] = set()
    unique = []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique


def _url(name: str, *args) -> str:
    return settings.RAPORTAL_BASE_URL + reverse(name, args=list(args))


def _digest(address: str, items: list[Due], now: dt.datetime) -> EmailMessage:
    items = sorted(items, key=lambda item: (item.certificate.not_after, str(item.certificate.pk)))
    soonest = items[0].days_left
    count = len(items)
    subject = (
        f"[RA Portal] {count} certificate{'s' if count > 1 else ''} expire"
        f"{'' if count > 1 else 's'} within {soonest} day{'s' if soonest > 1 else ''}"
    )
    lines = [
        "These certificates expire soon. Renew the ones still needed before they expire;",
        "services using an expired certificate stop working.",
        "",
    ]
    for item in items:
        certificate = item.certificate
        profile = certificate.profile.name if certificate.profile else "no profile"
        left = item.days_left
        lines += [
            f"* {certificate.dn or '(no subject)'}",
            f"  serial {certificate.serial}",
            f"  expires {certificate.not_after:%Y-%m-%d %H:%M} UTC, "
            f"in {left} day{'s' if left > 1 else ''} ({item.notice.threshold_days}-day notice)",
            f"  profile {profile}",
            f"  see it: {_url('certificate-detail', certificate.pk)}",
            f"  renew it: {_url('certificate-action', certificate.pk, 'renew')}",
            "",
        ]
    lines += [
        "You receive this as the owner of these certificates, a member of their team, or "
        "their contact.",
        f"All certificates expiring soon: {_url('expiring-certificates')}",
    ]
    return EmailMessage(subject, "\n".join(lines) + "\n", settings.DEFAULT_FROM_EMAIL, [address])


def _send(connection, message: EmailMessage) -> Exception | None:
    """Sends one digest; the failure, if any (recorded on its notices, never raised: the
    other recipients still get theirs)."""
    try:
        connection.send_messages([message])
    except (smtplib.SMTPException, OSError, ValueError) as exc:  # ValueError: a bad header
        return exc
    return None


def _finish(
    item: Due,
    addresses: list[str],
    delivered: list[str],
    errors: dict[int, str],
    now: dt.datetime,
    run: str,
) -> None:
    """Records the outcome of a claimed notice, and audits it."""
    notice = item.notice
    notice.delivered_to = [*notice.delivered_to, *delivered]
    notice.attempts += 1
    error = errors.get(notice.pk, "")
    notice.state = NoticeState.FAILED if error else NoticeState.SENT
    notice.error = error
    notice.sent_at = None if error else now
    with transaction.atomic():
        # Only while this run holds the claim (a stale-claim takeover never loses a result).
        ExpiryNotice.objects.filter(pk=notice.pk, claimed_by=run).update(
            state=notice.state,
            delivered_to=notice.delivered_to,
            attempts=notice.attempts,
            error=notice.error,
            sent_at=notice.sent_at,
        )
        record(
            None,
            "certificate.expiry_notice",
            item.certificate,
            threshold=notice.threshold_days,
            daysLeft=item.days_left,
            outcome="failed" if error else "sent",
            recipients=delivered,
            allRecipients=addresses,
            skipped=item.skipped,
            attempt=notice.attempts,
            **({"error": error} if error else {}),
        )
