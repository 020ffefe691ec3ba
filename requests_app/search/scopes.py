"""Which requests a search looks at (the body's ``scope``), and what the caller may do with
each result (``permissions``), computed for a whole page in two queries.

- ``self``: requests the caller or one of their teams issued (the client's definition);
- ``manage``: requests on a profile and workflow where the caller holds ``perform`` — the
  ones they may decide on — in any status, never their own;
- ``search`` (the default): every request the caller may see (``visible_to``).

Every scope is a subset of ``Request.objects.visible_to(user)``.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from profiles.access import Caller, decidable_condition
from profiles.models import Team
from raportal.callers import has_account
from requests_app.models import Request, Status


def requests_in_scope(user, scope: str | None):
    visible = Request.objects.visible_to(user)
    if scope == "self":
        in_team = Team.members.through.objects.filter(team=OuterRef("team"), user=user)
        return visible.filter(Q(requester=user) | Exists(in_team))
    if scope == "manage":
        return visible.filter(decidable_condition(user)).exclude(requester=user)
    return visible


@dataclass
class RequestPermissions:
    """The caller's rights (profiles/access.py) and teams, read once for a page of results."""

    caller: Caller | None
    team_ids: set[int]

    @classmethod
    def of_user(cls, user) -> "RequestPermissions":
        team_ids = set(user.rap_teams.values_list("pk", flat=True)) if has_account(user) else set()
        return cls(Caller.of(user), team_ids)

    def on(self, request: Request) -> dict:
        """Approve (or deny): a pending request the access policy lets the caller decide
        (someone else's, ``perform`` on its profile and workflow). Cancel: a pending request
        of the caller or their team. The services decide for real (expiry, profile changes);
        this tells a UI what to show."""
        pending = request.status == Status.PENDING
        caller = self.caller
        user_id = getattr(caller.user, "pk", None) if caller is not None else None
        own = request.requester_id is not None and request.requester_id == user_id
        return {
            "approve": pending and caller is not None and caller.may_decide(request),
            "cancel": pending and (own or request.team_id in self.team_ids),
        }
