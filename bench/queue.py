"""Server time of the approver's queue and its neighbours with many pending requests, on a
throw-away PostgreSQL database (raportal_bench_queue, dropped and recreated).

    make bench-queue                  # 100 000 pending requests, 1 000 000 certificates, 7 runs
    make bench-queue BENCH_ARGS="--requests 5000 --runs 3 --explain"
    .venv/bin/python bench/queue.py --reuse --queries # time again, without refilling

Pages (Django's test client in-process, signed in: server time without the network):
  queue             GET /approvals/                          the approver's first page
  queue-p100        GET /approvals/?page=100                 deep in the queue (OFFSET 2475)
  queue-search      GET /approvals/?q=host123                text search on the DN and SANs
  queue-profile     GET /approvals/?profile=…&sort=newest    one profile, newest first
  my-requests       GET /requests/                           the requester's own list
  decide            GET /approvals/<id>/                     the oldest enrollment's decision page
  my-certificates   GET /certificates/                       the requester's certificates
  my-certificates-q GET /certificates/?q=<CN>                their search by name
  api-search-cn     POST /api/v1/certificates/search         dn contains "<CN>" (API key)
  api-search-serial POST /api/v1/certificates/search         serial equals "<serial>"
With --certificates N (default 1 000 000; 0 to skip), N certificates are filled first (one
issued for real, its row cloned with its own serial, names, dates and owner).
Each page: one warm-up, one run counting the SQL queries (and their time), then --runs timed
runs; the median and p90 are reported. The approver holds ``perform`` on every workflow of 4
of the 5 profiles, so about 80 % of the pending requests wait for them.
--explain prints EXPLAIN (ANALYZE, BUFFERS) of the queue's page query and of each page's
slowest query; --queries lists every query of each page with its time. --reuse measures the
database of the previous run again (no refill, a minute saved): create a candidate index by
hand in raportal_bench_queue, then compare.
The machine is shared and noisy: compare pages and plans, not absolute numbers.
"""

import sys
from pathlib import Path

# The project root instead of bench/ first on sys.path: this very file would otherwise
# shadow the standard library's queue module (see bench/common.py).
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import tempfile
import time
from functools import partial

from bench.common import database_url_of, fresh_secrets, local_server, recreate_database

DATABASE = "raportal_bench_queue"
PROFILES = 5  # the approver may decide on the first 4
APPROVABLE = 4
TEAMS = 10
BATCH = 5000
DOMAINS = ("example.com", "corp.example.net", "internal.example.org")
UNITS = ("Web", "Payments", "Infrastructure", "Research", "Support")
# Mostly enrollments, as in production.
WORKFLOWS = {
    "enroll": 70,
    "renew": 10,
    "revoke": 8,
    "update": 5,
    "recover": 3,
    "migrate": 2,
    "import": 2,
}
REVOKE_REASONS = ("superseded", "keycompromise", "cessationofoperation", "affiliationchanged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, help="pending requests")
    parser.add_argument(
        "--finished",
        type=int,
        default=0,
        help="also this many decided requests (completed, denied, canceled) over a year",
    )
    parser.add_argument(
        "--certificates",
        type=int,
        default=1_000_000,
        help="also this many certificates (one real certificate, its rows cloned); the "
        "pending revoke/renew/update/recover/migrate requests then point at them",
    )
    parser.add_argument("--requesters", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN (ANALYZE, BUFFERS) of the queue's page query and of each page's "
        "slowest query",
    )
    parser.add_argument(
        "--queries", action="store_true", help="list each page's queries with their time"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"keep the {DATABASE} database of an earlier run (no refill): to compare plans "
        "after creating an index by hand",
    )
    args = parser.parse_args()

    static_root = Path(tempfile.mkdtemp(prefix="raportal-bench-static-"))
    os.environ.update(
        {
            "DATABASE_URL": (
                database_url_of(DATABASE) if args.reuse else recreate_database(DATABASE)
            ),
            **fresh_secrets(),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "RAPORTAL_BASE_URL": "http://testserver",
            **local_server(),
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_STATIC_ROOT": str(static_root),
            "DJANGO_SETTINGS_MODULE": "raportal.settings",
        }
    )
    os.environ.pop("DJANGO_DEBUG", None)  # production settings: no query log, cached templates
    import django

    django.setup()
    from django.core.management import call_command

    try:
        # DEBUG off serves static files through the manifest: the pages need it.
        call_command("collectstatic", "--noinput", verbosity=0)
        if args.reuse:
            fixtures = existing_fixtures()
        else:
            call_command("migrate", verbosity=0)
            call_command("init_pki", verbosity=0)
            start = time.perf_counter()
            fixtures = fill(args)
            print(f"filled in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        analyze()
        results = measure(fixtures, args)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    report(results, fixtures, args)


# --- fixtures ----------------------------------------------------------------------------


def fill(args) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from certificates.models import CertificateAuthority
    from profiles.models import GrantLevel, Team, Workflow
    from tests.factories import ProfileFactory, grant

    rng = random.Random(args.seed)
    User = get_user_model()
    ca = CertificateAuthority.objects.filter(parent__isnull=False).get()
    with transaction.atomic():
        profiles = [
            ProfileFactory(name=f"bench-{i}", display_name=f"Bench profile {i}", ca=ca)
            for i in range(PROFILES)
        ]
        users = [User(username="approver"), User(username="requester")] + [
            User(username=f"user{i:03}") for i in range(args.requesters - 1)
        ]
        for user in users:
            user.email = f"{user.username}@example.com"
            user.set_unusable_password()
        User.objects.bulk_create(users)
        approver, requesters = users[0], users[1:]
        teams = Team.objects.bulk_create(Team(name=f"team-{i}") for i in range(TEAMS))
        # Each requester is in one team; every team may request everything.
        Team.members.through.objects.bulk_create(
            Team.members.through(team=teams[i % TEAMS], user=user)
            for i, user in enumerate(requesters)
        )
        for profile in profiles:
            for workflow in Workflow.values:
                for team in teams:
                    grant(profile, team, GrantLevel.REQUEST, workflow)
        for profile in profiles[:APPROVABLE]:
            for workflow in Workflow.values:
                grant(profile, approver, GrantLevel.PERFORM, workflow)
    team_of = {user.pk: teams[i % TEAMS] for i, user in enumerate(requesters)}
    hosts = max(args.requests // 2, 1)  # about two requests per holder
    certificates = fill_certificates(args.certificates, profiles, hosts, rng, requesters)
    fill_requests(args, rng, profiles, requesters, team_of, hosts, certificates, approver=approver)
    from tests.factories import api_key_for

    api_key_for(approver, API_KEY)
    return {"approver": approver, "requester": requesters[0], "profiles": profiles}


API_KEY = "bench-approver-key"
SEARCH = "/api/v1/certificates/search"
SEARCH = "/api/v1/certificates/search"


def existing_fixtures() -> dict:
    from django.contrib.auth import get_user_model

    from profiles.models import Profile

    User = get_user_model()
    return {
        "approver": User.objects.get(username="approver"),
        "requester": User.objects.get(username="requester"),
        "profiles": list(Profile.objects.filter(name__startswith="bench-").order_by("name")),
    }


def host_name(k: int) -> str:
    return f"host{k}.{DOMAINS[k % len(DOMAINS)]}"


def host_names(k: int) -> tuple[list, list, str]:
    """Subject elements, SANs (type, value) and holder id of host number ``k``."""
    from certificates.holder import holder_id
    from certificates.pki import names

    cn = host_name(k)
    subject = [
        ("cn.1", cn),
        ("ou.1", UNITS[k % len(UNITS)]),
        ("o.1", "Example Corp"),
        ("c.1", "FR"),
    ]
    sans = [("DNSNAME", cn), ("DNSNAME", f"www.{cn}")]
    if k % 4 == 0:
        sans.append(("IPADDRESS", f"10.{k // 65536 % 256}.{k // 256 % 256}.{k % 256}"))
    return subject, sans, holder_id(names.build_name(subject), sans)


def some_csrs(count: int) -> list[str]:
    """A few real CSRs: a decentralized request stores one in its template (its size counts)."""
    from tests.factories import make_csr

    return [
        make_csr(subject=[("cn.1", host_name(i))], sans=[("DNSNAME", host_name(i))])[0]
        for i in range(count)
    ]


def fill_certificates(count: int, profiles, hosts: int, rng, owners) -> list:
    """``count`` certificate rows: one certificate issued for real, its row cloned with its
    own serial, thumbprint, names and dates (the PEM stays the first one's: enough for lists
    and counts, not for reading the certificates back)."""
    if not count:
        return []
    from django.utils import timezone

    from certificates.models import Certificate
    from certificates.pki import names
    from certificates.pki.keys import generate_private_key
    from certificates.services import issue_certificate

    subject, sans, _ = host_names(0)
    first, _ = issue_certificate(
        profile=profiles[0],
        public_key=generate_private_key("ec-secp256r1").public_key(),
        subject=names.build_name(subject),
        sans=sans,
    )
    now = timezone.now()
    ids = [first.pk]
    rows = []
    for i in range(1, count):
        k = rng.randrange(hosts)
        subject, sans, holder = host_names(k)
        not_before = now - dt.timedelta(days=rng.uniform(0, 700))
        revoked = rng.random() < 0.05
        rows.append(
            Certificate(
                ca=first.ca,
                profile=rng.choice(profiles),
                module="webra",
                pem=first.pem,
                serial=f"{rng.getrandbits(127):032x}",
                thumbprint=hashlib.sha256(f"bench-{i}".encode()).hexdigest(),
                public_key_thumbprint=hashlib.sha256(f"bench-key-{i}".encode()).hexdigest(),
                dn=names.name_string(names.build_name(subject)),
                issuer=first.issuer,
                not_before=not_before,
                not_after=not_before + dt.timedelta(days=365),
                key_type=first.key_type,
                signing_algorithm=first.signing_algorithm,
                sans=[{"sanType": t, "value": v} for t, v in sans],
                holder_id=holder,
                labels=[{"key": "env", "value": rng.choice(("dev", "staging", "prod"))}],
                owner=rng.choice(owners),
                revocation_date=now if revoked else None,
                revocation_reason="superseded" if revoked else "",
            )
        )
        if len(rows) == BATCH:
            ids += [c.pk for c in Certificate.objects.bulk_create(rows)]
            rows = []
    ids += [c.pk for c in Certificate.objects.bulk_create(rows)]
    return ids


def fill_requests(args, rng, profiles, requesters, team_of, hosts, certificates, approver):
    from django.utils import timezone

    from certificates.pki import names
    from requests_app.models import Request, Status

    csrs = some_csrs(20)
    workflows, weights = list(WORKFLOWS), list(WORKFLOWS.values())
    now = timezone.now()
    finished = (Status.COMPLETED,) * 8 + (Status.DENIED, Status.CANCELED)

    def one(i: int) -> Request:
        pending = i < args.requests
        workflow = rng.choices(workflows, weights)[0]
        k = rng.randrange(hosts)
        subject, sans, holder = host_names(k)
        requester = rng.choice(requesters)
        grouped: dict[str, list[str]] = {}
        for san_type, value in sans:
            grouped.setdefault(san_type, []).append(value)
        template = {
            "subject": [{"element": e, "value": v} for e, v in subject],
            "sans": [{"type": t, "value": v} for t, v in grouped.items()],
        }
        if workflow == "enroll":
            template |= (
                {"csr": rng.choice(csrs)} if rng.random() < 0.5 else {"keyType": "ec-secp256r1"}
            )
        elif workflow == "revoke":
            template = {"revocationReason": rng.choice(REVOKE_REASONS)}
        elif workflow == "migrate":  # from another profile: the approver needs perform there too
            source = rng.choice(profiles)
            template |= {"sourceProfile": source.name, "sourceProfileId": source.pk}
        if pending:
            created = now - dt.timedelta(days=rng.uniform(0, 60))
            expires = now + dt.timedelta(days=rng.uniform(0.1, 30))
        else:
            created = now - dt.timedelta(days=rng.uniform(0, 365))
            expires = created + dt.timedelta(days=7)
        status = Status.PENDING if pending else rng.choice(finished)
        return Request(
            module="webra",
            workflow=workflow,
            status=status,
            profile=rng.choice(profiles),
            requester=requester,
            approver=None if pending or status == Status.CANCELED else approver,
            team=team_of[requester.pk] if rng.random() < 0.5 else None,
            contact_email=f"{requester.username}@example.com",
            template=template,
            dn=names.name_string(names.build_name(subject)),
            holder_id=holder,
            labels=[{"key": "env", "value": rng.choice(("dev", "staging", "prod"))}],
            certificate_id=rng.choice(certificates)
            if certificates and workflow not in ("enroll", "import")
            else None,
            created_at=created,
            updated_at=created if pending else created + dt.timedelta(hours=rng.uniform(0, 48)),
            expires_at=expires,
            remove_at=expires + dt.timedelta(days=90),
        )

    total = args.requests + args.finished
    for start in range(0, total, BATCH):
        Request.objects.bulk_create([one(i) for i in range(start, min(start + BATCH, total))])
        print(f"  {min(start + BATCH, total)}/{total} requests", end="\r", file=sys.stderr)
    print(file=sys.stderr)


def analyze() -> None:
    """Statistics and the visibility map as autovacuum keeps them on a live database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) requests_app_request")
        cursor.execute("ANALYZE")


# --- measures ----------------------------------------------------------------------------


def pages(fixtures) -> list[tuple[str, str, str]]:
    """(name, user, URL) of each page measured."""
    from django.http import QueryDict

    from requests_app.approvals.queue import approval_queue

    # The decision page of the oldest enrollment waiting (the commonest; its rules are checked).
    first = approval_queue(fixtures["approver"], QueryDict("workflow=enroll"))[0].first()
    if first is None:
        raise SystemExit("no enrollment waits for the approver: nothing to measure")
    profile = fixtures["profiles"][1].name
    measured = [
        ("queue", "approver", "/approvals/"),
        ("queue-p100", "approver", "/approvals/?page=100"),
        ("queue-search", "approver", "/approvals/?q=host123"),
        ("queue-profile", "approver", f"/approvals/?profile={profile}&sort=newest"),
        ("my-requests", "requester", "/requests/"),
        ("decide", "approver", f"/approvals/{first.pk}/"),
    ]
    from certificates.models import Certificate

    sample = Certificate.objects.order_by("-serial").only("serial", "dn").first()
    if sample is not None:
        cn = sample.dn.removeprefix("CN=").split(",")[0]
        measured += [
            ("my-certificates", "requester", "/certificates/"),
            ("my-certificates-q", "requester", f"/certificates/?q={cn}"),
            ("api-search-cn", "api", (SEARCH, f'dn contains "{cn}"')),
            ("api-search-serial", "api", (SEARCH, f'serial equals "{sample.serial}"')),
        ]
    return measured


def measure(fixtures, args) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for who in ("approver", "requester"):
        clients[who] = Client()
        clients[who].force_login(fixtures[who])
    api = Client(headers={"X-API-ID": "approver", "X-API-KEY": API_KEY})

    def getter(who, target):
        if who != "api":
            return lambda: clients[who].get(target)
        path, query = target
        body = json.dumps({"query": query, "pageSize": 50, "withCount": True})
        return lambda: api.post(path, body, content_type="application/json")

    results = {}
    for name, who, target in pages(fixtures):
        get = getter(who, target)
        url = target if who != "api" else f"POST {target[0]} {target[1]}"
        response = get()  # warm-up: templates, content types, connection
        if response.status_code != 200:
            raise SystemExit(
                f"{name}: {url} answered {response.status_code}: {response.content[:300]}"
            )
        durations = []
        with (
            CaptureQueriesContext(connection) as captured,
            connection.execute_wrapper(partial(timed, durations)),
        ):
            get()
        # Read now: the next request clears the connection's query log. Django rounds its
        # times to the millisecond: the wrapper's, in the same order, replace them.
        queries = [
            {"sql": q["sql"], "ms": ms}
            for q, ms in zip(captured.captured_queries, durations, strict=True)
        ]
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = get()
            timings.append((time.perf_counter() - start) * 1000)
        slowest = max(queries, key=lambda q: q["ms"])
        results[name] = {
            "url": url,
            "median_ms": statistics.median(timings),
            "p90_ms": percentile(timings, 0.9),
            "queries": len(queries),
            "sql_ms": sum(q["ms"] for q in queries),
            "slowest_ms": slowest["ms"],
            "slowest_sql": slowest["sql"],
            "kb": len(response.content) / 1024,
        }
        if args.queries:
            print(f"\n## {name}: its queries\n")
            for q in queries:
                print(f"- {q['ms']:7.1f} ms  `{shorter(q['sql'])[:150]}`")
    if args.explain:
        explain(fixtures, results)
    return results


def timed(durations: list, execute, sql, params, many, context):
    start = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        durations.append((time.perf_counter() - start) * 1000)


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (the median for 0.5)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def explain(fixtures, results) -> None:
    from django.db import connection
    from django.http import QueryDict

    from requests_app.approvals.queue import approval_queue
    from requests_app.approvals.views import PAGE_SIZE

    queryset = approval_queue(fixtures["approver"], QueryDict())[0][:PAGE_SIZE]
    print("\n## EXPLAIN ANALYZE: the queue's page query (/approvals/, first page)\n")
    print(f"```sql\n{shorter(str(queryset.query))}\n```\n")
    print(f"```\n{queryset.explain(analyze=True, buffers=True)}\n```")
    for name, result in results.items():
        print(f"\n## {name}: its slowest query ({result['slowest_ms']:.1f} ms)\n")
        print(f"```sql\n{shorter(result['slowest_sql'])}\n```\n")
        if not result["slowest_sql"].lstrip().upper().startswith("SELECT"):
            continue  # EXPLAIN ANALYZE would run it: never a write
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + result["slowest_sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"```\n{plan}\n```")


def shorter(sql: str) -> str:
    """The SQL with its outermost column list elided, to be read next to its plan."""
    return re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", sql, count=1)


# --- report ------------------------------------------------------------------------------


def report(results: dict, fixtures, args) -> None:
    import django
    from django.db import connection
    from django.http import QueryDict

    from requests_app.models import Request, Status
    from requests_app.pages.queries import my_requests

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('requests_app_request'))")
        size = cursor.fetchone()[0]
    counts = {
        "pending": Request.objects.filter(status=Status.PENDING).count(),
        "total": Request.objects.count(),
        "waiting for the approver": Request.objects.pending_for(fixtures["approver"]).count(),
        "in the requester's list": my_requests(fixtures["requester"], QueryDict())[0].count(),
    }
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{os.cpu_count()} CPUs ({platform.machine()}, load average {load}), "
        f"PostgreSQL {server}, Python {platform.python_version()}, Django {django.get_version()}"
    )
    print(
        "Requests: "
        + ", ".join(f"{n} {what}" for what, n in counts.items())
        + f" (table and indexes: {size}); {args.runs} runs per page after a warm-up.\n"
    )
    print("| page | URL | median ms | p90 ms | queries | SQL ms | slowest query ms | KiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | `{r['url']}` | {r['median_ms']:.1f} | {r['p90_ms']:.1f} | "
            f"{r['queries']} | {r['sql_ms']:.1f} | {r['slowest_ms']:.1f} | {r['kb']:.0f} |"
        )
    print(
        "\nqueries, SQL ms (their total) and slowest query ms: from the one untimed run that "
        "counted them, measured around each query on the client side."
    )


if __name__ == "__main__":
    main()
