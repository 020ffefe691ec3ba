"""What the benchmarks share: the project root, throw-away PostgreSQL databases, fresh secrets.

The scripts in this directory are run as ``python bench/<name>.py``: Python then puts this
directory first on ``sys.path``, where ``queue.py`` would shadow the standard library's
``queue`` (imported by logging, concurrent.futures and psycopg). Each script therefore starts
by putting the project root there instead, before any other import.
"""

import argparse
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
