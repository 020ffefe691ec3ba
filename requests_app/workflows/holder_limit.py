"""The profile's "max certificates per holder" policy (holderId: certificates/holder.py)."""

import datetime as dt

from django.db import connection, connections, router
from django.utils import timezone

from certificates.models import Certificate, RevocationReason
from certificates.services import revoke_certificate
from profiles.models import HolderBehavior, Profile
from raportal.callers import Principal
from raportal.errors import DomainError


class _CompiledCounts:
    """The counts' query, turned into SQL once per process (every request's answer carries
    them; the ORM's compilation of an aggregate cost more than the query). The certificates
    counted are ``Certificate.objects.valid().with_holder(...)`` as the ORM compiles it; only
    the holder, the time and the profile change from call to call."""

    HOLDER, AT = "\x00holder-id\x00", dt.datetime(1970, 1, 2, 3, 4, 5, 6789, tzinfo=dt.UTC)

    def __init__(self, using: str, *, on_profile: bool):
        connection = connections[using]
        counted = Certificate.objects.using(using).valid(self.AT).with_holder(self.HOLDER)
        where, params = counted.query.get_compiler(using).compile(counted.query.where)
        quote = connection.ops.quote_name
        table = quote(Certificate._meta.db_table)
        profile_id = f"{table}.{quote(Certificate._meta.get_field('profile').column)}"
        here = f"{profile_id} = %s" if on_profile else f"{profile_id} IS NULL"
        # Names from the model and SQL from the ORM's compiler; every value is a parameter.
        self.sql = (
            f"SELECT COUNT(*), COUNT(CASE WHEN {here} THEN 1 END) "  # noqa: S608
            f"FROM {table} WHERE {where}"
        )
        self.params = list(params)
        self.adapt = connection.ops.adapt_datetimefield_value
        self.holder_at = [i for i, p in enumerate(params) if p == self.HOLDER]
        self.now_at = [i for i, p in enumerate(params) if p == self.adapt(self.AT)]
        if len(self.holder_at) != 1 or not self.now_at:
            raise RuntimeError("the valid certificates' query names the holder once, a time")
        self.using = using

    def counts(self, holder_id: str, profile: Profile | None) -> tuple[int, int]:
        params = list(self.params)
        params[self.holder_at[0]] = holder_id
        now = self.adapt(timezone.now())
        for i in self.now_at:
            params[i] = now
        if profile is not None:  # in the SELECT list, before the WHERE clause's
            params.insert(0, profile.pk)
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            total, here = cursor.fetchone()
        return total, here


_compiled: dict[tuple[str, bool], _CompiledCounts] = {}


def holder_counts(holder_id: str, profile: Profile | None) -> tuple[int, int]:
    """(valid certificates with this holderId anywhere, … on this profile) — one query."""
    key = (router.db_for_read(Certificate), profile is not None)
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = _CompiledCounts(key[0], on_profile=key[1])
    return compiled.counts(holder_id, profile)


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
