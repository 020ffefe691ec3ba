"""Throughput and latency of the request API under gunicorn, on a throw-away database.

    make bench                      # PostgreSQL if reachable (database raportal_bench), else SQLite
    .venv/bin/python bench/submit.py --requests 300 --runs 3 --concurrency 4

Scenarios (each: several runs, the median run is reported):
  static      GET /pki/<issuing>.crt          no auth, one query: the framework's floor
  self        GET /api/v1/security/principals/self   API-key auth + grants lookup
  enroll-csr  POST submit, decentralized, caller holds perform (issues a certificate)
  enroll-p12  POST submit, centralized EC P-256 key + PKCS#12 (issues, escrows)
  pending     POST submit by a requester (stored pending, nothing issued)
The machine is shared and noisy: compare ratios between scenarios, not absolute numbers.
"""

import sys
from pathlib import Path

# The project root instead of bench/ first on sys.path: bench/queue.py would shadow the
# standard library's queue module (see bench/common.py).
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.common import ROOT, fresh_secrets, postgres_reachable, recreate_database

sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-Password-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(workdir: Path) -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if postgres_reachable():
        return recreate_database("raportal_bench")
    return f"sqlite:///{workdir / 'bench.sqlite3'}"


def make_csrs(count: int) -> list[str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    out = []
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, f"bench-{i}.example")])
        csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
        out.append(csr.public_bytes(Encoding.PEM).decode())
    return out


def call(url: str, headers: dict, body: bytes | None) -> tuple[float, int]:
    request = urllib.request.Request(url, data=body, headers=headers)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return time.perf_counter() - start, status


def run_scenario(base, name, count, concurrency, make_request) -> dict:
    latencies, statuses = [], []
    lock = threading.Lock()

    def one(i):
        path, headers, body = make_request(i)
        elapsed, status = call(base + path, headers, body)
        with lock:
            latencies.append(elapsed)
            statuses.append(status)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - start
    bad = [s for s in statuses if s >= 300]
    if bad:
        raise SystemExit(f"{name}: {len(bad)} failed requests (statuses {sorted(set(bad))})")
    latencies.sort()
    return {
        "rps": count / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="raportal-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(workdir),
        **fresh_secrets(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "RAPORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    for command in (["migrate", "-v0"], ["init_pki"], ["seed_demo", "--force"]):
        subprocess.run(manage + command, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    gunicorn = subprocess.Popen(
        [
            str(Path(python).parent / "gunicorn"),
            "raportal.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/pki/ra-portal-issuing-ca.crt", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        results = measure(base, args)
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, args, env["DATABASE_URL"])


def measure(base: str, args) -> dict:
    json_headers = {"Content-Type": "application/json"}
    approver = {**json_headers, "X-API-ID": "approver", "X-API-KEY": "approver-key"}
    requester = {**json_headers, "X-API-ID": "requester", "X-API-KEY": "requester-key"}
    total = args.requests * (args.runs + 1)
    csrs = make_csrs(total * 2)

    def enroll(csr_index, headers, template):
        body = {
            "profile": "webra-demo",
            "module": "webra",
            "workflow": "enroll",
            "template": template,
        }
        if "keyType" in template:
            body["password"] = {"value": PASSWORD}
        return "/api/v1/requests/submit", headers, json.dumps(body).encode()

    scenarios = {
        "static": lambda i: ("/pki/ra-portal-issuing-ca.crt", {}, None),
        "self": lambda i: ("/api/v1/security/principals/self", approver, None),
        "enroll-csr": lambda i: enroll(i, approver, {"csr": csrs[i]}),
        "enroll-p12": lambda i: enroll(
            i,
            approver,
            {"keyType": "ec-secp256r1", "subject": [{"element": "cn.1", "value": f"p12-{i}"}]},
        ),
        "pending": lambda i: enroll(i, requester, {"csr": csrs[total + i]}),
    }
    results = {}
    for name, make in scenarios.items():
        offset = iter(range(0, total, args.requests))
        runs = []
        for run in range(args.runs + 1):  # the first run warms up and is dropped
            start = next(offset)
            outcome = run_scenario(
                base, name, args.requests, args.concurrency, lambda i, s=start, m=make: m(s + i)
            )
            if run:
                runs.append(outcome)
        runs.sort(key=lambda r: r["rps"])
        results[name] = runs[len(runs) // 2]
    return results


def report(results: dict, args, database: str) -> None:
    floor = results["static"]["rps"]
    engine = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    print(
        f"\n{engine}, gunicorn -w {args.workers}, {args.concurrency} clients, "
        f"{args.requests} requests x {args.runs} runs (median run)\n"
    )
    print(f"{'scenario':<12} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'vs static':>10}")
    for name, r in results.items():
        print(
            f"{name:<12} {r['rps']:>8.0f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['rps'] / floor:>9.2f}x"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
