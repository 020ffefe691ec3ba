"""ACME issuance under gunicorn, on a throw-away database: complete orders per second.

    make bench-acme     # PostgreSQL if reachable (database raportal_bench_acme), else SQLite
    .venv/bin/python bench/acme.py --orders 40 --runs 3 --concurrency 1,4

Each client thread is one ACME account (certbot's own protocol library, ``acme``) on the demo
profile ``acme-demo``; an order is the whole RFC 8555 flow for one name: newOrder, the
authorization, the http-01 answer served by this script's responder on loopback, the
portal's background validation, finalize with a fresh P-256 CSR, the certificate download.
Polling waits 20 ms between looks (certbot's own client waits a second). The floor is
``GET directory`` at the same concurrency: compare ratios, not absolute numbers (the machine
is shared and the client shares its cores).
"""

import sys
from pathlib import Path

if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import http.server
import itertools
import os
import queue
import shutil
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.common import (
    free_port,
    fresh_secrets,
    local_server,
    median_run,
    postgres_reachable,
    recreate_database,
    seed_demo_database,
    start_gunicorn,
    stop,
    wait_until_healthy,
)

POLL_SECONDS = 0.02
KEY_AUTHORIZATIONS: dict[str, bytes] = {}  # http-01 token → key authorization


class Responder(http.server.BaseHTTPRequestHandler):
    """The http-01 resources the portal fetches (RFC 8555 §8.3)."""

    def do_GET(self) -> None:
        token = self.path.rsplit("/", 1)[-1]
        body = KEY_AUTHORIZATIONS.get(token)
        self.send_response(200 if body else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args) -> None:
        pass


def new_client(directory_url: str):
    import josepy as jose
    from acme import client, messages
    from cryptography.hazmat.primitives.asymmetric import ec

    key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    network = client.ClientNetwork(key, alg=jose.ES256, user_agent="raportal-bench")
    directory = client.ClientV2.get_directory(directory_url, network)
    acme = client.ClientV2(directory, network)
    new = messages.NewRegistration.from_data(terms_of_service_agreed=True)
    registration = acme.new_account(new)
    network.account = registration
    return acme


def one_order(acme, name: str) -> None:
    from acme import challenges, crypto_util, messages
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    order = acme.new_order(crypto_util.make_csr(key_pem, [name]))
    for authorization in order.authorizations:
        challenge = next(
            c for c in authorization.body.challenges if isinstance(c.chall, challenges.HTTP01)
        )
        response, validation = challenge.response_and_validation(acme.net.key)
        KEY_AUTHORIZATIONS[challenge.chall.encode("token")] = validation.encode()
        acme.answer_challenge(challenge, response)
        while True:
            authorization, _ = acme.poll(authorization)
            if authorization.body.status == messages.STATUS_VALID:
                break
            if authorization.body.status == messages.STATUS_INVALID:
                raise RuntimeError(f"validation failed: {authorization.body}")
            time.sleep(POLL_SECONDS)
    order = acme.begin_finalization(order)
    while order.body.status != messages.STATUS_VALID:
        time.sleep(POLL_SECONDS)
        body = messages.Order.from_json(acme._post_as_get(order.uri).json())
        order = order.update(body=body)
    chain = acme._post_as_get(order.body.certificate).text
    if "BEGIN CERTIFICATE" not in chain:
        raise RuntimeError("no certificate")


def run(task, count: int, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0

    def timed(i: int) -> None:
        nonlocal errors
        start = time.perf_counter()
        try:
            task(i)
        except Exception as exc:  # counted and shown: a benchmark reports, never stops
            errors += 1
            print(f"    error: {exc}", file=sys.stderr)
            return
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(timed, range(count)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
    return {"rps": len(latencies) / elapsed, "p50_ms": p50, "errors": errors}


def measure(directory: str, clients: int, args) -> dict:
    """The floor and complete orders with ``clients`` accounts, each used by one thread at
    a time."""
    idle: queue.Queue = queue.Queue()
    for _ in range(clients):
        idle.put(new_client(directory))
    names = itertools.count()  # next() is atomic: each order its own name

    def order(i: int) -> None:
        acme = idle.get()
        try:
            one_order(acme, f"bench-{next(names)}.acme-demo.test")
        finally:
            idle.put(acme)

    def floor(i: int) -> None:
        urllib.request.urlopen(directory, timeout=10).read()

    results = {}
    for name, task, count in (
        ("floor", floor, args.orders * 10),
        ("acme-order", order, args.orders),
    ):
        runs = [run(task, count, clients) for _ in range(args.runs + 1)][1:]
        results[(name, clients)] = median_run(runs)
        print(f"  {name} x{clients}: {results[(name, clients)]}", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=40, help="complete orders per run")
    parser.add_argument("--runs", type=int, default=3, help="measured runs (after a warm-up)")
    parser.add_argument("--concurrency", default="1,4", help="client threads (accounts)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    concurrency = [int(c) for c in args.concurrency.split(",")]

    responder_port = free_port()
    responder = http.server.ThreadingHTTPServer(("127.0.0.1", responder_port), Responder)
    threading.Thread(target=responder.serve_forever, daemon=True).start()

    workdir = Path(tempfile.mkdtemp(prefix="raportal-bench-acme-"))
    port = free_port()
    database = (
        os.environ.get("DATABASE_URL")
        or (recreate_database("raportal_bench_acme") if postgres_reachable() else "")
        or f"sqlite:///{workdir / 'bench.sqlite3'}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database,
        **fresh_secrets(),
        **local_server(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "RAPORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_LOG_LEVEL": "WARNING",
        "RAPORTAL_ACME_HTTP_PORT": str(responder_port),
        "RAPORTAL_ACME_RESOLVE": "*=127.0.0.1",
        "RAPORTAL_ACME_ORDERS_PER_HOUR": "0",
        "RAPORTAL_ACME_CERTIFICATES_PER_NAME_PER_WEEK": "0",
    }
    env.pop("DJANGO_DEBUG", None)
    env.pop("CELERY_BROKER_URL", None)  # validations in each worker's own pool
    seed_demo_database(env)
    gunicorn = start_gunicorn(env, port, args.workers, "--log-level", "warning")
    base = f"http://127.0.0.1:{port}"
    directory = f"{base}/acme/acme-demo/directory"
    results = {}
    try:
        wait_until_healthy(base, gunicorn)
        for clients in concurrency:
            results |= measure(directory, clients, args)
    finally:
        stop(gunicorn)
        responder.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    engine = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    print(f"\n{engine}, gunicorn {args.workers} sync workers, {os.cpu_count()} CPUs; "
          f"median of {args.runs} runs after a warm-up\n")  # fmt: skip
    print("| scenario | clients | per s | p50 ms | errors | vs floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for (name, clients), r in results.items():
        ratio = r["rps"] / results[("floor", clients)]["rps"]
        print(
            f"| {name} | {clients} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['errors']} | "
            f"{ratio:.3f}x |"
        )


if __name__ == "__main__":
    main()
