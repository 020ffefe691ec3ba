"""The official Horizon client, pointed at a live server."""

import gc
import threading

import horizon
import pytest

from tests.factories import api_key_for


@pytest.fixture
def client_for(live_server):
    clients = []

    def make(user, key=None):
        key = key or api_key_for(user)
        cfg = horizon.Configuration(
            host=live_server.url, api_key={"apiId": user.username, "apiKey": key}
        )
        client = horizon.ApiClient(cfg)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    # The client reads bodies without handing connections back to its pool, so sockets close
    # only when their responses are collected; until then the live server's thread for each
    # one keeps a database session open, and the test database could not be dropped.
    gc.collect()
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)
