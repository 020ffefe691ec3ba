"""Throughput and latency of the request API under gunicorn, on a throw-away database.

    make bench          # PostgreSQL if reachable (database raportal_bench), else SQLite
    .venv/bin/python bench/submit.py --requests 400 --runs 3 --concurrency 1,8,32

gunicorn runs sync workers, one per CPU (``--workers``), with the demo data; the load comes
from client threads on loopback, bounded in count (``--requests`` per run) and time
(``--max-seconds`` per run). Each scenario runs at each concurrency: a warm-up run, then
``--runs`` measured runs, the median run reported (requests/s, p50/p95/p99, errors, and the
ratio to the floor scenario at the same concurrency). Scenarios: see SCENARIOS below. The
machine is shared and the client shares its cores: compare ratios, not absolute numbers.
"""

import sys
from pathlib import Path

# The project root instead of bench/ first on sys.path: bench/queue.py would shadow the
# standard library's queue module (see bench/common.py).
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.common import (
    ROOT,
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

sys.path.insert(0, str(ROOT))

PASSWORD = "Bench-Password-123"


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


WRK_SCRIPT = """
local bodies, id, n = {}, 0, 0
wrk.method = "%(method)s"
%(headers)s
setup = function(thread) thread:set("id", id); id = id + 1 end
init = function(args)
  if "%(bodies)s" ~= "" then
    for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
  end
  n = id * 7919
end
request = function()
  n = n + 1
  if #bodies == 0 then return wrk.format() end
  return wrk.format(nil, nil, nil, bodies[(n %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%f, "status_errors": %%d, "socket_errors": %%d, '
    .. '"p50_ms": %%f, "p95_ms": %%f, "p99_ms": %%f}\\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def run_wrk(base, path, headers, bodies, concurrency, seconds, workdir) -> dict:
    """The same measure with wrk (C, one connection per client): the load generator then
    takes little of the CPUs the server needs. Bodies are cycled (a CSR may be used twice)."""
    body_file = ""
    if bodies:
        body_file = str(workdir / f"bodies-{abs(hash(path + str(len(bodies))))}.txt")
        Path(body_file).write_text("\n".join(b.decode() for b in bodies) + "\n")
    script = workdir / "bench.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "method": "POST" if bodies else "GET",
            "headers": "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()),
            "bodies": body_file,
        }
    )
    threads = min(concurrency, os.cpu_count() or 2)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(concurrency),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base + path,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    r = json.loads(line.removeprefix("RESULT "))
    return {
        "requests": r["requests"],
        "rps": r["requests"] / r["seconds"],
        "p50_ms": r["p50_ms"],
        "p95_ms": r["p95_ms"],
        "p99_ms": r["p99_ms"],
        "errors": r["status_errors"] + r["socket_errors"],
        "status_errors": r["status_errors"],
        "socket_errors": r["socket_errors"],
    }


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    index = max(0, min(len(sorted_values) - 1, round(share * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def run_scenario(base, count, concurrency, make_request, max_seconds) -> dict:
    """``count`` requests from ``concurrency`` threads (stops early after ``max_seconds``):
    throughput, latency percentiles and the number of answers that were not 2xx."""
    latencies, statuses = [], []
    lock = threading.Lock()
    deadline = time.perf_counter() + max_seconds

    def one(i):
        if time.perf_counter() > deadline:
            return
        path, headers, body = make_request(i)
        try:
            elapsed, status = call(base + path, headers, body)
        except OSError:
            elapsed, status = 0.0, 0  # connection refused or reset: an error
        with lock:
            latencies.append(elapsed)
            statuses.append(status)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(statuses),
        "rps": len(statuses) / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": sum(1 for status in statuses if not 200 <= status < 300),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per run (RSA: a quarter)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs (after a warm-up)")
    parser.add_argument("--concurrency", default="1,8,32", help="client threads, e.g. 1,8,32")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--max-seconds", type=float, default=60, help="bound on one run")
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk (apt-get install wrk) when found, else Python threads",
    )
    parser.add_argument("--seconds", type=int, default=10, help="wrk: duration of a run")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.scenarios = [name for name in args.scenarios.split(",") if name]

    workdir = args.workdir = Path(tempfile.mkdtemp(prefix="raportal-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(workdir),
        **fresh_secrets(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "RAPORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        **local_server(),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    seed_demo_database(env)
    gunicorn = start_gunicorn(env, port, args.workers, "--log-level", "warning")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, gunicorn)
        results = measure(base, args)
    finally:
        stop(gunicorn)
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, args, env["DATABASE_URL"])


WRK_BODIES = 2000  # request bodies per scenario, cycled by wrk
SCENARIOS = {
    "floor": "GET /api/v1/security/principals/self (API key auth + grants): the framework floor",
    "enroll-ec": "submit, decentralized EC P-256 CSR, caller holds perform: issued (completed)",
    "dry-run": "the same submission with dryRun: validated, nothing stored",
    "p12-ec": "submit, centralized: EC P-256 key generated, PKCS#12 built, key escrowed",
    "p12-rsa": "submit, centralized: RSA-2048 key generated, PKCS#12 built, key escrowed",
    "pending": "submit by a requester (grant request): stored pending, nothing issued",
    "ocsp-get": "RFC 5019 GET /ocsp/<ca>/<request> for a demo certificate: answered from the "
    "cache (status looked up, no signature)",
    "ocsp-nonce": "the same GET with a nonce: signed by the responder on every request",
}


def measure(base: str, args) -> dict:
    json_headers = {"Content-Type": "application/json"}
    approver = {**json_headers, "X-API-ID": "approver", "X-API-KEY": "approver-key"}
    requester = {**json_headers, "X-API-ID": "requester", "X-API-KEY": "requester-key"}
    per_level = args.requests * (args.runs + 1)
    # Enough distinct CSRs for a run; reused beyond (the demo profile has no holder limit).
    csrs = make_csrs(min(per_level * len(args.concurrency) * len(args.scenarios), WRK_BODIES))

    def submit(headers, template, **extra):
        body = {"profile": "webra-demo", "module": "webra", "workflow": "enroll"}
        body |= {"template": template, **extra}
        return "/api/v1/requests/submit", headers, json.dumps(body).encode()

    def centralized(key_type):
        def make(i):
            template = {"keyType": key_type, "subject": [{"element": "cn.1", "value": f"k{i}"}]}
            return submit(approver, template, password={"value": PASSWORD})

        return make

    ocsp_paths = (
        ocsp_requests(base, approver, csrs[0]) if any("ocsp" in n for n in args.scenarios) else {}
    )
    makers = {
        "floor": lambda i: ("/api/v1/security/principals/self", approver, None),
        "ocsp-get": lambda i: (ocsp_paths["cached"], {}, None),
        "ocsp-nonce": lambda i: (ocsp_paths["nonce"], {}, None),
        "enroll-ec": lambda i: submit(approver, {"csr": csrs[i % len(csrs)]}),
        "dry-run": lambda i: submit(approver, {"csr": csrs[i % len(csrs)]}, dryRun=True),
        "p12-ec": centralized("ec-secp256r1"),
        "p12-rsa": centralized("rsa-2048"),
        "pending": lambda i: submit(requester, {"csr": csrs[i % len(csrs)]}),
    }
    results: dict = {}
    serial = itertools.count()  # next() is atomic: each request its own CSR and name
    for name in args.scenarios:
        count = max(args.requests // 4, 10) if name == "p12-rsa" else args.requests
        for concurrency in args.concurrency:
            runs = []
            if args.client == "wrk":
                samples = [makers[name](next(serial)) for _ in range(WRK_BODIES)]
                path, headers, _ = samples[0]
                bodies = [body for _, _, body in samples if body]
            for run in range(args.runs + 1):  # the first run warms up and is dropped
                if args.client == "wrk":
                    seconds = args.seconds if run else max(args.seconds // 3, 2)
                    outcome = run_wrk(
                        base, path, headers, bodies, concurrency, seconds, args.workdir
                    )
                else:
                    outcome = run_scenario(
                        base,
                        count,
                        concurrency,
                        lambda i, m=makers[name]: m(next(serial)),
                        args.max_seconds,
                    )
                if run:
                    runs.append(outcome)
            results[(name, concurrency)] = median_run(runs)
            print(f"  {name} x{concurrency}: {results[(name, concurrency)]}", file=sys.stderr)
    return results


def ocsp_requests(base: str, headers: dict, csr: str) -> dict[str, str]:
    """GET paths (RFC 5019 §5) asking the responder named in a fresh demo certificate's AIA
    about it: one without a nonce (cached), one with a fixed nonce (signed each time)."""
    import base64
    import urllib.parse

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509 import ocsp
    from cryptography.x509.oid import AuthorityInformationAccessOID

    body = {"profile": "webra-demo", "module": "webra", "workflow": "enroll"}
    body["template"] = {"csr": csr}
    request = urllib.request.Request(
        base + "/api/v1/requests/submit", data=json.dumps(body).encode(), headers=headers
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        pem = json.loads(response.read())["certificate"]["certificate"]
    leaf = x509.load_pem_x509_certificate(pem.encode())
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    urls = {d.access_method: d.access_location.value for d in aia}
    with urllib.request.urlopen(urls[AuthorityInformationAccessOID.CA_ISSUERS]) as response:
        issuer = x509.load_der_x509_certificate(response.read())
    responder = urllib.parse.urlsplit(urls[AuthorityInformationAccessOID.OCSP]).path

    def path(nonce: bytes | None) -> str:
        builder = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA256())
        if nonce:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        der = builder.build().public_bytes(Encoding.DER)
        return f"{responder}/" + urllib.parse.quote(base64.b64encode(der).decode(), safe="")

    paths = {"cached": path(None), "nonce": path(os.urandom(16))}
    for asked in paths.values():  # OCSP errors come with HTTP 200: check the answer itself
        with urllib.request.urlopen(base + asked) as response:
            answer = ocsp.load_der_ocsp_response(response.read())
        if (
            answer.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL
            or answer.certificate_status != ocsp.OCSPCertStatus.GOOD
        ):
            raise SystemExit(f"OCSP answered {answer.response_status}, not good: {asked}")
    return paths


def report(results: dict, args, database: str) -> None:
    engine = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    print(
        f"\n{engine}, gunicorn {args.workers} sync workers, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, load from {args.client}"
        f"{f' ({args.seconds} s runs)' if args.client == 'wrk' else ''}; "
        f"median of {args.runs} runs after a warm-up\n"
    )
    print("| scenario | clients | req/s | p50 ms | p95 ms | p99 ms | errors | vs floor |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for (name, concurrency), r in results.items():
        floor = results.get(("floor", concurrency))
        ratio = f"{r['rps'] / floor['rps']:.2f}x" if floor else "—"
        print(
            f"| {name} | {concurrency} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | {ratio} |"
        )
    print()
    for name in args.scenarios:
        print(f"- {name}: {SCENARIOS[name]}")
    if args.json:
        rows = [{"scenario": n, "clients": c, **r} for (n, c), r in results.items()]
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
