"""What the benchmarks share: the project root, throw-away PostgreSQL databases, fresh secrets.

The scripts in this directory are run as ``python bench/<name>.py``: Python then puts this
directory first on ``sys.path``, where ``queue.py`` would shadow the standard library's
``queue`` (imported by logging, concurrent.futures and psycopg). Each script therefore starts
by putting the project root there instead, before any other import.
"""

import base64
import os
import secrets
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = "127.0.0.1"
PG_USER = "postgres"


def postgres_reachable() -> bool:
    return (
        shutil.which("psql") is not None
        and subprocess.run(["pg_isready", "-h", PG_HOST, "-q"], check=False).returncode == 0
    )


def recreate_database(name: str) -> str:
    """Drops and creates the PostgreSQL database ``name``; returns its DATABASE_URL."""
    subprocess.run(["dropdb", "-h", PG_HOST, "-U", PG_USER, "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", PG_HOST, "-U", PG_USER, name], check=True)
    return database_url_of(name)


def database_url_of(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:5432/{name}"


def fresh_secrets() -> dict:
    """A random secret key and key-encryption key, as the settings want them with DEBUG off."""
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "RAPORTAL_KEK": base64.b64encode(os.urandom(32)).decode(),
    }


def local_server() -> dict:
    """What production settings must be told to serve on this machine: plain http (the base
    URL is http://127.0.0.1:…) and a cache per process (no Redis). Both are refused with DEBUG
    off unless allowed, knowingly, as here (README, "Configuration")."""
    return {"RAPORTAL_ALLOW_HTTP": "1", "RAPORTAL_ALLOW_LOCAL_CACHE": "1"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def median_run(runs: list[dict]) -> dict:
    """The median run by throughput, with the errors of every run."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[len(ordered) // 2] | {"errors": sum(r["errors"] for r in runs)}
