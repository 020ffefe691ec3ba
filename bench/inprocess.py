"""Server time of the API's hot paths, in-process, each as a multiple of ``GET /healthz``.

    make bench-inprocess                 # database raportal_inprocess, recreated
    .venv/bin/python bench/inprocess.py --requests 300 --profile submit-completed

No HTTP server and no client threads: Django's test ``Client`` calls the WSGI handler in this
process, so what is measured is the portal's own work (middleware, authentication, views,
queries, commits) with nothing of gunicorn's or the network's. Production settings (DEBUG off,
JSON logs, a real cache: Django's local-memory cache unless ``RAPORTAL_CACHE_URL`` names a
Redis), PostgreSQL (a throw-away database, fsync as the server has it), ``migrate`` +
``init_pki`` + ``seed_demo --without-samples``. Each path is warmed up, then timed
``--requests`` times: median, min and p90 in milliseconds, the median's ratio to ``/healthz``
(the floor: the middleware stack's outer layers and ``SELECT 1``), the median CPU time of the
requesting thread with its ratio (steadier on a busy machine, where wall times wait for a core;
PostgreSQL's own work is not in it) and the SQL statements of one more request. Compare
ratios, not milliseconds: the machine is shared. The portal's log lines (JSON on stdout, as in
production: their cost counts) come before the table.

Paths:
  healthz           GET /healthz (middleware short-circuit)
  cas               GET /api/v1/cas (API key)
  principals-self   GET /api/v1/security/principals/self (API key)
  submit-completed  submit, EC P-256 CSR, by the admin's API key on webra-demo (decentralized
                    enroll): the certificate is issued in the request
  submit-pending    submit by the requester's API key: stored pending. The approvers'
                    notification is queued in the outbox (raportal/outbox.py) and sent after
                    the answer by this process's outbox thread (no broker here unless
                    CELERY_BROKER_URL is given): its work competes for the interpreter, so it
                    shows in the wall times, not in the requesting thread's CPU time.
"""

import sys
from pathlib import Path

# The project root instead of bench/ first on sys.path: bench/queue.py would shadow the
# standard library's queue module (see bench/common.py).
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import io
import json
import os
import statistics
import time

from bench.common import ROOT, fresh_secrets, local_server, postgres_reachable, recreate_database

PATHS = ("healthz", "cas", "principals-self", "submit-completed", "submit-pending")


def configure(database: str) -> None:
    os.environ.update(
        {
            "DATABASE_URL": database,
            **fresh_secrets(),
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
            "RAPORTAL_BASE_URL": "http://testserver",
            **local_server(),
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", ""),
        }
    )
    os.environ.pop("DJANGO_DEBUG", None)
    if not os.environ.get("RAPORTAL_CACHE_URL", "").strip():
        os.environ["RAPORTAL_CACHE_URL"] = "locmem://"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raportal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare() -> None:
    from django.core.management import call_command

    quiet = io.StringIO()
    call_command("migrate", verbosity=0, stdout=quiet)
    call_command("init_pki", stdout=quiet)
    call_command("seed_demo", force=True, without_samples=True, stdout=quiet)


def make_csr(i: int) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, f"inprocess-{i}.example")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return csr.public_bytes(Encoding.PEM).decode()


def callers(count: int) -> dict:
    """For each path, a function of the request's number that makes the call and checks it."""
    from django.test import Client

    admin = Client(HTTP_X_API_ID="admin", HTTP_X_API_KEY="admin-key")
    requester = Client(HTTP_X_API_ID="requester", HTTP_X_API_KEY="requester-key")
    anonymous = Client()
    csrs = [make_csr(i) for i in range(count)]

    def check(response, status, expect=None):
        if response.status_code != status:
            raise SystemExit(f"{response.status_code}: {response.content[:500]!r}")
        if expect:
            body = response.json()
            if not expect(body):
                raise SystemExit(f"unexpected answer: {json.dumps(body)[:500]}")

    def submit(client, i, status):
        body = {
            "profile": "webra-demo",
            "module": "webra",
            "workflow": "enroll",
            "template": {"csr": csrs[i % len(csrs)]},
        }
        response = client.post(
            "/api/v1/requests/submit", json.dumps(body), content_type="application/json"
        )
        check(response, 201, lambda b: b.get("status") == status)

    return {
        "healthz": lambda i: check(anonymous.get("/healthz"), 200),
        "cas": lambda i: check(admin.get("/api/v1/cas"), 200),
        "principals-self": lambda i: check(admin.get("/api/v1/security/principals/self"), 200),
        "submit-completed": lambda i: submit(admin, i, "completed"),
        "submit-pending": lambda i: submit(requester, i, "pending"),
    }


def timed(call, start: int, count: int, profiler=None) -> tuple[list[float], list[float]]:
    """Each call's wall time and the CPU time of this thread (the request's), in ms: the CPU
    time leaves out the waits for a shared machine's cores, PostgreSQL's own work and the
    outbox thread's (the mail sent after the answer)."""
    wall, cpu = [], []
    for i in range(start, start + count):
        if profiler:
            profiler.enable()
        began, began_cpu = time.perf_counter(), time.thread_time()
        call(i)
        cpu.append((time.thread_time() - began_cpu) * 1000)
        wall.append((time.perf_counter() - began) * 1000)
        if profiler:
            profiler.disable()
    return wall, cpu


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per path")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per path first")
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--database", default="raportal_inprocess", help="dropped and recreated")
    parser.add_argument("--profile", choices=PATHS, help="print a cProfile of this path")
    parser.add_argument("--sql", choices=PATHS, help="print the SQL of one request of this path")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if not postgres_reachable():
        raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres)")
    configure(recreate_database(args.database))
    prepare()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
    paths = [p for p in args.paths.split(",") if p]
    calls = callers(args.warmup + args.requests + 1)
    results, sql, profiler = {}, {}, None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    for name in paths:
        timed(calls[name], 0, args.warmup)
        samples, cpu = timed(
            calls[name],
            args.warmup,
            args.requests,
            profiler if name == args.profile else None,
        )
        with CaptureQueriesContext(connection) as queries:
            calls[name](args.warmup + args.requests)
        sql[name] = queries.captured_queries
        results[name] = {
            "queries": len(queries.captured_queries),
            "median_ms": statistics.median(samples),
            "min_ms": min(samples),
            "p90_ms": percentile(samples, 0.90),
            "cpu_ms": statistics.median(cpu),
        }
    from django.conf import settings

    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"\nIn-process (Django test Client), PostgreSQL (fsync {fsync}), cache {cache}, "
        f"background work {settings.RAPORTAL_OUTBOX_DELIVERY} (outbox), "
        f"Python {sys.version.split()[0]}; {args.requests} timed requests per path after "
        f"{args.warmup} untimed\n"
    )
    floor = results.get("healthz", {}).get("median_ms")
    cpu_floor = results.get("healthz", {}).get("cpu_ms")
    print("| path | median ms | min ms | p90 ms | vs healthz | cpu ms | cpu vs healthz | queries |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        ratio = f"{r['median_ms'] / floor:.1f}x" if floor else "—"
        cpu_ratio = f"{r['cpu_ms'] / cpu_floor:.1f}x" if cpu_floor else "—"
        print(
            f"| {name} | {r['median_ms']:.2f} | {r['min_ms']:.2f} | {r['p90_ms']:.2f} | {ratio} | "
            f"{r['cpu_ms']:.2f} | {cpu_ratio} | {r['queries']} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    if args.sql:
        print(f"\nSQL of one {args.sql} request:\n")
        for query in sql[args.sql]:
            print(f"- {query['sql'][:300]}")
    if profiler:
        import pstats

        print(f"\ncProfile of {args.profile}, {args.requests} requests:\n")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(120)


if __name__ == "__main__":
    main()
