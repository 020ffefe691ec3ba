"""With a broker, ACME validation is the Celery worker's: a real worker fed through Redis
fetches the http-01 resource and moves the authorization and the order on (a record of the
task stands in for the web process's queueing, which would otherwise validate in-process)."""

import http.server
import threading

import pytest

from tests.acme.client import AcmeClient
from tests.acme.conftest import free_port
from tests.raportal import test_background

# Slow (`make test-fast` leaves it out): a real Celery worker.
pytestmark = pytest.mark.slow

# The real worker of the background-work tests, and the Redis it needs (fixtures).
worker = test_background.worker
redis_up = test_background.redis_up


@pytest.fixture
def responder():
    """An http-01 responder on loopback: token → key authorization."""
    answers: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = answers.get(self.path.rsplit("/", 1)[-1], b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], answers
    server.shutdown()


@pytest.fixture
def worker_environment(responder, monkeypatch):
    """What the worker process reads at start: where http-01 answers."""
    monkeypatch.setenv("RAPORTAL_ACME_HTTP_PORT", str(responder[0]))
    monkeypatch.setenv("RAPORTAL_ACME_RESOLVE", "*=127.0.0.1")


@pytest.mark.postgres
def test_a_real_worker_validates_an_http01_challenge_sent_through_redis(
    postgres_only, transactional_db, client, acme_demo, responder, worker_environment,
    worker, monkeypatch,
):  # fmt: skip
    queued = []
    monkeypatch.setattr("acme_server.orders.schedule_validation", lambda *a: queued.append(a))
    acme = AcmeClient(client, acme_demo.name)
    acme.register()
    created = acme.order("worker.acme.test")
    authz = acme.post(created.json()["authorizations"][0]).json()
    http01 = next(c for c in authz["challenges"] if c["type"] == "http-01")
    thumbprint = acme_demo.acme_accounts.get().thumbprint
    responder[1][http01["token"]] = f"{http01['token']}.{thumbprint}".encode()
    assert acme.post(http01["url"], {}).json()["status"] == "processing"
    assert [str(q[0]) for q in queued] == [http01["url"].rsplit("/", 1)[1]]

    assert worker.run("acme_server.tasks.validate_challenge", str(queued[0][0])) == "valid"
    assert acme.post(created.json()["authorizations"][0]).json()["status"] == "valid"
    assert acme.post(created["Location"]).json()["status"] == "ready"
