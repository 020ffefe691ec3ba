"""What the benchmarks share: the project root, throw-away PostgreSQL databases, fresh secrets.

The scripts in this directory are run as ``python bench/<name>.py``: Python then puts this
directory first on ``sys.path``, where ``queue.py`` would shadow the standard library's
``queue`` (imported by logging, concurrent.futures and psycopg). Each script therefore starts
by putting the project root there instead, before any other import.

The two-instance test (tests/deploy/test_two_instances.py) serves the portal the same way:
a throw-away database seeded with the demo, gunicorn processes started and stopped here.
"""

import argparse
import base64
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = "127.0.0.1"
PG_USER = "postgres"


def postgres_reachable() -> bool:
    return (
        shutil.which("psql") is not None
        and subprocess.run(["pg_isready", "-h", PG_HOST, "-q"], check=False).returncode == 0
    )


def recreate_database(name: str, server: str | None = None) -> str:
    """Drops and creates the PostgreSQL database ``name`` on ``server`` (a DATABASE_URL, whose
    own database name does not matter; by default the local one); returns its DATABASE_URL."""
    url = database_url_of(name, server)
    _administer(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
    _administer(url, "CREATE DATABASE {}", name)
    return url


def drop_database(url: str) -> None:
    """Drops the database of ``url``, closing the connections still open to it."""
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    _administer(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def database_url_of(name: str, server: str | None = None) -> str:
    if server is None:
        return f"postgres://{PG_USER}@{PG_HOST}:5432/{name}"
    return urllib.parse.urlsplit(server)._replace(path=f"/{name}").geturl()


def _administer(url: str, statement: str, name: str) -> None:
    """``statement`` naming the database ``name``, run from the server's maintenance database
    (a database cannot be dropped or created from a connection to itself)."""
    import psycopg
    from psycopg import sql

    maintenance = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL(statement).format(sql.Identifier(name)))


def fresh_secrets() -> dict:
    """A random secret key and key-encryption key, as the settings want them with DEBUG off."""
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "RAPORTAL_KEK": base64.b64encode(os.urandom(32)).decode(),
    }


def local_server() -> dict:
    """What production settings must be told to serve on this machine: plain http (the base
    URL is http://127.0.0.1:…) and a cache per process (no Redis). Both are refused with DEBUG
    off unless allowed, knowingly, as here (README, "Configuration").

    And a mailer that accepts every mail (Django's dummy backend: the notices are composed,
    as for a real MTA, and then dropped). There is no MTA on localhost:25 here: with SMTP every
    notice would fail, and a tree that retries failed notices (the outbox: up to
    RAPORTAL_OUTBOX_MAX_ATTEMPTS, in the workers' own threads) would spend its workers' CPU on
    retries and their tracebacks while it is measured (more CPU than the requests themselves
    after a pending run), where a tree that tried once would not: not what a deployment with
    a working MTA does."""
    return {
        "RAPORTAL_ALLOW_HTTP": "1",
        "RAPORTAL_ALLOW_LOCAL_CACHE": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }


def seed_demo_database(env: dict, *, samples: bool = False) -> None:
    """``migrate``, ``init_pki`` and ``seed_demo`` on the database of ``env``, in one process:
    each ``manage.py`` run would pay the seconds Django takes to start. The demo accounts' API
    keys and passwords are published (``--force``): throw-away databases only."""
    code = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "call_command('init_pki', verbosity=0)\n"
        f"call_command('seed_demo', force=True, without_samples={not samples}, verbosity=0)\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "raportal.settings"},
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_gunicorn(
    env: dict,
    port: int,
    workers: int,
    *options: str,
    log: IO | None = None,
    tree: Path | None = None,
) -> subprocess.Popen:
    """gunicorn serving this tree on 127.0.0.1:``port`` with ``workers`` sync workers, and its
    other ``options`` (``-c deploy/gunicorn.conf.py``: production's configuration, whose
    bind and worker count these override). Its output goes to ``log`` (default: inherited).
    With ``tree`` (another checkout, e.g. a baseline commit's), that tree's code only is
    served (bench/in_tree.py), with this virtualenv."""
    command = [str(Path(sys.executable).parent / "gunicorn")]
    if tree is not None:
        in_tree = Path(__file__).resolve().parent / "in_tree.py"
        command = [sys.executable, str(in_tree), str(tree), "-m", "gunicorn", "--chdir", str(tree)]
    command += [*options, "raportal.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    return subprocess.Popen(
        command,
        env=env,
        cwd=tree or ROOT,
        stdout=log,
        stderr=subprocess.STDOUT if log else None,
    )


def wait_until_healthy(base: str, server: subprocess.Popen, timeout: float = 120) -> None:
    """Returns once ``base``/healthz answers 200 (the database reachable); RuntimeError when
    the server stops or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the server at {base} stopped ({server.returncode})")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:  # refused while it starts, or 503 (urllib.error.HTTPError is one)
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server at {base} was not healthy within {timeout} s")
        time.sleep(0.2)


def stop(*servers: subprocess.Popen, timeout: float = 30) -> None:
    """Stops servers gracefully (TERM, to all of them at once: each takes seconds to wind
    down), and for good (KILL) those that linger."""
    for server in servers:
        if server.poll() is None:
            server.terminate()
    for server in servers:
        try:
            server.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=timeout)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odd_runs(text: str) -> int:
    """An ``argparse`` type: a number of measured runs, odd and at least 3, so that the median
    is one run's figure (of two runs, the "median" would be the higher or the lower)."""
    runs = int(text)
    if runs < 3 or runs % 2 == 0:
        raise argparse.ArgumentTypeError(f"an odd number of runs, at least 3 (not {runs})")
    return runs


def spread(values: list[float]) -> dict:
    """Median, min and max of an odd number of values."""
    if len(values) % 2 == 0:
        raise ValueError(f"the median of {len(values)} values is no single run's: use an odd count")
    ordered = sorted(values)
    return {"median": ordered[len(ordered) // 2], "min": ordered[0], "max": ordered[-1]}


SUMMARIZED = ("rps", "p50_ms", "p95_ms", "p99_ms")


def summarize(runs: list[dict]) -> dict:
    """Each measure's median, min and max over the runs (an odd number), and the errors of
    every run. Each measure's median is taken on its own: the median p99 need not come from
    the run with the median throughput."""
    summary: dict = {key: spread([run[key] for run in runs]) for key in SUMMARIZED}
    return summary | {"errors": sum(run["errors"] for run in runs), "runs": len(runs)}


def paired_ratios(current: list[dict], baseline: list[dict]) -> dict | None:
    """Throughput of this tree over the baseline's: the ratio of the medians, and the min and
    max of the ratios run by run (run i of each side was measured one after the other). None
    when the baseline completed no request in its median run (nothing to compare with)."""
    base = spread([b["rps"] for b in baseline])["median"]
    ratios = [c["rps"] / b["rps"] for c, b in zip(current, baseline, strict=True) if b["rps"]]
    if not base or not ratios:
        return None
    of_medians = spread([c["rps"] for c in current])["median"] / base
    return {"median": of_medians, "min": min(ratios), "max": max(ratios)}


def median_run(runs: list[dict]) -> dict:
    """The median run by throughput (of an odd number), with the errors of every run."""
    if len(runs) % 2 == 0:
        raise ValueError(f"the median of {len(runs)} runs is no single run: use an odd count")
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[len(ordered) // 2] | {"errors": sum(r["errors"] for r in runs)}
