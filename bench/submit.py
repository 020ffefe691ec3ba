"""Throughput and latency of the request API under gunicorn, on throw-away databases; with
--baseline, against an earlier commit in the same run.

    make bench                          # this tree (then bench/acme.py)
    make bench BASELINE=93fe895         # this tree against that commit, scenario by scenario
    make bench BENCH_ARGS=--quick       # the floors, self, enroll-ec and pending; 8, 32 clients
    .venv/bin/python bench/submit.py --baseline main --runs 5 --concurrency 8 --scenarios self

Each tree is migrated and seeded (``init_pki``, ``seed_demo``) on its own database (PostgreSQL
``raportal_bench`` and ``raportal_bench_baseline`` when reachable, else SQLite files: the two
trees' migrations differ) and served by its own gunicorn, sync workers, one per CPU
(``--workers``), production settings (DEBUG off, no broker, a cache per process), both with
this virtualenv; the baseline is checked out in a temporary git worktree. The load comes from
wrk on loopback (``--seconds`` per run), or Python threads when wrk is absent (``--requests``
per run). Per scenario each tree gets a warm-up run, then at each concurrency ``--runs``
measured runs (odd, at least 3), the trees asked in turn, the order swapped every run, so a
noisy neighbour slows both alike. Reported per tree: the median, min and max of requests/s,
p50 and p99; and this tree's throughput over the baseline's (the ratio of the medians, with
the min and max of the run-by-run ratios). A scenario the baseline cannot answer (no such
endpoint) is reported as such. Scenarios: bench/scenarios.py. The machine is shared and the
client shares its cores: compare ratios, not absolute numbers.
"""

import sys
from pathlib import Path

# The project root instead of bench/ first on sys.path: bench/queue.py would shadow the
# standard library's queue module (see bench/common.py).
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import contextlib
import itertools
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from bench.common import ROOT, fresh_secrets, odd_runs, paired_ratios, summarize
from bench.load import call, run_scenario, run_wrk
from bench.scenarios import QUICK, SCENARIOS, make_csrs, makers
from bench.server import Server, baseline_worktree, database_for

WRK_BODIES = 2000  # request bodies per scenario, cycled by wrk


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="a git ref to compare with (e.g. main, 93fe895)")
    parser.add_argument("--runs", type=odd_runs, default=3, help="measured runs: odd, >= 3")
    parser.add_argument("--concurrency", help="clients, e.g. 1,8,32 (the default)")
    parser.add_argument("--scenarios", help=f"comma-separated, of: {', '.join(SCENARIOS)}")
    parser.add_argument("--seconds", type=int, default=2, help="wrk: one run's length")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"only {', '.join(QUICK)}, at 8 and 32 clients (unless given otherwise)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--requests", type=int, default=400, help="python: requests per run")
    parser.add_argument("--max-seconds", type=float, default=60, help="python: bound on a run")
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk (apt-get install wrk) when found, else Python threads",
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    quick = args.quick
    args.scenarios = (args.scenarios or ",".join(QUICK if quick else SCENARIOS)).split(",")
    args.scenarios = [name.strip() for name in args.scenarios if name.strip()]
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown or not args.scenarios:
        parser.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    try:
        args.concurrency = [int(c) for c in (args.concurrency or ("8,32" if quick else "1,8,32"))
                            .split(",")]  # fmt: skip
    except ValueError:
        parser.error("--concurrency: numbers separated by commas, e.g. 1,8,32")
    if not args.concurrency or min(args.concurrency) < 1:
        parser.error("--concurrency: at least one client")
    if args.seconds < 1:
        parser.error("--seconds: at least 1")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    args.trees = tree_names(args.baseline)  # before the run: a commit meanwhile is not measured
    args.workdir = Path(tempfile.mkdtemp(prefix="raportal-bench-"))
    secrets = fresh_secrets()
    trees = [("current", ROOT, "raportal_bench")]
    try:
        with contextlib.ExitStack() as stack:
            if args.baseline:
                tree = stack.enter_context(baseline_worktree(args.baseline))
                trees.append(("baseline", tree, "raportal_bench_baseline"))
            servers = [
                Server(label, tree, database_for(name, args.workdir), secrets, args.workers,
                       args.workdir)
                for label, tree, name in trees
            ]  # fmt: skip
            print(f"seeding {', '.join(str(tree) for _, tree, _ in trees)}", file=sys.stderr)
            with ThreadPoolExecutor(len(servers)) as pool:  # migrations take a while
                list(pool.map(Server.seed, servers))
            for server in servers:
                stack.callback(server.stop)
                server.start()
            results = measure(servers, args)
            database = servers[0].env["DATABASE_URL"]  # the engine is the same for both
    finally:
        shutil.rmtree(args.workdir, ignore_errors=True)
    failed = report(results, args, database)
    print(f"\n(the whole run took {(time.monotonic() - started) / 60:.1f} min)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    sys.exit(1 if failed else 0)


def measure(servers: list[Server], args) -> list[dict]:
    """One row per scenario and concurrency: each tree's runs summarized, or why it has none."""
    runs_per_level = (args.runs + 1) * len(args.concurrency) * len(args.scenarios)
    csrs = make_csrs(min(args.requests * runs_per_level, WRK_BODIES))
    made = {server.label: makers(server.base, csrs, args.scenarios) for server in servers}
    serial = itertools.count()  # next() is atomic: each request its own CSR and name
    rows = []
    for name in args.scenarios:
        requests, live = {}, []
        for server in servers:
            maker = made[server.label][name]
            absent = maker if isinstance(maker, str) else probe(server, maker(next(serial)))
            if absent:
                requests[server.label] = absent
                continue
            samples = [maker(next(serial)) for _ in range(WRK_BODIES)]
            requests[server.label] = samples
            live.append(server)
            one_run(server, samples, max(args.concurrency), args, warm_up=True)
        for clients in args.concurrency:
            runs: dict[str, list[dict]] = {server.label: [] for server in live}
            for run in range(args.runs):
                for server in live if run % 2 == 0 else live[::-1]:
                    runs[server.label].append(
                        one_run(server, requests[server.label], clients, args)
                    )
            row: dict = {"scenario": name, "clients": clients}
            for server in servers:
                absent = requests[server.label]
                row[server.label] = (
                    {"absent": absent} if isinstance(absent, str)
                    else summarize(runs[server.label]) | {"each": runs[server.label]}
                )  # fmt: skip
            if "baseline" in runs and "current" in runs:
                row["ratio"] = paired_ratios(runs["current"], runs["baseline"])
            rows.append(row)
            print(f"  {name} x{clients}: {brief(row)}", file=sys.stderr)
    return rows


def probe(server: Server, request: tuple) -> str:
    """Why ``server`` cannot be asked this request ("" when it answers 2xx)."""
    path, headers, body = request
    try:
        _, status = call(server.base + path, headers, body)
    except (OSError, urllib.error.URLError) as error:
        return f"{type(error).__name__}: {error}"
    return "" if 200 <= status < 300 else f"HTTP {status}"


def one_run(server: Server, samples: list, clients: int, args, warm_up: bool = False) -> dict:
    if args.client == "wrk":
        path, headers, _ = samples[0]
        bodies = [body for _, _, body in samples if body]
        seconds = 1 if warm_up else args.seconds
        return run_wrk(server.base, path, headers, bodies, clients, seconds, args.workdir)
    count = max(args.requests // 4, 10) if warm_up else args.requests
    return run_scenario(
        server.base, count, clients, lambda i: samples[i % len(samples)], args.max_seconds
    )


def brief(row: dict) -> str:
    parts = []
    for label in ("current", "baseline"):
        side = row.get(label)
        if side:
            parts.append(f"{label} " + (side["absent"] if "absent" in side else cells(side)[0]))
    if "ratio" in row:
        parts.append(ratio_cell(row["ratio"]))
    return "; ".join(parts)


def cells(side: dict) -> list[str]:
    """req/s, p50, p99 as 'median (min-max)'."""

    def cell(key: str, digits: int) -> str:
        s = side[key]
        return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"

    return [cell("rps", 0), cell("p50_ms", 1), cell("p99_ms", 1)]


def ratio_cell(ratio: dict | None) -> str:
    if ratio is None:
        return "- (the baseline completed no request)"
    return f"{ratio['median']:.2f}x ({ratio['min']:.2f}-{ratio['max']:.2f})"


def describe_tree(ref: str) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return commit or ref


def tree_names(baseline: str | None) -> dict[str, str]:
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True)
    current = describe_tree("HEAD") + (" + uncommitted changes" if dirty.stdout.strip() else "")
    names = {"current": f"this tree ({current})"}
    if baseline:
        names["baseline"] = f"baseline {baseline} ({describe_tree(baseline)})"
    return names


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip() + ", "
                break
    return f"{platform.node()}: {model}{os.cpu_count()} CPUs"


def report(rows: list[dict], args, database: str) -> list[str]:
    """Prints the table (Markdown); returns what failed on this tree."""
    engine = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    names = args.trees
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}; {engine}, gunicorn "
        f"{args.workers} sync workers, Python {sys.version.split()[0]}, load from {args.client}"
        f"{f' ({args.seconds} s runs)' if args.client == 'wrk' else ''}; "
        f"median (min-max) of {args.runs} runs after a warm-up"
        + (", the two trees in turn, the order swapped each run" if args.baseline else "")
        + "\n"
    )
    compared = args.baseline is not None
    print(
        "| scenario | clients | tree | req/s | p50 ms | p99 ms | errors |"
        + (" x baseline |" if compared else " vs auth-floor |")
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    failed = []
    floors = {
        row["clients"]: row["current"]["rps"]["median"]
        for row in rows
        if row["scenario"] == "auth-floor" and "rps" in row["current"]
    }
    for row in rows:
        for label in ("baseline", "current") if compared else ("current",):
            side = row[label]
            lead = f"| {row['scenario']} | {row['clients']} | {names[label]} |"
            if "absent" in side:
                print(f"{lead} n/a: {side['absent']} | | | | |")
                if label == "current":
                    failed.append(f"{row['scenario']}: {side['absent']}")
                continue
            if compared:
                last = ratio_cell(row["ratio"]) if label == "current" and "ratio" in row else ""
            else:
                floor = floors.get(row["clients"])
                last = f"{side['rps']['median'] / floor:.2f}x" if floor else "—"
            print(f"{lead} {' | '.join(cells(side))} | {side['errors']} | {last} |")
    print()
    for name in args.scenarios:
        print(f"- {name}: {SCENARIOS[name]}")
    for failure in failed:
        print(f"FAILED on this tree: {failure}")
    return failed


if __name__ == "__main__":
    main()
