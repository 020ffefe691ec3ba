"""Calls to the admin API and what the tests read from their answers."""

import json

import horizon
import pytest
from horizon.exceptions import ApiException
from rest_framework.test import APIClient

from tests.administration.pki_material import key_pem, pem

PROBLEM = "application/problem+json"
IGNORED = "X-RAPortal-Ignored-Fields"
SELF = "/api/v1/security/principals/self"


def send(client: APIClient, method: str, path: str, body=None):
    """``method`` on ``path``: a GET without body, other methods with ``body`` as JSON."""
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body, format="json")


def whoami(api_id: str, key: str):
    """``principals/self`` called with this X-API-ID and X-API-KEY."""
    return APIClient().get(SELF, HTTP_X_API_ID=api_id, HTTP_X_API_KEY=key)


def problem(error: ApiException) -> dict:
    """The problem document the official client raised with."""
    return json.loads(error.body)


def code_of(error: ApiException) -> tuple[int, str]:
    """The status and the problem's code the official client raised with."""
    return error.status, problem(error)["error"]


def failure(call, *args) -> ApiException:
    """What the official client raises on ``call(*args)``."""
    with pytest.raises(ApiException) as caught:
        call(*args)
    return caught.value


def integrated_connector(name="outside-issuing", certificate=None, key=None, **fields):
    """An integrated PKI connector (the official client's shape) for ``certificate`` and
    ``key``; ``fields`` are the connector's other settings (``crt_lifetime``…)."""
    fields.setdefault("crypto_type", "legacy")
    return horizon.PKIConnectors(
        horizon.IntegratedCAConnector(
            name=name,
            type="integrated",
            ca_cert=pem(certificate) if certificate is not None else None,
            ca_key=horizon.SecretString(value=key_pem(key)) if key is not None else None,
            **fields,
        )
    )
