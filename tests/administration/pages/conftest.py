"""What the admin page tests share: the browser of the staff account."""

import pytest


@pytest.fixture
def signed_in(client, staff):
    """Django's test client, signed in as the staff account."""
    client.force_login(staff)
    return client
