"""What the service tests share: the administrator, an account that is not one, and a way
to see that a write audited and bumped the configuration revision."""

import pytest

from profiles import revision
from raportal.models import AuditEvent
from tests.factories import UserFactory


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", is_staff=True)


@pytest.fixture
def user(db):
    """Signed in, not an administrator."""
    return UserFactory(username="someone")


class Watch:
    """The audit events written and whether the revision changed since it was made."""

    def __init__(self):
        self.since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.token = revision.current()

    def actions(self) -> list[str]:
        events = AuditEvent.objects.filter(pk__gt=self.since).order_by("pk")
        return list(events.values_list("action", flat=True))

    def bumped(self) -> bool:
        return revision.current() != self.token


@pytest.fixture
def watch(db):
    """``watch()``: starts watching the audit log and the configuration revision."""
    return Watch
