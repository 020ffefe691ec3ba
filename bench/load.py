"""The load generators of ``bench/submit.py``: wrk (C, one connection per client) when found,
else Python threads. A run returns its requests, requests/s, p50/p95/p99 in ms and the
answers that were not 2xx (``errors``)."""

import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


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
