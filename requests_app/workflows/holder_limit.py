"""The profile's "max certificates per holder" policy (holderId: certificates/holder.py)."""

from django.db import connection
from django.db.models import Count, Q

from certificates.models import Certificate, RevocationReason
from certificates.services import revoke_certificate
from profiles.models import HolderBehavior, Profile
from raportal.callers import Principal
from raportal.errors import DomainError


def holder_counts(holder_id: str, profile: Profile | None) -> tuple[int, int]:
    """(valid certificates with this holderId anywhere, … on this profile) — one query."""
    counts = (
        Certificate.objects.valid()
        .with_holder(holder_id)
        .aggregate(total=Count("pk"), here=Count("pk", filter=Q(profile=profile)))
    )
    return counts["total"], counts["here"]


def _over_limit_error(profile: Profile, count: int) -> DomainError:
    return DomainError(
        "WEBRA-ENROLL-012",
        f"this holder (same subject and SANs) already has {count} valid certificate(s) on "
        f"profile {profile.name}, which allows {profile.max_per_holder}; revoke one first",
    )


def reject_if_over_limit(profile: Profile, holder_id: str) -> None:
    """Early answer at submission; the binding check is enforce_holder_limit at issuance."""
    if profile.max_per_holder is None or profile.max_per_holder_behavior != HolderBehavior.REJECT:
        return
    count = Certificate.objects.valid().with_holder(holder_id).filter(profile=profile).count()
    if count >= profile.max_per_holder:
        raise _over_limit_error(profile, count)


def enforce_holder_limit(
    profile: Profile,
    holder_id: str,
    actor: Principal,
    *,
    replacing: Certificate | None = None,
) -> None:
    """Makes room for one more certificate of this holder, or refuses. Must run inside the
    issuing transaction. ``replacing`` (a renewal's old certificate) counts once."""
    if profile.max_per_holder is None:
        return
    _lock_holder(holder_id)
    others = Certificate.objects.valid().with_holder(holder_id).filter(profile=profile)
    if replacing is not None:
        others = others.exclude(pk=replacing.pk)
    existing = list(others.order_by("not_before", "created_at").select_for_update())
    excess = len(existing) + 1 - profile.max_per_holder
    if excess <= 0:
        return
    if profile.max_per_holder_behavior == HolderBehavior.REJECT:
        raise _over_limit_error(profile, len(existing))
    for old in existing[:excess]:
        revoke_certificate(old, RevocationReason.SUPERSEDED, actor)


def _lock_holder(holder_id: str) -> None:
    # Two concurrent issuances for one holder would both see room for themselves; a
    # transaction-scoped advisory lock serializes them (PostgreSQL). SQLite serializes
    # writers on its own.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(holder_id[:15], 16)])
