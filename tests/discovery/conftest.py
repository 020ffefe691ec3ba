"""What the discovery tests share: the staff account (Horizon's administrator) and the
official client pointed at a live server."""

import pytest

from tests.contract import conftest as contract
from tests.factories import UserFactory

client_for = contract.client_for


@pytest.fixture
def staff(db):
    """The administrator: a staff account named "admin"."""
    return UserFactory(username="admin", is_staff=True)
