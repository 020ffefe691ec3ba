"""The access policy: who may do which workflow on a profile, a certificate or a request.

Every service check, page, button, menu entry, profile list and ``permissions`` field of the
API asks here; nothing else decides. The answer is a *level*: ``None`` (may not), ``request``
(a submission is accepted and waits for an approver) or ``perform`` (it executes at once, and
the holder may decide on others' pending requests of that profile and workflow).

**On a profile** (enroll, import, and the profile side of every workflow) the level is the
highest of:

- the account's grants on the profile and workflow, direct or through one of its teams;
- the level the profile opens to every signed-in account (``Profile.authenticated_levels``,
  Horizon's ``authenticated`` authorization level);
- ``perform`` everywhere for Horizon's administrator role, an active staff account here.

A caller without an account (one authenticated by proof of possession alone) holds nothing on
a profile. Certificates on no profile may be imported by superusers only.

**On an existing certificate** (revoke, update, renew, recover, migrate) the level on its
profile is not enough (security review 4.1: a ``request`` holder renewing someone else's
certificate with their own CSR, which bound the owner's subject to the other party's key):

- ``perform`` with ``perform`` on the profile, with the profile's self permission for the
  workflow when the caller owns the certificate (``self_revoke``…), or with its proof-of-
  possession permission when the caller proved possession of the certificate's key
  (``self_pop_revoke``…, certificates/pop.py);
- ``request`` with ``request`` on the profile, for the certificate's owner or a member of its
  team only — whatever the key source;
- ``None`` otherwise.

**An ACME account** (acme_server/principal.py sets ``acme_binding`` on the caller) acts on its
own profile only, and enrolls only: an account bound to a user (through the EAB key it
was created with) is that user, with the user's rights above; one bound to a team holds the
team's grants there; one bound to nobody holds the profile's ``acme_unbound_level``. On a
certificate, revoke is ``perform`` for the ACME caller RFC 8555 §7.6 authorizes — the account
that ordered it or one that signed with its key — which acme_server/revocation.py proves and sets as
the binding's ``revocable_certificate``.

A migration needs both: that level on the certificate (its source profile) and a level on
the target profile; it holds the weaker of the two.

**On a request**: deciding (approve, deny) needs ``perform`` on the request's profile and
workflow — and on the source profile of a migration — from grants, open levels or the
administrator role; self and proof-of-possession permissions act on one's own certificate and
never decide someone else's request. Nobody decides their own request.

**Seeing** a certificate (``certificate_visibility``): its owner, its team's members, any
account with a grant on its profile, the administrators. A profile opened to every account
does not open its certificates to every account (Horizon's ``search`` level stays
``authorized``: administration/profile_shapes.py); the certificate answers above assume the
caller may see (name) the certificate, which the services and pages check first.

The module depends on ``profiles`` only (``certificates`` and ``requests_app`` sit above it):
certificates and requests are read through their attributes (``CertificateLike``,
``RequestLike``), and the proof of possession through the ``pop_proof`` attribute that
certificates/pop.py sets on the caller. ``Caller`` reads an account's rights once for a list
(one query for profiles; grants and teams from profiles/grants_cache.py, read again only
when the configuration revision changed); the one-object
functions are ``Caller`` on one object.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import Exists, OuterRef, Q, QuerySet

from profiles import grants_cache
from profiles.models import (
    LEVEL_RANK,
    Grant,
    GrantLevel,
    Profile,
    Team,
    Workflow,
)
from raportal.callers import has_account, is_administrator

__all__ = [
    "ON_CERTIFICATE",
    "PROOF_ATTRIBUTE",
    "RIGHTS_FIELDS",
    "Caller",
    "CertificateLike",
    "Level",
    "RequestLike",
    "certificate_level",
    "certificate_visibility",
    "decidable_condition",
    "granted_profiles",
    "is_administrator",
    "may_decide",
    "perform_holders",
    "profile_level",
    "proven_certificate_id",
    "request_level",
    "weaker",
]

Level = str | None  # a GrantLevel value, or None: may not

# Workflows that act on an existing certificate, and those a profile lets the owner (self) or
# a proof of possession (self PoP) do on it.
ON_CERTIFICATE = frozenset(
    {Workflow.REVOKE, Workflow.UPDATE, Workflow.RENEW, Workflow.RECOVER, Workflow.MIGRATE}
)
SELF_WORKFLOWS = frozenset({Workflow.REVOKE, Workflow.UPDATE, Workflow.RENEW, Workflow.RECOVER})
POP_WORKFLOWS = frozenset({Workflow.REVOKE, Workflow.UPDATE, Workflow.RENEW})
# The migrate request's template names its source profile (requests_app/workflows/migrate.py).
MIGRATION_SOURCE = "sourceProfileId"
PROOF_ATTRIBUTE = "pop_proof"  # set on the caller by certificates/pop.py
ACME_ATTRIBUTE = "acme_binding"  # set on the caller by acme_server/principal.py

RIGHTS_FIELDS = (
    "pk",
    "authenticated_levels",
    "acme_unbound_level",
    *(f"self_{workflow}" for workflow in sorted(SELF_WORKFLOWS)),
    *(f"self_pop_{workflow}" for workflow in sorted(POP_WORKFLOWS)),
)


class CertificateLike(Protocol):
    """What the policy reads of a certificate (certificates.models.Certificate)."""

    pk: Any
    owner_id: Any
    team_id: Any
    profile_id: Any


class RequestLike(Protocol):
    """What the policy reads of a request (requests_app.models.Request)."""

    requester_id: Any
    profile_id: Any
    workflow: str
    template: Any


def weaker(*levels: Level) -> Level:
    """The lowest of ``levels`` (None if any is None): what a request needing all holds."""
    if any(level is None for level in levels):
        return None
    return min(levels, key=lambda level: LEVEL_RANK[level])  # type: ignore[index]


def _stronger(one: Level, other: Level) -> Level:
    if one is None:
        return other
    if other is None:
        return one
    return one if LEVEL_RANK[one] >= LEVEL_RANK[other] else other  # type: ignore[index]


def proven_certificate_id(user: Any) -> Any:
    """The primary key of the certificate whose key the caller proved to hold with this call
    (certificates/pop.py sets the proof on the caller), None without a proof."""
    proof = getattr(user, PROOF_ATTRIBUTE, None)
    certificate = getattr(proof, "certificate", None)
    if certificate is None:  # an ACME revokeCert that RFC 8555 §7.6 authorized
        return getattr(getattr(user, ACME_ATTRIBUTE, None), "revocable_certificate", None)
    return getattr(certificate, "pk", None)


@dataclass(frozen=True)
class ProfileRights:
    """What a profile says about who may act, beside grants: its open levels, its self and
    proof-of-possession permissions."""

    pk: int
    open_levels: dict[str, str]
    self_permissions: frozenset[str]
    pop_permissions: frozenset[str]
    acme_unbound_level: str = ""

    @classmethod
    def of(cls, profile: Profile) -> "ProfileRights":
        return cls.from_values(
            {name: getattr(profile, name) for name in RIGHTS_FIELDS if name != "pk"}
            | {"pk": profile.pk}
        )

    @classmethod
    def from_values(cls, row: dict[str, Any]) -> "ProfileRights":
        levels = row.get("authenticated_levels") or {}
        return cls(
            pk=row["pk"],
            open_levels={w: lv for w, lv in levels.items() if lv in LEVEL_RANK},
            self_permissions=frozenset(w for w in SELF_WORKFLOWS if row.get(f"self_{w}")),
            pop_permissions=frozenset(w for w in POP_WORKFLOWS if row.get(f"self_pop_{w}")),
            acme_unbound_level=row.get("acme_unbound_level") or "",
        )


@dataclass
class Caller:
    """One caller's rights, read once, for the profiles given (or every profile): answers for
    any number of profiles, certificates and requests on them without further queries, but
    one for the caller's teams the first time a certificate's team matters."""

    user: Any
    administrator: bool
    account: bool
    rights: dict[int, ProfileRights]
    granted: dict[tuple[int, str], str]  # (profile id, workflow) → the highest grant
    proven: Any = None
    _team_ids: frozenset[int] | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls, user: Any, profiles: "Iterable[Profile | int] | QuerySet[Profile] | None" = None
    ) -> "Caller":
        """The caller's rights on ``profiles``: Profile objects (no query to read them), ids or
        a queryset (one query), every profile when None. Plus the caller's grants on them
        (none for an administrator or a caller without an account), from the grants cache:
        the configuration revision's query, once per request, unless they changed."""
        return cls.with_rights(user, _rights_of(profiles))

    @classmethod
    def with_rights(cls, user: Any, rights: dict[int, ProfileRights]) -> "Caller":
        """The caller's rights on the profiles whose ``rights`` were read (``_rights_of``)."""
        administrator = is_administrator(user)
        account = has_account(user) and bool(getattr(user, "is_authenticated", False))
        granted: dict[tuple[int, str], str] = {}
        if account and not administrator and rights:
            for grant in grants_cache.held_by(user).grants:
                if grant.profile_id in rights:
                    key = (grant.profile_id, grant.workflow)
                    granted[key] = _stronger(granted.get(key), grant.level) or grant.level
        return cls(user, administrator, account, rights, granted, proven_certificate_id(user))

    # -- profiles ---------------------------------------------------------------------------

    def on_profile(self, profile_id: int | None, workflow: str) -> Level:
        """The level on a profile and workflow (grants, open levels, administrator)."""
        if profile_id is None:  # certificates on no profile are the administrators' care
            superuser = bool(getattr(self.user, "is_superuser", False)) and self.account
            return GrantLevel.PERFORM if workflow == Workflow.IMPORT and superuser else None
        acme = getattr(self.user, ACME_ATTRIBUTE, None)
        if acme is not None and (workflow != Workflow.ENROLL or acme.profile_id != profile_id):
            return None  # an ACME account enrolls on its own profile, nothing else
        if self.administrator:
            return GrantLevel.PERFORM
        if not self.account:
            return self._acme_level(acme, profile_id, workflow)
        rights = self.rights.get(profile_id)
        opened = rights.open_levels.get(workflow) if rights else None
        return _stronger(self.granted.get((profile_id, workflow)), opened)

    def _acme_level(self, acme: Any, profile_id: int, workflow: str) -> Level:
        """An ACME account without a user: its team's grants, or the profile's level for
        accounts bound to nobody."""
        if acme is None:
            return None
        if acme.team_id is not None:
            levels = Grant.objects.filter(
                team_id=acme.team_id, profile_id=profile_id, workflow=workflow
            ).values_list("level", flat=True)
            held: Level = None
            for level in levels:
                held = _stronger(held, level)
            return held
        rights = self.rights.get(profile_id)
        return (rights.acme_unbound_level or None) if rights else None

    def profile_levels(self) -> dict[tuple[int, str], str]:
        """(profile id, workflow) → the level held, for every profile read and workflow where
        the caller holds one (profile lists, menus)."""
        out: dict[tuple[int, str], str] = {}
        for profile_id in self.rights:
            for workflow in Workflow.values:
                level = self.on_profile(profile_id, workflow)
                if level is not None:
                    out[(profile_id, workflow)] = level
        return out

    # -- certificates -----------------------------------------------------------------------

    def on_certificate(
        self, certificate: CertificateLike, workflow: str, *, target_profile_id: int | None = None
    ) -> Level:
        """The level on an existing certificate for ``workflow``: see the module's rules. For a
        migration with ``target_profile_id``, the weaker of that and the target's level.
        Enroll (on the certificate's profile, as the API's ``permissions`` says) and import
        answer for the profile."""
        profile_id = certificate.profile_id
        on_profile = self.on_profile(profile_id, workflow)
        if workflow not in ON_CERTIFICATE:
            return on_profile
        if workflow != Workflow.MIGRATE or target_profile_id is None:
            return self._certificate_level(certificate, workflow, on_profile)
        on_target = self.on_profile(target_profile_id, workflow)
        if profile_id is None:  # a certificate on no profile: the target's level decides
            return self._certificate_level(certificate, workflow, on_target)
        return weaker(self._certificate_level(certificate, workflow, on_profile), on_target)

    def _certificate_level(self, certificate: CertificateLike, workflow: str, held: Level) -> Level:
        acme = getattr(self.user, ACME_ATTRIBUTE, None)
        if acme is not None:  # RFC 8555 §7.6, proven by acme_server/revocation.py
            revocable = getattr(acme, "revocable_certificate", None)
            authorized = workflow == Workflow.REVOKE and revocable == certificate.pk
            return GrantLevel.PERFORM if authorized and revocable is not None else None
        if held == GrantLevel.PERFORM:
            return held
        owner = self.account and certificate.owner_id == getattr(self.user, "pk", None)
        rights = self.rights.get(certificate.profile_id)
        if rights is not None and owner and workflow in rights.self_permissions:
            return GrantLevel.PERFORM
        proven = self.proven is not None and self.proven == certificate.pk
        if rights is not None and proven and workflow in rights.pop_permissions:
            return GrantLevel.PERFORM
        if held == GrantLevel.REQUEST and (owner or self._in_team(certificate.team_id)):
            return held
        return None

    def _in_team(self, team_id: int | None) -> bool:
        if team_id is None or not self.account:
            return False
        if self._team_ids is None:
            self._team_ids = grants_cache.held_by(self.user).team_ids
        return team_id in self._team_ids

    def certificate_levels(self, certificate: CertificateLike) -> dict[str, Level]:
        """Every lifecycle workflow's level on a certificate (the API's ``permissions``, the
        certificate page's buttons); enroll answers for its profile."""
        return {
            workflow: self.on_certificate(certificate, workflow)
            for workflow in Workflow.values
            if workflow != Workflow.IMPORT
        }

    # -- requests ---------------------------------------------------------------------------

    def on_request(self, request: RequestLike) -> Level:
        """The level that decides on a request: on its profile and workflow, and on the source
        profile of a migration (profile levels only: see the module's rules)."""
        level = self.on_profile(request.profile_id, request.workflow)
        if request.workflow == Workflow.MIGRATE:
            source = (request.template or {}).get(MIGRATION_SOURCE)
            if source is not None:
                level = weaker(level, self.on_profile(int(source), request.workflow))
        return level

    def approves_anything(self) -> bool:
        """Whether the caller may decide some request on the profiles read: ``perform`` on
        one of their workflows. The approvers' menu entry and pages are offered on this
        answer (requests_app/navigation.py); the others get 404 there."""
        return any(level == GrantLevel.PERFORM for level in self.profile_levels().values())

    def may_decide(self, request: RequestLike) -> bool:
        """Approve or deny: ``perform`` there, and never one's own request."""
        own = request.requester_id is not None and request.requester_id == getattr(
            self.user, "pk", None
        )
        return not own and self.on_request(request) == GrantLevel.PERFORM


def _rights_of(
    profiles: "Iterable[Profile | int] | QuerySet[Profile] | None",
) -> dict[int, ProfileRights]:
    if profiles is None:
        profiles = Profile.objects.all()
    if isinstance(profiles, QuerySet):
        rows = profiles.values(*RIGHTS_FIELDS)
        return {row["pk"]: ProfileRights.from_values(row) for row in rows}
    rights: dict[int, ProfileRights] = {}
    ids = []
    for item in profiles:
        if isinstance(item, Profile):
            rights[item.pk] = ProfileRights.of(item)
        elif item is not None:
            ids.append(item)
    if ids:
        rights |= _rights_of(Profile.objects.filter(pk__in=ids))
    return rights


# --- one object ------------------------------------------------------------------------------


def profile_level(user: Any, profile: Profile | None, workflow: str) -> Level:
    """The caller's level on ``profile`` for ``workflow`` (one query: their grants there)."""
    return Caller.of(user, [profile] if profile is not None else []).on_profile(
        profile.pk if profile is not None else None, workflow
    )


def certificate_level(
    user: Any,
    certificate: CertificateLike,
    workflow: str,
    *,
    profile: Profile | None = None,
    target: Profile | None = None,
) -> Level:
    """The caller's level on an existing certificate for ``workflow`` (and on the target
    profile of a migration). ``profile`` is the certificate's profile when already loaded."""
    profile = profile if profile is not None else getattr(certificate, "profile", None)
    profiles = [p for p in (profile, target) if p is not None]
    caller = Caller.of(user, profiles or [certificate.profile_id])
    return caller.on_certificate(
        certificate, workflow, target_profile_id=target.pk if target is not None else None
    )


def _request_profiles(request: RequestLike) -> list[int]:
    ids = [request.profile_id]
    if request.workflow == Workflow.MIGRATE:
        ids.append((request.template or {}).get(MIGRATION_SOURCE))
    return [pk for pk in ids if pk is not None]


def request_level(user: Any, request: RequestLike) -> Level:
    """The caller's level that decides on ``request`` (see ``Caller.on_request``)."""
    return Caller.of(user, _request_profiles(request)).on_request(request)


def may_decide(user: Any, request: RequestLike) -> bool:
    """Whether the caller may approve or deny ``request`` (not their own; ``perform``)."""
    return Caller.of(user, _request_profiles(request)).may_decide(request)


def deciders(users: Iterable[Any], request: RequestLike) -> list[Any]:
    """Of ``users``, those who may approve or deny ``request`` (``may_decide``): the request's
    profiles read once (one query), the accounts' grants from the grants cache, those not in
    it read together (two queries)."""
    users = list(users)
    rights = _rights_of(_request_profiles(request))
    grants_cache.held_by_many(users)
    return [user for user in users if Caller.with_rights(user, rights).may_decide(request)]


# --- querysets (bulk, as subqueries) ---------------------------------------------------------


def granted_profiles(
    user: Any, workflow: str | None = None, level: str | None = None
) -> "QuerySet[Profile]":
    """The profiles on which ``user`` holds ``workflow`` (any workflow when None) at ``level``
    or above (any level when None), by grant, open level or the administrator role: a Profile
    queryset, usable as a subquery."""
    if not has_account(user) or not getattr(user, "is_authenticated", False):
        return Profile.objects.none()
    if is_administrator(user):
        return Profile.objects.all()
    return Profile.objects.filter(
        Q(pk__in=_grants(user, workflow, level).values("profile")) | _opened(workflow, level)
    )


def _grants(user: Any, workflow: str | None, level: str | None) -> "QuerySet[Grant]":
    grants = Grant.objects.for_user(user)
    if workflow:
        grants = grants.filter(workflow=workflow)
    if level == GrantLevel.PERFORM:
        grants = grants.filter(level=GrantLevel.PERFORM)
    return grants


def _opened(workflow: str | None, level: str | None, prefix: str = "") -> Q:
    """Profiles whose open level for ``workflow`` (any when None) is ``level`` or above."""
    levels = [GrantLevel.PERFORM] if level == GrantLevel.PERFORM else GrantLevel.values
    condition = Q()
    for candidate in [workflow] if workflow else Workflow.values:
        for held in levels:
            condition |= Q(**{f"{prefix}authenticated_levels__{candidate}": held})
    return condition


def decidable_condition(user: Any) -> Q:
    """A filter on requests (fields ``profile``, ``workflow``) whose profile and workflow the
    caller may decide on — ``perform`` by grant, open level or role — for the request
    querysets (requests_app/models.py). Not the migration's source profile nor one's own
    requests: the querysets add those. Q() (everything) for an administrator."""
    if not has_account(user):
        return Q(pk__in=[])
    if is_administrator(user):
        return Q()
    performs = _grants(user, None, GrantLevel.PERFORM).filter(
        profile=OuterRef("profile"), workflow=OuterRef("workflow")
    )
    condition = Q(Exists(performs))
    for workflow in Workflow.values:
        opened = Profile.objects.filter(_opened(workflow, GrantLevel.PERFORM)).values("pk")
        condition |= Q(workflow=workflow, profile__in=opened)
    return condition


def certificate_visibility(user: Any) -> Q:
    """A filter on certificates (fields ``owner``, ``team``, ``profile``) they may see: their
    own, their teams', those of profiles where they hold any grant; Q() (everything) for an
    administrator. Subqueries, not joins: no duplicates, lockable."""
    if not has_account(user):
        return Q(pk__in=[])
    if is_administrator(user):
        return Q()
    in_team = Team.members.through.objects.filter(team=OuterRef("team"), user=user)
    granted = Grant.objects.for_user(user).filter(profile=OuterRef("profile"))
    return Q(owner=user) | Exists(in_team) | Exists(granted)


def perform_holders(profile: Profile, workflow: str) -> Q:
    """A filter on accounts (the user model) holding ``perform`` on ``profile`` and
    ``workflow`` one by one: by a grant, direct or through a team, or as administrators —
    whom to show or mail as the request's possible approvers. A level the profile opens to
    every account is not enumerated (it would name, and mail, everyone)."""
    grant = {"profile": profile.pk, "workflow": workflow, "level": GrantLevel.PERFORM}
    direct = Q(**{f"rap_grants__{key}": value for key, value in grant.items()})
    through_team = Q(**{f"rap_teams__grants__{key}": value for key, value in grant.items()})
    return direct | through_team | Q(is_staff=True)
