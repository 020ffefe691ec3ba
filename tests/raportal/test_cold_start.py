"""Cold start: a gunicorn worker answers its first request within a second of being forked.

A worker used to import the URLconf on its first request, and with it the official Horizon
client's packages (about 1 400 modules, seconds of CPU): under load, new workers were killed
by the timeout before they answered. Now the admin API imports only the client's models it
uses (raportal/horizon_models.py), raportal/wsgi.py imports the URLconf when the application
loads, and gunicorn loads it once in the master (deploy/gunicorn.conf.py, ``preload_app``).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from bench.common import fresh_secrets, local_server
from profiles.models import Label
from tests.factories import UserFactory, api_key_for

# Slow (`make test-fast` leaves it out): fresh interpreters and gunicorn.
pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parents[2]
FIRST_REQUEST_BUDGET = 1.0  # seconds from the old worker's death to the new one's answer


def fresh_interpreter(code: str, **env: str) -> dict:
    """Runs ``code`` with the project's settings in a new interpreter; it prints JSON."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "raportal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


CLIENT_STATE = """
import json, sys
package = sys.modules.get("horizon")
print(json.dumps({
    "package_init_ran": package is not None and "ApiClient" in vars(package),
    "client_api_loaded": "horizon.api" in sys.modules,
    "client_modules": sum(1 for name in sys.modules if name.startswith("horizon.")),
    "views_loaded": [name for name in ("administration.api.labels", "requests_app.api.views")
                     if name in sys.modules],
}))
"""


def test_importing_the_admin_api_does_not_run_the_horizon_client_package_init():
    state = fresh_interpreter(
        "import django; django.setup(); import administration.api.urls\n" + CLIENT_STATE
    )
    assert state["package_init_ran"] is False and state["client_api_loaded"] is False, state
    assert state["client_modules"] < 100, state  # the models the admin API reads, not 1 400


def test_loading_the_wsgi_application_imports_every_view_but_not_the_whole_client():
    state = fresh_interpreter("import raportal.wsgi\n" + CLIENT_STATE)
    assert state["views_loaded"] == ["administration.api.labels", "requests_app.api.views"]
    assert state["package_init_ran"] is False and state["client_api_loaded"] is False, state


def test_loading_the_wsgi_application_closes_the_database_connections_it_opened(tmp_path):
    # Workers forked from the master must not inherit (and share) its database sockets.
    state = fresh_interpreter(
        "import json, django; django.setup()\n"
        "from django.db import connection; connection.ensure_connection()\n"
        "import raportal.wsgi\n"
        "print(json.dumps({'open': connection.connection is not None}))",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert state == {"open": False}


# --- gunicorn, for real -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, *, body: dict | None = None, headers: dict | None = None):
    """(status, body text) of a GET, or of a JSON POST when ``body`` is given."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (gunicorn's workers of its master), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if int(ppid) == pid and state != "Z":
            children.append(int(entry.name))
    return children


def wait_for_death(pid: int, deadline: float) -> None:
    """Until ``pid`` is a zombie or gone: from then on it can take no connection."""
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return
        if stat.rpartition(")")[2].split()[0] == "Z":
            return
        time.sleep(0.001)
    raise AssertionError(f"worker {pid} still alive after SIGKILL")


@pytest.mark.postgres
def test_a_new_worker_answers_its_first_request_within_a_second_of_being_forked(
    postgres_only, transactional_db, tmp_path
):
    # Committed data (transactional_db): gunicorn reads it through its own connections.
    staff = UserFactory(username="admin", is_staff=True)
    key = api_key_for(staff)
    parts = urlsplit(os.environ["DATABASE_URL"])
    port = free_port()
    (tmp_path / "static").mkdir()
    # Production settings: DEBUG off, secrets of production's length and randomness.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RAPORTAL_"))}
    env |= fresh_secrets() | {
        "DATABASE_URL": urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}")),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "RAPORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        **local_server(),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "RAPORTAL_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    log_path = tmp_path / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--config",
                "deploy/gunicorn.conf.py",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def gunicorn_output() -> str:
        return log_path.read_text(errors="replace")[-6000:]

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = call(f"{base}/healthz")
                break
            except OSError:
                assert server.poll() is None, gunicorn_output()
                assert time.monotonic() < deadline, "no answer within 60 s\n" + gunicorn_output()
                time.sleep(0.2)
        assert status == 200, gunicorn_output()
        (worker,) = children_of(server.pid)

        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()
        wait_for_death(worker, killed + 5)
        # At once: the connection waits in the listening socket's queue until the master
        # has forked a new worker and that worker takes it.
        status, body = call(
            f"{base}/api/v1/certificate/labels",
            body={"name": "cold-start", "description": [{"lang": "en", "value": "first"}]},
            headers={"X-API-ID": "admin", "X-API-KEY": key},
        )
        elapsed = time.monotonic() - killed
        print(f"\nfirst request of a new worker answered {elapsed * 1000:.0f} ms after the kill")

        assert status == 201, f"{status} {body}\n{gunicorn_output()}"
        answer = json.loads(body)
        assert answer["name"] == "cold-start", body
        assert answer["description"] == [{"lang": "en", "value": "first"}], body
        assert elapsed < FIRST_REQUEST_BUDGET, (
            f"answered {elapsed:.2f} s after the kill\n{gunicorn_output()}"
        )
        (replacement,) = children_of(server.pid)
        assert replacement != worker
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert Label.objects.filter(name="cold-start").exists()
