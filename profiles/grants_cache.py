"""An account's grants and teams kept in memory, per process, for the request hot path.

Every authenticated API call that asks the access policy (profiles/access.py) needs the
caller's grants, and a few their teams: two queries per request. Here they are read once per
account and configuration revision (profiles/revision.py: a grant, a team membership, a
team or a profile changed anywhere makes a new token, which every process reads at most once
per request), so a change made through another app server is seen by this one on its next
request. Nothing time-based: permissions are never older than the revision.

Entries are immutable tuples: no request can change what another reads.
"""

from dataclasses import dataclass
from typing import Any

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


def load(user_id: int) -> Held:
    rows = (
        Grant.objects.for_user(user_id)
        .order_by("profile__name", "workflow", "pk")
        .values_list("pk", "profile_id", "profile__name", "profile__module", "workflow", "level")
        .distinct()
    )
    teams = Team.objects.filter(members=user_id).order_by("name").values_list("pk", "name")
    return Held(tuple(HeldGrant(*row) for row in rows), tuple(teams))


def held_by(user: Any) -> Held:
    """What the account ``user`` holds, from memory when the revision did not change."""
    user_id = getattr(user, "pk", None)
    if user_id is None:  # a principal without an account holds no grant
        return Held((), ())
    token = revision.current()
    cached = _held.get(user_id)
    if token is not None and cached is not None and cached[0] == token:
        return cached[1]
    held = load(user_id)
    if token is not None:
        if len(_held) >= MAX_ENTRIES:
            _held.clear()
        _held[user_id] = (token, held)
    return held
