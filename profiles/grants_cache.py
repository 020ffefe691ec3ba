"""An account's grants and teams kept in memory, per process, for the request hot path.

Every authenticated API call that asks the access policy (profiles/access.py) needs the
caller's grants, and a few their teams: two queries per request. Here they are read once per
account and configuration revision (profiles/revision.py: a grant, a team membership, a
team or a profile changed anywhere makes a new token, which every process reads at most once
per request), so a change made through another app server is seen by this one on its next
request. Nothing time-based: permissions are never older than the revision.

Entries are immutable tuples: no request can change what another reads.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from profiles import revision
from profiles.models import Grant, Team

MAX_ENTRIES = 1024


@dataclass(frozen=True)
class HeldGrant:
    grant_id: int
    profile_id: int
    profile_name: str
    module: str
    workflow: str
    level: str


@dataclass(frozen=True)
class Held:
    """One account's grants (direct or through a team; each grant once, ordered by profile
    name and workflow) and teams (ordered by name)."""

    grants: tuple[HeldGrant, ...]
    teams: tuple[tuple[int, str], ...]  # (id, name)

    @property
    def team_ids(self) -> frozenset[int]:
        return frozenset(team_id for team_id, _ in self.teams)


_held: dict[int, tuple[str, Held]] = {}


GRANT_FIELDS = ("pk", "profile_id", "profile__name", "profile__module", "workflow", "level")


def load_many(user_ids: Iterable[int]) -> dict[int, Held]:
    """What each of the accounts ``user_ids`` holds: two queries whatever their number."""
    ids = set(user_ids)
    grants: dict[int, dict[int, HeldGrant]] = {user_id: {} for user_id in ids}
    rows = (
        Grant.objects.filter(Q(user__in=ids) | Q(team__members__in=ids))
        .order_by("profile__name", "workflow", "pk")
        .values_list("user_id", "team__members", *GRANT_FIELDS)
    )
    for user_id, member_id, *fields in rows:
        for holder in (user_id, member_id):
            if holder in ids:  # each grant once per account, in the query's order
                grants[holder].setdefault(fields[0], HeldGrant(*fields))
    teams: dict[int, list[tuple[int, str]]] = {user_id: [] for user_id in ids}
    memberships = (
        Team.objects.filter(members__in=ids).order_by("name").values_list("members", "pk", "name")
    )
    for member_id, team_id, name in memberships:
        teams[member_id].append((team_id, name))
    return {
        user_id: Held(tuple(grants[user_id].values()), tuple(teams[user_id])) for user_id in ids
    }


def held_by(user: Any) -> Held:
    """What the account ``user`` holds, from memory when the revision did not change."""
    user_id = getattr(user, "pk", None)
    if user_id is None:  # a principal without an account holds no grant
        return Held((), ())
    return held_by_many([user])[user_id]


def held_by_many(users: Iterable[Any]) -> dict[int, Held]:
    """``held_by`` for several accounts (by id), those not in memory read together."""
    token = revision.current()
    found: dict[int, Held] = {}
    missing = []
    for user in users:
        user_id = getattr(user, "pk", None)
        if user_id is None:
            continue
        cached = _held.get(user_id)
        if token is not None and cached is not None and cached[0] == token:
            found[user_id] = cached[1]
        else:
            missing.append(user_id)
    if missing:
        loaded = load_many(missing)
        found.update(loaded)
        if token is not None:
            if len(_held) + len(loaded) > MAX_ENTRIES:
                _held.clear()
            _held.update((user_id, (token, held)) for user_id, held in loaded.items())
    return found
