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

from profiles.access import held_levels, is_administrator
from profiles.models import Grant, GrantLevel, Team
from requests_app.models import Request, Status


def requests_in_scope(user, scope: str | None):
    visible = Request.objects.visible_to(user)
    if scope == "self":
        in_team = Team.members.through.objects.filter(team=OuterRef("team"), user=user)
        return visible.filter(Q(requester=user) | Exists(in_team))
    if scope == "manage":
        if is_administrator(user):
            return visible.exclude(requester=user)
        performs = Grant.objects.for_user(user).filter(
            level=GrantLevel.PERFORM, profile=OuterRef("profile"), workflow=OuterRef("workflow")
        )
        return visible.filter(Exists(performs)).exclude(requester=user)
    return visible


@dataclass
class RequestPermissions:
    """The caller's grants and teams, fetched once for a page of results."""

    user_id: int
    performs: set[tuple[int, str]]  # (profile id, workflow) where the caller holds perform
    team_ids: set[int]

    @classmethod
    def of_user(cls, user) -> "RequestPermissions":
        performs = {key for key, level in held_levels(user).items() if level == GrantLevel.PERFORM}
        team_ids = set(user.rap_teams.values_list("pk", flat=True))
        return cls(user.pk, performs, team_ids)

    def on(self, request: Request) -> dict:
        """Approve (or deny): a pending request of someone else, on a profile and workflow
        where the caller holds perform. Cancel: a pending request of the caller or their team.
        The services decide for real (expiry, profile changes); this tells a UI what to show."""
        pending = request.status == Status.PENDING
        own = request.requester_id == self.user_id
        return {
            "approve": pending
            and not own
            and (request.profile_id, request.workflow) in self.performs,
            "cancel": pending and (own or request.team_id in self.team_ids),
        }
