"""Server time of every page, for each demo account, with the demo data (``seed_demo``); and,
with --baseline, the same pages of an earlier commit in the same run, as a ratio.

    make bench-pages                                   # this tree only
    make bench-pages BENCH_ARGS="--baseline 2d9a454"   # this tree against that commit
    .venv/bin/python bench/pages.py --baseline main --runs 15 --only /manage/

A throw-away PostgreSQL database (raportal_bench_pages) is migrated and seeded by this tree
(``migrate``, ``init_pki``, ``seed_demo``). The pages are those of the page catalogue
(tests/browser/catalogue.py: the one the accessibility test and ``make screenshots`` walk).
Each side is a long-lived process (bench/page_worker.py) with production settings (DEBUG
off, cached templates) running Django's test client, signed in: server time without the
network. With --baseline, the commit is checked out in a temporary worktree and its worker
reads the same database; the two are asked in turn, page by page, run by run (the order
swapped every run), so a noisy neighbour slows both alike. Per page: one warm-up, one run
counting the SQL queries, then --runs timed runs; the medians and their ratio are reported,
and pages slower by more than --limit (20 %) are measured again, twice as long, and listed
at the end if they still are (exit status 1).
Pages the baseline does not have (404, or an error) are timed on this tree only.
"""

import sys
from pathlib import Path

# The project root first on sys.path, not bench/ (see bench/common.py).
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import tempfile

from bench.common import ROOT, fresh_secrets, local_server, recreate_database
from bench.server import baseline_worktree

DATABASE = "raportal_bench_pages"
WORKER = Path(__file__).resolve().parent / "page_worker.py"


class Side:
    """One tree's worker process."""

    def __init__(self, name: str, tree: Path, env: dict):
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(tree)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )

    def ask(self, **command) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker stopped")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="a commit to compare with (e.g. main, 2d9a454)")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--limit", type=float, default=1.20, help="slowest acceptable ratio")
    parser.add_argument("--only", default="", help="only the pages whose URL contains this")
    parser.add_argument("--json", help="write the results to this file too")
    args = parser.parse_args()

    static_root = Path(tempfile.mkdtemp(prefix="raportal-bench-static-"))
    env = os.environ | {
        "DATABASE_URL": recreate_database(DATABASE),
        **fresh_secrets(),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "RAPORTAL_BASE_URL": "http://testserver",
        **local_server(),
        "CELERY_BROKER_URL": "",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_SETTINGS_MODULE": "raportal.settings",
    }
    env.pop("DJANGO_DEBUG", None)  # production settings: cached templates, no query log
    sides: list[Side] = []
    stack = contextlib.ExitStack()  # the baseline's worktree, removed after its worker stops
    try:
        manage = [sys.executable, "manage.py"]
        # seed_demo's accounts have published passwords: --force, on this throw-away database.
        steps = (
            ["collectstatic", "--noinput"],
            ["migrate"],
            ["init_pki"],
            ["seed_demo", "--force"],
        )
        for command in steps:
            subprocess.run(manage + command + ["--verbosity", "0"], cwd=ROOT, env=env, check=True)
        current = Side("current", ROOT, env)
        sides.append(current)
        if args.baseline:
            baseline_tree = stack.enter_context(baseline_worktree(args.baseline))
            sides.append(Side("baseline", baseline_tree, env))
        pages = [tuple(p) for p in current.ask(op="pages")["pages"] if args.only in p[1]]
        results = [measure(sides, account, url, args.runs) for account, url in pages]
        # A page over the limit is measured again, twice as long: one noisy second on a
        # shared machine is not a regression. The second measure is the one reported.
        for index, result in enumerate(results):
            if result.get("ratio", 0) > args.limit:
                account, url = pages[index]
                results[index] = measure(sides, account, url, args.runs * 2)
    finally:
        for side in sides:
            side.close()
        stack.close()
        shutil.rmtree(static_root, ignore_errors=True)
    slower = report(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    sys.exit(1 if slower else 0)


def measure(sides: list["Side"], account: str, url: str, runs: int) -> dict:
    result: dict = {"account": account or "(anonymous)", "url": url}
    live = []
    for side in sides:
        side.ask(op="time", account=account, url=url)  # warm-up
        counted = side.ask(op="queries", account=account, url=url)
        if "error" in counted or counted["status"] >= 400:
            result[side.name] = {"status": counted.get("status"), "error": counted.get("error")}
            continue
        result[side.name] = {"status": counted["status"], "queries": counted["queries"]}
        live.append(side)
    times: dict[str, list[float]] = {side.name: [] for side in live}
    for run in range(runs):
        for side in live if run % 2 == 0 else live[::-1]:
            timed = side.ask(op="time", account=account, url=url)
            times[side.name].append(timed.get("ms", float("nan")))
    for side in live:
        result[side.name]["median_ms"] = round(statistics.median(times[side.name]), 2)
    if "baseline" in times and "current" in times:
        result["ratio"] = round(result["current"]["median_ms"] / result["baseline"]["median_ms"], 3)
    return result


def report(results: list[dict], args) -> list[dict]:
    compared = args.baseline is not None
    header = f"{'account':<12} {'page':<52} {'ms':>8} {'queries':>7}"
    if compared:
        header += f" {'base ms':>8} {'base q':>6} {'ratio':>6}"
    print(header)
    for r in results:
        current = r.get("current", {})
        line = f"{r['account']:<12} {r['url'][:52]:<52} "
        if "median_ms" not in current:
            print(line + f"failed: {current.get('error') or current.get('status')}")
            continue
        line += f"{current['median_ms']:>8.1f} {current['queries']:>7}"
        base = r.get("baseline", {})
        if compared and "median_ms" in base:
            line += f" {base['median_ms']:>8.1f} {base['queries']:>6} {r['ratio']:>6.2f}"
        elif compared:
            line += f" {'(new)':>8}"
        print(line)
    slower = [r for r in results if r.get("ratio", 0) > args.limit]
    failed = [r for r in results if "median_ms" not in r.get("current", {})]
    if compared:
        ratios = [r["ratio"] for r in results if "ratio" in r]
        if ratios:
            print(
                f"\n{len(ratios)} pages compared with {args.baseline}: median ratio "
                f"{statistics.median(ratios):.2f}, worst {max(ratios):.2f}"
            )
        for r in slower:
            print(f"SLOWER than {args.limit:.2f}x: {r['account']} {r['url']} ({r['ratio']:.2f})")
    for r in failed:
        print(f"FAILED: {r['account']} {r['url']}")
    return slower + failed


if __name__ == "__main__":
    main()
