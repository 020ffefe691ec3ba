"""What the admin API and page tests share: the staff account, the clients that call as it (or
as any account), and a PKI made outside the portal."""

import horizon
import pytest
from rest_framework.test import APIClient

from tests.administration.pki_material import make_pki
from tests.contract import conftest as contract
from tests.factories import UserFactory, api_key_for

client_for = contract.client_for  # the official client, pointed at a live server


@pytest.fixture
def staff(db):
    """The administrator: a staff account named "admin"."""
    return UserFactory(username="admin", is_staff=True)


# --- the DRF test client, with an account's API key ---------------------------------------


@pytest.fixture
def api_client_for():
    """``api_client_for(user)``: a DRF test client sending the account's X-API-ID and
    X-API-KEY."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_X_API_ID=user.username, HTTP_X_API_KEY=api_key_for(user))
        return client

    return make


@pytest.fixture
def staff_api(api_client_for, staff) -> APIClient:
    """The DRF test client calling as the staff account."""
    return api_client_for(staff)


# --- the official client's APIs -----------------------------------------------------------


@pytest.fixture
def cas_as(client_for):
    """``cas_as(user)``: the official client's ``CaApi`` calling as the account."""
    return lambda user: horizon.CaApi(client_for(user))


@pytest.fixture
def connectors_as(client_for):
    """``connectors_as(user)``: the official client's ``PkiConnectorApi`` calling as the
    account."""
    return lambda user: horizon.PkiConnectorApi(client_for(user))


@pytest.fixture
def labels_api(client_for, staff):
    return horizon.CertificateLabelApi(client_for(staff))


@pytest.fixture
def teams_api(client_for, staff):
    return horizon.SecurityTeamApi(client_for(staff))


@pytest.fixture
def locals_api(client_for, staff):
    return horizon.SecurityIdentityLocalApi(client_for(staff))


@pytest.fixture
def principals_api(client_for, staff):
    return horizon.SecurityPrincipalinfoApi(client_for(staff))


@pytest.fixture
def profiles_api(client_for, staff):
    return horizon.CertificateProfileApi(client_for(staff))


# --- a PKI made outside the portal ----------------------------------------------------------


@pytest.fixture
def outside_pki() -> dict:
    """ "Outside Root CA" and "Outside Issuing CA" with their keys (pki_material.make_pki)."""
    return make_pki()
